"""``make check-github``'s verdicts, from API answers shaped like GitHub's (tests/unit/deploy/
github_api/): each setting set, missing, or unreadable."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tools.deploy.github_settings import (
    Check,
    State,
    Unreadable,
    branch_check,
    check_repository,
    environment_checks,
    main,
    oidc_subject_check,
    release_defaults,
    report,
    tag_ruleset_check,
)

FIXTURES = Path(__file__).parent / "github_api"
REPOSITORY = "octo-org/onnx-lambda"
NOT_FOUND = Unreadable(404, "Not Found")
SUBJECT = "OIDC subject template repo, context, job_workflow_ref"
REVIEWERS = "environment production: required reviewers"
REFS = "environment production: deployments only from main and tags v*"
TAGS = "tag ruleset: only allowed people create, move or delete tags v*"
BRANCH = "branch main: reviewed pull requests only, no force push, no deletion"


def answer(name: str) -> object:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_the_expected_refs_are_the_bootstraps_defaults():
    assert release_defaults() == {
        "environment": "production",
        "branch": "main",
        "tag_pattern": "v*",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (answer("oidc_sub_customised"), Check(SUBJECT, State.SET, "")),
        (
            answer("oidc_sub_default"),
            Check(SUBJECT, State.MISSING, "the repository uses GitHub's default subject"),
        ),
        (
            {"use_default": False, "include_claim_keys": ["repo", "job_workflow_ref", "context"]},
            Check(SUBJECT, State.MISSING, "the template is repo, job_workflow_ref, context"),
        ),
        (
            Unreadable(403, "Resource not accessible by integration"),
            Check(
                SUBJECT,
                State.UNKNOWN,
                "cannot read it (HTTP 403: Resource not accessible by integration)",
            ),
        ),
    ],
    ids=["customised", "default", "other order", "unreadable"],
)
def test_the_oidc_subject_must_carry_the_workflow_and_the_ref(body, expected):
    assert oidc_subject_check(body) == expected


def test_a_protected_environment_passes():
    checks = environment_checks(
        "production",
        answer("environment_protected"),
        answer("deployment_branch_policies"),
        "main",
        "v*",
    )
    assert checks == [Check(REVIEWERS, State.SET, ""), Check(REFS, State.SET, "")]


def test_an_open_environment_is_reported_missing_both_ways():
    checks = environment_checks("production", answer("environment_open"), NOT_FOUND, "main", "v*")
    assert checks == [
        Check(REVIEWERS, State.MISSING, "nobody has to approve a release"),
        Check(REFS, State.MISSING, "any branch or tag may deploy"),
    ]


def test_deployment_refs_other_than_the_release_refs_are_missing():
    policies = answer("deployment_branch_policies")
    policies["branch_policies"].append({"id": 9, "name": "*", "type": "branch"})
    [_, refs] = environment_checks(
        "production", answer("environment_protected"), policies, "main", "v*"
    )
    assert refs == Check(
        REFS, State.MISSING, "the environment allows branch *, branch main, tag v*"
    )


def test_protected_branches_only_is_not_named_refs():
    environment = answer("environment_protected")
    environment["deployment_branch_policy"] = {
        "protected_branches": True,
        "custom_branch_policies": False,
    }
    [_, refs] = environment_checks("production", environment, NOT_FOUND, "main", "v*")
    assert refs == Check(
        REFS, State.MISSING, "deployments allowed from protected branches, not named refs"
    )


def ruleset(**changes: object) -> dict:
    body = copy.deepcopy(answer("ruleset_release_tags"))
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("rulesets", "expected"),
    [
        ([ruleset()], Check(TAGS, State.SET, "")),
        (
            [ruleset(conditions={"ref_name": {"include": ["~ALL"], "exclude": []}})],
            Check(TAGS, State.SET, ""),
        ),
        ([], Check(TAGS, State.MISSING, "no active tag ruleset includes refs/tags/v*")),
        (
            [ruleset(enforcement="evaluate")],
            Check(TAGS, State.MISSING, "no active tag ruleset includes refs/tags/v*"),
        ),
        (
            [ruleset(conditions={"ref_name": {"include": ["refs/tags/release-*"], "exclude": []}})],
            Check(TAGS, State.MISSING, "no active tag ruleset includes refs/tags/v*"),
        ),
        (
            [ruleset(rules=[{"type": "deletion"}])],
            Check(TAGS, State.MISSING, "tag rulesets do not restrict creation, update"),
        ),
        (NOT_FOUND, Check(TAGS, State.UNKNOWN, "cannot read it (HTTP 404: Not Found)")),
    ],
    ids=[
        "release tags",
        "all tags",
        "none",
        "evaluate only",
        "other tags",
        "deletion only",
        "unreadable",
    ],
)
def test_release_tags_must_be_restricted_by_an_active_ruleset(rulesets, expected):
    assert tag_ruleset_check(rulesets, "v*") == expected


@pytest.mark.parametrize(
    ("rules", "classic", "expected"),
    [
        (answer("branch_rules_main"), NOT_FOUND, Check(BRANCH, State.SET, "")),
        ([], answer("branch_protection_classic"), Check(BRANCH, State.SET, "")),
        (
            [],
            Unreadable(404, "Branch not protected"),
            Check(BRANCH, State.MISSING, "not enforced: deletion, non_fast_forward, pull_request"),
        ),
        (
            [r for r in answer("branch_rules_main") if r["type"] != "deletion"],
            NOT_FOUND,
            Check(BRANCH, State.MISSING, "not enforced: deletion"),
        ),
        (
            [
                {"type": "pull_request", "parameters": {"required_approving_review_count": 0}},
                {"type": "non_fast_forward"},
                {"type": "deletion"},
            ],
            NOT_FOUND,
            Check(BRANCH, State.MISSING, "not enforced: pull_request"),
        ),
        (
            Unreadable(401, "Requires authentication"),
            Unreadable(401, "Requires authentication"),
            Check(BRANCH, State.UNKNOWN, "cannot read it (HTTP 401: Requires authentication)"),
        ),
    ],
    ids=["rulesets", "classic", "unprotected", "deletable", "no approval", "unreadable"],
)
def test_the_release_branch_needs_reviews_and_no_force_push_or_deletion(rules, classic, expected):
    assert branch_check("main", rules, classic) == expected


def test_a_repository_with_every_setting_reads_all_set():
    base = f"/repos/{REPOSITORY}"
    answers = {
        f"{base}/rulesets?includes_parents=true": answer("rulesets"),
        f"{base}/rulesets/42": answer("ruleset_release_tags"),
        f"{base}/actions/oidc/customization/sub": answer("oidc_sub_customised"),
        f"{base}/environments/production": answer("environment_protected"),
        f"{base}/environments/production/deployment-branch-policies": answer(
            "deployment_branch_policies"
        ),
        f"{base}/rules/branches/main": answer("branch_rules_main"),
        f"{base}/branches/main/protection": NOT_FOUND,
    }
    asked = []

    def get(path: str) -> object:
        asked.append(path)
        return answers[path]

    checks = check_repository(get, REPOSITORY, "production", "main", "v*")
    assert [c.state for c in checks] == [State.SET] * 5
    assert sorted(asked) == sorted(answers)
    assert report(REPOSITORY, checks, authenticated=True) == "\n".join(
        [
            f"GitHub settings of {REPOSITORY} that complete the deploy role's trust:",
            f"  set      {SUBJECT}",
            f"  set      {REVIEWERS}",
            f"  set      {REFS}",
            f"  set      {TAGS}",
            f"  set      {BRANCH}",
        ]
    )


def test_without_a_token_the_report_says_how_to_read_the_rest():
    checks = [Check(SUBJECT, State.UNKNOWN, "cannot read it (HTTP 404: Not Found)")]
    assert report(REPOSITORY, checks, authenticated=False).splitlines() == [
        f"GitHub settings of {REPOSITORY} that complete the deploy role's trust:",
        f"  unknown  {SUBJECT}: cannot read it (HTTP 404: Not Found)",
        "Set GITHUB_TOKEN (a token that can read the repository's settings) to read the rest.",
    ]


def test_without_a_repository_nothing_is_asked(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([], environ={})
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith(
        "error: name the repository: --repository owner/name (or GITHUB_REPOSITORY=owner/name)\n"
    )
