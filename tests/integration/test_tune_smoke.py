"""make tune's plumbing end to end: two sizes, one sample of each kind, through the real runtime
client under each size's CPU quota. Checks what was measured and written, never how fast: a goal
of 0 ms is one no size can meet, so the choice is known whatever the machine's load."""

from __future__ import annotations

import json

import pytest

from layer.interpreters import find_interpreter
from tools.benchmarks.tune import Goal, TuneSettings, run, write
from tools.local_lambda.cpu_quota import CpuLimit

UNAVAILABLE = CpuLimit().available()


@pytest.mark.slow
@pytest.mark.skipif(bool(UNAVAILABLE), reason=f"no CPU quota here: {UNAVAILABLE}")
def test_two_sizes_measured_under_their_quotas_and_written(model_dir, tmp_path):
    if not find_interpreter("python3.13").matches_runtime:
        pytest.skip("python3.13 is not installed here")
    lines: list[str] = []
    settings = TuneSettings(sizes=(512, 1769), cold_starts=1, warm_rounds=2, goal=Goal(0.0))
    measured = run(settings, lines.append, model_dir)
    assert [r.memory_mb for r in measured.results] == [512, 1769]
    assert [r.cpus for r in measured.results] == [512 / 1769, 1.0]
    assert measured.batch_label == "1000 rows"
    for result in measured.results:
        [cold] = result.cold
        assert cold.init_ms > 0 and cold.peak_rss_mb > 0
        assert {label: len(ms) for label, ms in result.warm_ms.items()} == {
            "1 row": 2,
            "1000 rows": 2,
        }
        assert result.warm_peak_rss_mb > 0
    assert len(lines) == 4
    assert measured.chosen_mb is None
    text = write(measured, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tune.json", "tune.md"]
    assert (tmp_path / "tune.md").read_text() == text
    assert text.count("| misses the goal |") == 2
    assert json.loads((tmp_path / "tune.json").read_text())["chosen_mb"] is None
