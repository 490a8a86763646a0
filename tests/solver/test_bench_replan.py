"""``paichan bench replan``: the rules, paichan, and rush insertions with their two floors."""

from __future__ import annotations

import json

import pytest

from tests.solver.test_solve_cli import paichan


def test_rush_insertions_are_reported_beside_both_insertion_floors(capsys: pytest.CaptureFixture[str]) -> None:
    assert paichan(["bench", "replan", "--orders", "40", "--machines", "8", "--groups", "3", "--seed", "2", "--tightness", "0.5",
                    "--long", "0", "--rushes", "3", "--deadline", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    wt = out["weighted_tardiness"]
    assert set(wt) == {"fifo", "edd", "atc", "paichan_0.5s"}
    assert wt["paichan_0.5s"] <= min(wt["fifo"], wt["edd"], wt["atc"])  # the rules' plans are candidates
    rush = out["rush"]
    assert rush["count"] == 3 and 0 <= rush["on_time_when_feasible"] <= rush["feasible"] <= 3
    shares = [rush["mean_moved_share"], rush["insertion_only_mean_moved_share"]]
    assert rush["latest_insertion_count"] <= rush["feasible"]
    if rush["latest_insertion_count"]:
        shares.append(rush["latest_insertion_mean_moved_share"])
    assert all(0 <= x <= 1 for x in shares)
    added = rush["others_tardiness_added"]
    assert 0 < added["count"] <= rush["latest_insertion_count"]  # this factory has rushes on time in all three
    assert all(isinstance(added[k], int) for k in ("paichan", "insertion_only", "latest_insertion"))
