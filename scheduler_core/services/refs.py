"""Order references: one canonical form, letters, a hyphen and the number: ``SO-1042``, ``WO-778``.

A factory numbers its orders its own way ("WO778", "XS-20261127001", "PO-2026-0042"); those keep
their letters.
A number alone, or after a word that only says "order" (订单, order, #), is paichan's own
numbering, ``SO-``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from .errors import InvalidInput

__all__ = ["DEFAULT_PREFIX", "MAX_TEXT", "clean_text", "is_number_alone", "main_prefixes", "normalise_ref"]

MAX_TEXT = 2000
_REF = re.compile(r"^\s*(?:订单|單|单|order)?\s*[-#:：]?\s*(\d{1,9})\s*$", re.IGNORECASE)
_PREFIXED = re.compile(r"^\s*([A-Za-z]{1,6})\s*[-_#:：]?\s*(\d{1,12})((?:[-/]\d{1,12}){0,2})\s*$")
DEFAULT_PREFIX = "SO"


def normalise_ref(text: str, default: str = DEFAULT_PREFIX) -> str:
    """``so1042``, ``SO 1042``, ``订单1042``, ``#1042``, ``1042`` -> ``SO-1042``; a factory's own
    letters stay: ``wo778`` / ``WO-778`` -> ``WO-778``, ``XS20261127001`` -> ``XS-20261127001``
    (one to six letters, up to twelve digits; leading zeros are not part of the number), with up
    to two more groups of digits as some systems number orders: ``PO-2026-0042`` and
    ``po2026/42`` -> ``PO-2026-42``. A
    number alone or after a word that only says "order" takes the ``default`` letters (a
    factory whose orders are WO-...: ``normalise_ref("778", "WO")`` -> ``WO-778``).

    Raises:
        InvalidInput: not an order reference.
    """
    m = _REF.match(text or "")
    if m:
        return f"{default.upper()}-{int(m.group(1))}"
    m = _PREFIXED.match(text or "")
    if m:
        groups = "".join(f"-{int(g)}" for g in re.split(r"[-/]", m.group(3))[1:])  # "SO-2026-0042": SO-2026-42
        return f"{m.group(1).upper()}-{int(m.group(2))}{groups}"
    raise InvalidInput("bad_order_ref", ref=(text or "")[:40])


def is_number_alone(text: str) -> bool:
    """``1042``, ``#1042``, ``订单1042``: a number that takes a factory's main letters."""
    return bool(_REF.match(text or ""))


def main_prefixes(refs: Iterable[str]) -> tuple[str, ...]:
    """The letters of ``refs`` (``WO-778`` -> ``WO``), the most used first, ties by letters."""
    count = Counter(r.split("-", 1)[0] for r in refs if "-" in r)
    return tuple(p for p, _ in sorted(count.items(), key=lambda kv: (-kv[1], kv[0])))


def clean_text(text: str, *, limit: int = MAX_TEXT) -> str:
    """Free text from a user: stripped, control characters removed, length-checked."""
    cleaned = "".join(ch for ch in (text or "") if ch in "\n\t" or ch.isprintable()).strip()
    if len(cleaned) > limit:
        raise InvalidInput("text_too_long", limit=limit)
    return cleaned
