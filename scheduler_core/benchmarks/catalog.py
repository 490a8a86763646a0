"""The vendored benchmark instances (``data/``), their families and best-known values."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scheduler_core.planning.problem import Problem

from .readers import count_taillard, count_wt, read_fjs, read_jsp, read_taillard, read_wt

__all__ = [
    "DATA_DIR",
    "FAMILIES",
    "BestKnown",
    "Instance",
    "bks",
    "family_instances",
    "load",
    "wt_values",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
_FJS = DATA_DIR / "flexible-jobshop"
_JSP = DATA_DIR / "jobshop"
_WT = DATA_DIR / "weighted-tardiness"


@dataclass(frozen=True, slots=True)
class BestKnown:
    """A best-known objective value; ``optimal`` when proven, ``lower_bound`` if published."""

    value: int
    optimal: bool
    lower_bound: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Instance:
    """One benchmark instance: ``fmt`` is the ``paichan solve --format`` value and
    ``index`` the 1-based position inside a multi-instance file (``--instance``)."""

    name: str
    path: Path
    fmt: str
    index: int = 1
    bks_family: str = ""

    def load(self) -> Problem:
        return load(self.path, self.fmt, self.index)


def load(path: str | Path, fmt: str, index: int = 1, jobs: int | None = None) -> Problem:
    """Read ``path`` in format ``fmt`` (``fjs``, ``jsp``, ``taillard``, ``wt``); ``jobs``: the
    number of jobs per instance of a ``wt`` file (default: the number in its name)."""
    readers: dict[str, Callable[[], Problem]] = {
        "fjs": lambda: read_fjs(path),
        "jsp": lambda: read_jsp(path),
        "taillard": lambda: read_taillard(path, index),
        "wt": lambda: read_wt(path, index, jobs),
    }
    if fmt not in readers:
        raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(readers)}")
    return readers[fmt]()


def _files(folder: Path, pattern: str, fmt: str, prefix: str, family: str) -> list[Instance]:
    return [Instance(prefix + p.stem, p, fmt, 1, family) for p in sorted(folder.glob(pattern))]


def _jsp_named(prefix: str) -> Callable[[], list[Instance]]:
    return lambda: _files(_JSP / "instances", f"{prefix}*.txt", "jsp", "", "jobshop")


def _wt(size: int) -> list[Instance]:
    path = _WT / "orlib" / f"wt{size}.txt"
    return [Instance(f"wt{size}-{k:03d}", path, "wt", k, "weighted-tardiness") for k in range(1, count_wt(path) + 1)]


def _taillard() -> list[Instance]:
    out = []
    for path in sorted((_JSP / "taillard-original").glob("*.txt")):
        for k in range(1, count_taillard(path) + 1):
            out.append(Instance(read_taillard(path, k).name, path, "taillard", k, "jobshop"))
    return out


FAMILIES: dict[str, Callable[[], list[Instance]]] = {
    "mk": lambda: _files(_FJS / "brandimarte", "mk0*.fjs", "fjs", "", "flexible-jobshop")
    + _files(_FJS / "brandimarte", "mk10.fjs", "fjs", "", "flexible-jobshop"),
    "mk-all": lambda: _files(_FJS / "brandimarte", "*.fjs", "fjs", "", "flexible-jobshop"),
    "edata": lambda: _files(_FJS / "hurink" / "edata", "*.fjs", "fjs", "edata/", "flexible-jobshop"),
    "sdata": lambda: _files(_FJS / "hurink" / "sdata", "*.fjs", "fjs", "sdata/", "flexible-jobshop"),
    "jsp": lambda: _files(_JSP / "instances", "*.txt", "jsp", "", "jobshop"),
    "ft": _jsp_named("ft"),
    "la": _jsp_named("la"),
    "abz": _jsp_named("abz"),
    "orb": _jsp_named("orb"),
    "swv": _jsp_named("swv"),
    "yn": _jsp_named("yn"),
    "ta": _jsp_named("ta"),
    "taillard": _taillard,
    "wt40": lambda: _wt(40),
    "wt50": lambda: _wt(50),
    "wt100": lambda: _wt(100),
}
"""Bench families: name -> the instances, in order. ``mk`` is Brandimarte mk01-mk10."""


def family_instances(family: str) -> list[Instance]:
    """The instances of ``family`` (a key of :data:`FAMILIES`)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {sorted(FAMILIES)}")
    return FAMILIES[family]()


def bks(family: str) -> dict[str, BestKnown]:
    """Best-known values by instance name, from the family folder's ``bks.csv``.

    ``family`` is a data folder (``flexible-jobshop``, ``jobshop``, ``weighted-tardiness``)
    or a bench family (``mk``, ``wt40`` ...), which selects its folder. Weighted-tardiness
    names are ``wtNN-KKK`` (1-based position in the OR-Library file); the values equal
    those of the OR-Library value files (see :func:`wt_values`).
    """
    folder = family
    if family in FAMILIES:
        insts = FAMILIES[family]()
        folder = insts[0].bks_family if insts else ""
    path = DATA_DIR / folder / "bks.csv"
    if not path.is_file():
        raise ValueError(f"no best-known values for {family!r}")
    out: dict[str, BestKnown] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            lb = (row.get("lower_bound") or "").strip()
            out[row["instance"]] = BestKnown(
                value=int(row["best_known"]),
                optimal=row["optimal_proven"].strip().lower() == "yes",
                lower_bound=int(lb) if lb else None,
                source=row.get("source", ""),
            )
    return out


def wt_values(size: int) -> list[int]:
    """OR-Library values for ``wt{size}``: ``wtopt40/50`` (optimal or best known) and
    ``wtbest100b`` (best known after iterated dynasearch), in instance order."""
    name = f"wtopt{size}.txt" if size in (40, 50) else f"wtbest{size}b.txt"
    return [int(tok) for tok in (_WT / "orlib" / name).read_text().split()]
