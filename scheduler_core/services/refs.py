"""Order references: one canonical form, ``SO-1042``."""

from __future__ import annotations

import re

from .errors import InvalidInput

__all__ = ["MAX_TEXT", "clean_text", "normalise_ref"]

MAX_TEXT = 2000
_REF = re.compile(r"^\s*(?:订单|單|单|order|so)?\s*[-#:：]?\s*(\d{1,9})\s*$", re.IGNORECASE)


def normalise_ref(text: str) -> str:
    """``so1042``, ``SO 1042``, ``订单1042``, ``#1042``, ``1042`` -> ``SO-1042``.

    Raises:
        InvalidInput: not an order reference.
    """
    m = _REF.match(text or "")
    if not m:
        raise InvalidInput("bad_order_ref", ref=(text or "")[:40])
    return f"SO-{int(m.group(1))}"


def clean_text(text: str, *, limit: int = MAX_TEXT) -> str:
    """Free text from a user: stripped, control characters removed, length-checked."""
    cleaned = "".join(ch for ch in (text or "") if ch in "\n\t" or ch.isprintable()).strip()
    if len(cleaned) > limit:
        raise InvalidInput("text_too_long", limit=limit)
    return cleaned
