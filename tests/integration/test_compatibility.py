"""Every case of the compatibility table through the converter's CLI, and the table README shows.

A converted case has parity verified, golden rows reproduced at init, and a batch answered by
the handler; a refused one gets one line naming the estimator and why, exit status 1, and nothing
written. README.md's table must be what this run produced (``make compatibility`` rewrites it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convert.compatibility import BOOSTER_CASES, CASES, differences, render, run_all, section
from convert.servable import final_estimator

README = Path(__file__).resolve().parents[2] / "README.md"
IDS = [
    f"{i:02d}-{case.model.split(' ')[0]}-{case.data().title.split(',')[0]}"
    for i, case in enumerate(CASES)
]


@pytest.fixture(scope="module")
def outcomes():
    return run_all()


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_case(outcomes, index):
    outcome = outcomes[index]
    case = outcome.case
    assert outcome.converted is case.converts
    if case.converts:
        assert (outcome.served, outcome.refusal, outcome.wrote_nothing) == (True, "", False)
        assert outcome.parity == "0" or outcome.parity.startswith("≤ 1e-")
        return
    assert (outcome.served, outcome.parity, outcome.wrote_nothing) == (False, "", True)
    assert "\n" not in outcome.refusal
    estimator = case.build()
    named = {type(estimator).__name__, type(final_estimator(estimator)).__name__}
    assert any(name in outcome.refusal for name in named)


def test_every_required_family_converts(outcomes):
    converted = " ".join(o.case.model for o in outcomes if o.converted)
    for family in [
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "GradientBoostingClassifier",
        "HistGradientBoostingClassifier",
        "LogisticRegression",
        'SVC(kernel="linear", probability=True)',
        "CalibratedClassifierCV(LinearSVC)",
        "StandardScaler →",
        "MinMaxScaler →",
        "LinearRegression",
        "DecisionTreeRegressor",
        "RandomForestRegressor",
        "GradientBoostingRegressor",
        "HistGradientBoostingRegressor",
        "SVR",
        "KNeighborsRegressor",
        "MLPRegressor",
        "OneHotEncoder strings → Ridge",
        "OneHotEncoder strings → LogisticRegression",
    ]:
        assert family in converted
    kinds = {
        (o.classes.split(", ")[0] == "2", o.classes.endswith("str"))
        for o in outcomes
        if o.converted and o.classes != "number"
    }
    assert kinds == {(True, True), (True, False), (False, True), (False, False)}
    assert any("DataFrame" in o.case.data().title for o in outcomes if o.converted)
    typed = [o for o in outcomes if o.converted and "strings, missing" in o.case.data().title]
    assert {o.classes for o in typed} == {"number", "2, str"}


def test_readme_table_is_what_the_run_produced(outcomes):
    committed = section(README.read_text())
    assert differences(committed, render(outcomes)) == [], "run `make compatibility`"


def test_xgboost_and_lightgbm_convert_bare_and_in_pipelines(outcomes):
    converted = {o.case.model for o in outcomes if o.converted}
    boosters = {case.model for case in BOOSTER_CASES}
    assert boosters <= converted
    for name in ["XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor"]:
        assert name in boosters
    assert any("→ XGBClassifier" in model for model in boosters)
    assert any("→ LGBMClassifier" in model for model in boosters)
