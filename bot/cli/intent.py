"""``paichan intent "TEXT" [--today YYYY-MM-DD] [--products a,b] [--customers a,b] [--machines a,b] [--order-prefixes WO,SO] --json``:
what the free-text parser makes of a message.

Without TEXT, one utterance per line is read from standard input and one JSON object per line
is printed (an empty line gives ``unknown``). Without ``--json`` a short human-readable line is
printed instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any, TextIO

from handlers.intent import Intent, parse

from .options import iso_date

__all__ = ["intent_json", "register", "run"]


def intent_json(intent: Intent) -> dict[str, Any]:
    """The JSON shape of an :class:`Intent` (date as ``YYYY-MM-DD`` or null)."""
    return {
        "intent": intent.intent,
        "order": intent.order,
        "quantity": intent.quantity,
        "product": intent.product,
        "date": intent.date.isoformat() if intent.date else None,
        "customer": intent.customer,
        "language": intent.language,
        "priority": intent.priority,
        "machine": intent.machine,
        "step": intent.step,
        "minutes": intent.minutes,
        "until": intent.until.strftime("%H:%M") if intent.until else None,
        "late": intent.late,
        "daily": intent.daily,
    }


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _emit(intent: Intent, *, as_json: bool, out: TextIO) -> None:
    data = intent_json(intent)
    if as_json:
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        slots = " ".join(f"{k}={v}" for k, v in data.items() if k != "intent" and v not in (None, False))
        out.write(f"{intent.intent}{' ' + slots if slots else ''}\n")


def run(args: argparse.Namespace, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Parse TEXT, or each line of standard input, and print the result."""
    out = out or sys.stdout
    today = args.today or date.today()
    products: list[str] = args.products or []
    customers: list[str] = args.customers or []
    machines: list[str] = args.machines or []
    prefixes: list[str] = args.order_prefixes or []
    if args.text is not None:
        _emit(parse(args.text, today=today, products=products, customers=customers, machines=machines,
                    order_prefixes=prefixes),
              as_json=args.json, out=out)
        return 0
    for line in stdin or sys.stdin:
        result = parse(line.rstrip("\r\n"), today=today, products=products, customers=customers, machines=machines,
                       order_prefixes=prefixes)
        _emit(result, as_json=args.json, out=out)
        out.flush()
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("intent", help="show what the chat parser understands in a message",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", nargs="?", help="the message; without it, one message per line from stdin")
    p.add_argument("--today", type=iso_date, help="the factory's local date (default: today)")
    p.add_argument("--products", type=_names, help="known product names, comma-separated")
    p.add_argument("--customers", type=_names, help="known customer names, comma-separated")
    p.add_argument("--machines", type=_names, help="known machine names, comma-separated")
    p.add_argument("--order-prefixes", type=_names,
                   help="the letters the factory's order numbers start with, the most used first (WO,SO)")
    p.add_argument("--json", action="store_true", help="print one JSON object per message")
    p.set_defaults(func=run)
