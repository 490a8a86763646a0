"""``paichan bench stability``: successive re-plans, each published in turn."""

from __future__ import annotations

import json

import pytest

from tests.solver.test_solve_cli import paichan


def test_successive_replans_are_chained_and_counted(capsys: pytest.CaptureFixture[str]) -> None:
    assert paichan(["bench", "stability", "--replans", "3", "--every", "30", "--deadline", "0.5", "--stop", "60",
                    "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["replans"]
    assert [r["minutes"] for r in rows] == [30, 60, 90]
    for before, after in zip(rows, rows[1:]):  # each re-plan starts from the plan the one before published
        assert after["weighted_tardiness_before"] == before["weighted_tardiness"]
    assert all(0 <= r["moved_ops"] <= out["operations"] and 0 <= r["eta_changes"] <= out["orders"] for r in rows)
    assert out["plan_kept"] == sum(r["moved_ops"] == 0 for r in rows)
    assert out["max_moved_ops"] == max(r["moved_ops"] for r in rows)


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert paichan(["bench", "stability", "--replans", "0"]) == 2
    assert "--replans" in capsys.readouterr().err
