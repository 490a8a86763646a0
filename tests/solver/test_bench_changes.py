"""``paichan bench changes``: changes that ask less of the shop, assessed two ways."""

from __future__ import annotations

import json

import pytest

from tests.solver.test_solve_cli import paichan


def test_each_change_is_assessed_both_ways_and_paichan_delays_nobody(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert paichan(["bench", "changes", "--late", "2", "--on-time", "1", "--deadline", "0.4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["changes"]
    orders = {r["order"] for r in rows}
    assert len(orders) == 3 and out["late"] >= 2
    for ref in orders:
        for kind in {r["kind"] for r in rows if r["order"] == ref}:
            assert sorted(r["way"] for r in rows if r["order"] == ref and r["kind"] == kind) == [
                "objective alone",
                "paichan",
            ]
    mine = [r for r in rows if r["way"] == "paichan"]
    assert mine and all(r["others_later"] == 0 and r["newly_late"] == 0 for r in mine)
    for s in out["summary"]:
        same = [r for r in rows if r["kind"] == s["kind"] and r["way"] == s["way"]]
        assert s["changes"] == len(same) and s["newly_late"] == sum(r["newly_late"] for r in same)


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert paichan(["bench", "changes", "--on-time", "-1"]) == 2
    assert "--on-time" in capsys.readouterr().err
