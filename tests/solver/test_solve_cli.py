"""``paichan solve`` / ``paichan bench solver``: output checked by the independent checker."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import bench as bench_cli
from bot.cli import solve as solve_cli
from scheduler_core.benchmarks.catalog import DATA_DIR

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CHECKER = SHARED / "tools" / "check_solution.py"


def checker() -> Path:
    if not CHECKER.is_file():
        pytest.fail(f"independent checker not found at {CHECKER.resolve()}: the shared/ folder must sit beside "
                    "the repository root (../shared)")  # fmt: skip
    return CHECKER


def paichan(argv: list[str]) -> int:
    """Run our subcommands the way ``bot.cli`` registers them."""
    parser = argparse.ArgumentParser(prog="paichan")
    sub = parser.add_subparsers(dest="command", required=True)
    solve_cli.register(sub)
    bench_cli.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.mark.parametrize(
    ("path", "fmt", "best"),
    [
        (DATA_DIR / "jobshop" / "instances" / "ft06.txt", "jsp", 55),
        (DATA_DIR / "flexible-jobshop" / "brandimarte" / "mk01.fjs", "fjs", 40),
        (DATA_DIR / "flexible-jobshop" / "hurink" / "edata" / "la01.fjs", "fjs", 609),
        (DATA_DIR / "jobshop" / "instances" / "orb07.txt", "jsp", 397),  # has a zero-length operation
    ],
)
def test_solve_json_passes_the_independent_checker(
    path: Path, fmt: str, best: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert paichan(["solve", str(path), "--format", fmt, "--time-limit", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"instance", "objective", "value", "status", "lower_bound", "seconds", "operations"}
    assert doc["objective"] == "makespan" and doc["status"] in ("optimal", "feasible", "fallback")
    out = tmp_path / "plan.json"
    out.write_text(json.dumps(doc))
    res = subprocess.run([sys.executable, str(checker()), str(path), fmt, str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert int(res.stdout.strip()) == doc["value"] >= best


def test_solve_weighted_tardiness_instance(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA_DIR / "weighted-tardiness" / "orlib" / "wt40.txt"
    assert paichan(["solve", str(path), "--format", "wt", "--instance", "2", "--time-limit", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["instance"] == "wt40-002" and doc["objective"] == "weighted_tardiness"
    assert doc["value"] >= 1225 and len(doc["operations"]) == 40
    assert {o["machine"] for o in doc["operations"]} == {1}


def test_a_weighted_tardiness_file_of_another_name_needs_its_job_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = tmp_path / "instances.txt"
    renamed.write_text((DATA_DIR / "weighted-tardiness" / "orlib" / "wt40.txt").read_text())
    assert paichan(["solve", str(renamed), "--format", "wt", "--time-limit", "0.5"]) == 2
    assert "--jobs N" in capsys.readouterr().err
    assert paichan(["solve", str(renamed), "--format", "wt", "--jobs", "0", "--time-limit", "0.5"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert paichan(["solve", str(renamed), "--format", "wt", "--jobs", "40", "--instance", "2",
                    "--time-limit", "0.5", "--json"]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert doc["instance"] == "instances-002" and len(doc["operations"]) == 40 and doc["value"] >= 1225


def test_solve_summary_and_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA_DIR / "jobshop" / "instances" / "ft06.txt"
    assert paichan(["solve", str(path), "--format", "jsp", "--time-limit", "2"]) == 0
    assert "ft06: makespan 55" in capsys.readouterr().out
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n0 1\n")
    assert paichan(["solve", str(bad), "--format", "jsp", "--time-limit", "1"]) == 2


def test_bench_reports_gaps_for_ours_and_plain(capsys: pytest.CaptureFixture[str]) -> None:
    assert paichan(["bench", "solver", "--family", "mk", "--instances", "mk01", "--time-limit", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (row,) = doc["rows"]
    assert row["instance"] == "mk01" and row["bks"] == 40 and row["ours"] >= 40 and row["plain"] >= 40
    assert doc["summary"]["mean_gap"] == pytest.approx(row["gap"])


def test_bench_counts_zero_best_known_apart(capsys: pytest.CaptureFixture[str]) -> None:
    # wt40 #51 has best known 0
    assert paichan(["bench", "solver", "--family", "wt40", "--instances", "51", "--time-limit", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "wt40-051" in out and "BKS = 0" in out and "solved to 0" in out
