"""Benchmark readers and the vendored data: every file parses, counts match the sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler_core.benchmarks.catalog import (
    DATA_DIR,
    FAMILIES,
    bks,
    family_instances,
    load,
    wt_values,
)
from scheduler_core.benchmarks.readers import (
    count_taillard,
    count_wt,
    read_fjs,
    read_jsp,
    read_taillard,
    read_wt,
)

FJS = DATA_DIR / "flexible-jobshop"
JSP = DATA_DIR / "jobshop"
WT = DATA_DIR / "weighted-tardiness" / "orlib"


@pytest.mark.parametrize(
    ("family", "count", "ops"),
    [
        ("mk", 10, 1414),
        ("mk-all", 15, 2578),
        ("edata", 66, 8804),
        ("sdata", 66, 8804),
        ("jsp", 122, 31186),
        ("taillard", 40, 13750),
        ("wt40", 125, 125 * 40),
        ("wt50", 125, 125 * 50),
        ("wt100", 125, 125 * 100),
    ],
)
def test_every_vendored_instance_of_a_family_parses(family: str, count: int, ops: int) -> None:
    insts = family_instances(family)
    assert len(insts) == count
    assert sum(inst.load().n_ops for inst in insts) == ops
    known = bks(family)
    assert all(inst.name in known for inst in insts)


def test_every_vendored_file_is_reachable() -> None:
    files = {p.resolve() for p in DATA_DIR.rglob("*") if p.suffix in (".fjs", ".txt") and "orlib" not in p.parts}
    files -= {p.resolve() for p in (JSP / "taillard-original").glob("*.txt")}
    reached = {i.path.resolve() for fam in FAMILIES for i in family_instances(fam)}
    assert files - reached == set()


def test_a_zero_length_operation_is_read_as_written() -> None:
    p = read_jsp(JSP / "instances" / "orb07.txt")
    zero = [(op.job, op.index) for job in p.jobs for op in job.ops if op.modes[0].duration == 0]
    assert len(zero) == 1


def test_negative_durations_and_unknown_machines_are_rejected_clearly(tmp_path: Path) -> None:
    neg = tmp_path / "neg.txt"
    neg.write_text("2 2\n0 3 1 -4\n1 2 0 5\n")
    with pytest.raises(ValueError, match="negative duration"):
        read_jsp(neg)
    far = tmp_path / "far.fjs"
    far.write_text("1 2\n1 1 3 5\n")
    with pytest.raises(ValueError, match="machine the file does not have"):
        read_fjs(far)


def test_fjs_keeps_machine_numbers_as_written() -> None:
    p = read_fjs(FJS / "brandimarte" / "mk01.fjs")
    assert (len(p.jobs), len(p.machines), p.n_ops) == (10, 6, 55)
    assert p.machines == ("1", "2", "3", "4", "5", "6")
    first = p.jobs[0].ops[0]  # "2  1 5  3 4": machine 1 for 5, machine 3 for 4
    assert [(p.machines[m.machine], m.duration) for m in first.modes] == [("1", 5), ("3", 4)]
    assert p.objective == "makespan" and p.name == "mk01"


def test_jsp_machines_are_zero_based_as_written() -> None:
    p = read_jsp(JSP / "instances" / "ft06.txt")
    assert (len(p.jobs), p.n_ops, p.machines[0]) == (6, 36, "0")
    assert [(p.machines[op.modes[0].machine], op.modes[0].duration) for op in p.jobs[0].ops[:2]] == [("2", 1), ("0", 3)]


def test_taillard_original_equals_jsplib_copy() -> None:
    path = JSP / "taillard-original" / "tai015_15.txt"
    assert count_taillard(path) == 10
    orig = read_taillard(path, 1)
    copy = read_jsp(JSP / "instances" / "ta01.txt")
    assert orig.name == "ta01" and orig.machines[0] == "1"

    def routes(p: object) -> list[list[tuple[int, int]]]:
        return [[(int(p.machines[op.modes[0].machine]), op.modes[0].duration) for op in job.ops]  # type: ignore[attr-defined]
                for job in p.jobs]  # type: ignore[attr-defined]  # fmt: skip

    assert [[(m - 1, d) for m, d in r] for r in routes(orig)] == routes(copy)


def test_wt_instances_follow_the_orlib_layout() -> None:
    assert count_wt(WT / "wt40.txt") == 125
    p = read_wt(WT / "wt40.txt", 1)
    assert p.name == "wt40-001" and p.objective == "weighted_tardiness" and p.machines == ("1",)
    j0 = p.jobs[0]
    assert (j0.ops[0].modes[0].duration, j0.weight, j0.due) == (26, 1, 1588)
    assert load(WT / "wt100.txt", "wt", 125).n_ops == 100
    with pytest.raises(ValueError):
        read_wt(WT / "wt40.txt", 126)


def test_best_known_values() -> None:
    mk = bks("mk")
    assert mk["mk10"].value == 193 and not mk["mk10"].optimal and mk["mk10"].lower_bound == 189
    assert mk["mk01"].value == 40 and mk["mk01"].optimal
    assert bks("jsp")["ft06"].value == 55
    for size in (40, 50, 100):
        values = wt_values(size)
        table = bks(f"wt{size}")
        assert [table[f"wt{size}-{k:03d}"].value for k in range(1, 126)] == values
    assert wt_values(40)[0] == 913 and sum(v == 0 for v in wt_values(40)) == 18
