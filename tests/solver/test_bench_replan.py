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


def test_a_factory_with_machine_groups_on_late_shifts(capsys: pytest.CaptureFixture[str]) -> None:
    """``--late-groups``: those groups work 16:00-08:00, the others 08:00-24:00; every plan the
    bench makes passes the calendar check (a re-plan raises otherwise) and the rules' plans stay
    candidates."""
    assert paichan(["bench", "replan", "--orders", "40", "--machines", "8", "--groups", "3", "--seed", "3",
                    "--late-groups", "1", "--long", "0", "--rushes", "2", "--deadline", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    wt = out["weighted_tardiness"]
    assert wt["paichan_0.5s"] <= min(wt["fifo"], wt["edd"], wt["atc"])
    assert out["rush"]["count"] == 2


def test_generated_late_groups_share_the_hours_on_another_calendar() -> None:
    from datetime import UTC, datetime

    from scheduler_core.domain.calendar import LATE_SHIFTS, TWO_SHIFTS
    from scheduler_core.domain.generate import FactorySpec, generate_factory

    factory = generate_factory(FactorySpec(groups=4, machines=8, orders=10, late_groups=2),
                               datetime(2026, 11, 23, tzinfo=UTC))
    on_late = {m.group for m in factory.machines if m.calendar == LATE_SHIFTS.name}
    assert len(on_late) == 2 and len({m.group for m in factory.machines}) == 4
    assert LATE_SHIFTS.weekly_minutes == TWO_SHIFTS.weekly_minutes  # the same capacity, eight hours later
    assert set(factory.calendars) == {LATE_SHIFTS.name, TWO_SHIFTS.name}
