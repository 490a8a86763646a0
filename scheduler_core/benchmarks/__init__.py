"""Public scheduling benchmarks: readers for their file formats, the vendored instances
(``data/``, with their sources and licences in the READMEs) and best-known values."""

from __future__ import annotations

from .catalog import DATA_DIR, FAMILIES, BestKnown, Instance, bks, family_instances, load, wt_values
from .readers import count_taillard, count_wt, read_fjs, read_jsp, read_taillard, read_wt

__all__ = [
    "DATA_DIR",
    "FAMILIES",
    "BestKnown",
    "Instance",
    "bks",
    "count_taillard",
    "count_wt",
    "family_instances",
    "load",
    "read_fjs",
    "read_jsp",
    "read_taillard",
    "read_wt",
    "wt_values",
]
