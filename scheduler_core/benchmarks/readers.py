"""Readers for the public benchmark formats; each returns a :class:`Problem`.

Machine names are the machine numbers exactly as written in the file (FJSPLIB and
Taillard: 1-based; JSPLIB standard: 0-based), so ``int(problem.machines[mode.machine])``
turns a model machine index back into the file's number. Jobs and operations keep their
0-based positions in the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ParamSpec

from scheduler_core.planning.problem import Job, Mode, Op, Problem

__all__ = [
    "count_taillard",
    "count_wt",
    "read_fjs",
    "read_jsp",
    "read_taillard",
    "read_wt",
]


def _numbers(lines: Iterable[str]) -> list[int]:
    try:
        return [int(float(tok)) for line in lines for tok in line.split()]
    except ValueError as exc:
        raise ValueError(f"not a number in the file: {exc}") from None


_P = ParamSpec("_P")


def _truncation_is_value_error(read: Callable[_P, Problem]) -> Callable[_P, Problem]:
    """Reading past the end of a file's numbers becomes a clear ``ValueError``."""

    @functools.wraps(read)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Problem:
        try:
            return read(*args, **kwargs)
        except IndexError:
            raise ValueError("the file ends too early (truncated or wrong format)") from None

    return wrapper


def _content_lines(path: str | Path) -> list[str]:
    """Non-empty lines, without ``#`` comment lines (JSPLIB headers)."""
    text = Path(path).read_text()
    return [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def _problem(name: str, routes: list[list[list[tuple[int, int]]]], machines: list[str]) -> Problem:
    """Build a makespan problem from ``routes[job][op] = [(machine index, duration), ...]``.

    A duration may be zero (orb07 and the Hurink orb7 copies have one): that operation
    takes no time, but still may not sit strictly inside another one on its machine (as
    the independent checker reads the file).

    Raises:
        ValueError: a negative duration or a machine outside the file's machine count.
    """
    for j, route in enumerate(routes):
        for k, alts in enumerate(route):
            if any(d < 0 for _, d in alts):
                raise ValueError(f"{name}: operation {j}/{k} has a negative duration")
            if any(not 0 <= m < len(machines) for m, _ in alts):
                raise ValueError(f"{name}: operation {j}/{k} names a machine the file does not have")
    jobs = []
    for j, route in enumerate(routes):
        ops = tuple(
            Op(j, k, tuple(Mode(m, d) for m, d in alts), name=f"{j}/{k}") for k, alts in enumerate(route)
        )
        jobs.append(Job(key=str(j), ops=ops))
    return Problem(tuple(jobs), tuple(machines), objective="makespan", name=name)


@_truncation_is_value_error
def read_fjs(path: str | Path) -> Problem:
    """Read an FJSPLIB (``.fjs``) flexible job shop instance.

    Format: ``n m [avg]`` then per job ``nops`` and per operation ``k m_1 p_1 ... m_k p_k``
    with machines numbered 1..m. A machine listed twice for one operation keeps its last
    duration (as the independent checker reads it).
    """
    lines = _content_lines(path)
    nums = _numbers(lines)
    n, m = nums[0], nums[1]
    pos = 3 if len(lines[0].split()) >= 3 else 2
    routes: list[list[list[tuple[int, int]]]] = []
    for _ in range(n):
        nops = nums[pos]
        pos += 1
        route = []
        for _ in range(nops):
            k = nums[pos]
            pos += 1
            alts: dict[int, int] = {}
            for _ in range(k):
                alts[nums[pos] - 1] = nums[pos + 1]
                pos += 2
            route.append(sorted(alts.items()))
        routes.append(route)
    return _problem(Path(path).stem, routes, [str(i + 1) for i in range(m)])


@_truncation_is_value_error
def read_jsp(path: str | Path) -> Problem:
    """Read a job shop instance in the JSPLIB standard format (machines 0-based).

    Format: optional ``#`` comment lines, ``n m``, then per job ``m`` pairs
    ``machine duration`` in processing order.
    """
    nums = _numbers(_content_lines(path))
    n, m = nums[0], nums[1]
    pos = 2
    routes = []
    for _ in range(n):
        route = []
        for _ in range(m):
            route.append([(nums[pos], nums[pos + 1])])
            pos += 2
        routes.append(route)
    return _problem(Path(path).stem, routes, [str(i) for i in range(m)])


_TAILLARD_FIRST = {"tai015_15": 1, "tai020_15": 11, "tai020_20": 21, "tai030_15": 31,
                   "tai050_15": 41, "tai050_20": 51, "tai100_20": 71}


def _taillard_blocks(path: str | Path) -> list[list[str]]:
    """Split a Taillard file into instance blocks, each starting at its ``Nb of jobs`` line."""
    blocks: list[list[str]] = []
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        if line.strip().lower().startswith("nb of jobs"):
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
    return blocks


def count_taillard(path: str | Path) -> int:
    """Number of instances in a Taillard original file."""
    return len(_taillard_blocks(path))


@_truncation_is_value_error
def read_taillard(path: str | Path, instance: int = 1) -> Problem:
    """Read instance ``instance`` (1-based) of a file in Taillard's original format.

    Each block: a header line, ``n m time_seed machine_seed UB LB``, ``Times``, ``n`` rows of
    ``m`` durations, ``Machines``, ``n`` rows of ``m`` machine numbers (1-based). Machines
    are named by the numbers written (1..m). Files named ``taiNNN_MM`` are known to hold
    ta01-ta80, and their instances are named ``taNN``.
    """
    blocks = _taillard_blocks(path)
    if not 1 <= instance <= len(blocks):
        raise ValueError(f"{path}: instance {instance} out of 1..{len(blocks)}")
    lines = [ln for ln in blocks[instance - 1] if ln.strip().lower() not in ("times", "machines")]
    nums = _numbers(lines)
    n, m = nums[0], nums[1]
    times = nums[6 : 6 + n * m]
    machs = nums[6 + n * m : 6 + 2 * n * m]
    if len(machs) != n * m:
        raise ValueError(f"{path}: instance {instance} is truncated")
    routes = [[[(machs[j * m + k] - 1, times[j * m + k])] for k in range(m)] for j in range(n)]
    stem = Path(path).stem
    first = _TAILLARD_FIRST.get(stem)
    name = f"ta{first + instance - 1:02d}" if first is not None else f"{stem}#{instance}"
    return _problem(name, routes, [str(i + 1) for i in range(m)])


def _wt_size(path: str | Path, n: int | None) -> int:
    if n is not None:
        return n
    found = re.search(r"(\d+)", Path(path).stem)
    if not found:
        raise ValueError(f"{path}: the number of jobs per instance is not in the file name (as in wt40.txt): "
                         "give it (--jobs N)")
    return int(found.group(1))


def count_wt(path: str | Path, n: int | None = None) -> int:
    """Number of instances in an OR-Library weighted tardiness file (``wtNN.txt``)."""
    size = _wt_size(path, n)
    return len(_numbers(Path(path).read_text().splitlines())) // (3 * size)


@_truncation_is_value_error
def read_wt(path: str | Path, instance: int, n: int | None = None) -> Problem:
    """Read instance ``instance`` (1-based) of an OR-Library ``wtNN.txt`` file.

    The file is a stream of integers: per instance ``n`` processing times, ``n`` weights,
    ``n`` due dates (``n`` from the file name unless given). The result is a one-machine
    problem (machine named ``"1"``) with one single-operation job per job, release 0,
    objective ``weighted_tardiness``; named ``wtNN-KKK``.
    """
    size = _wt_size(path, n)
    nums = _numbers(Path(path).read_text().splitlines())
    count = len(nums) // (3 * size)
    if not 1 <= instance <= count:
        raise ValueError(f"{path}: instance {instance} out of 1..{count}")
    base = (instance - 1) * 3 * size
    p = nums[base : base + size]
    w = nums[base + size : base + 2 * size]
    d = nums[base + 2 * size : base + 3 * size]
    jobs = tuple(
        Job(key=str(j), ops=(Op(j, 0, (Mode(0, p[j]),), name=f"{j}/0"),), due=d[j], weight=w[j])
        for j in range(size)
    )
    return Problem(jobs, ("1",), objective="weighted_tardiness", name=f"{Path(path).stem}-{instance:03d}")
