"""Every kind of outbox row the product queues has its own text, in both languages; a kind
without one is refused, never sent as something else."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler_core.reports.i18n import translator
from scheduler_core.reports.notify import KINDS, render_notification

_DUE, _ETA = "2026-12-07T10:00:00+00:00", "2026-12-08T02:00:00+00:00"
PAYLOADS: dict[str, dict[str, Any]] = {
    "delay": {"ref": "SO-1042", "due": _DUE, "old_eta": None, "new_eta": _ETA, "late_by_minutes": 960, "version": 7},
    "delay_sales": {"ref": "SO-1042", "due": _DUE, "old_eta": None, "new_eta": _ETA, "late_by_minutes": 960,
                    "version": 7, "customer": "ACME Tools"},
    "delay_sales_digest": {"orders": [
        {"ref": "SO-1042", "due": _DUE, "new_eta": _ETA, "late_by_minutes": 960, "customer": "ACME Tools"},
        {"ref": "SO-1043", "due": _DUE, "new_eta": _ETA, "late_by_minutes": 960, "customer": "Bolt", "vip": True,
         "cause": {"kind": "machine_down", "machine": "CNC-2", "until": _ETA}}]},
    "on_track": {"ref": "SO-1042", "due": _DUE, "new_eta": _DUE, "version": 8, "customer": "ACME Tools"},
    "survey": {"ref": "SO-1042", "customer": "ACME Tools", "product": "BR-1", "quantity": 120, "delivered": _DUE},
    "survey_reminder": {"ref": "SO-1042", "customer": "ACME Tools", "product": "BR-1", "quantity": 120,
                        "delivered": _DUE},
    "low_score": {"ref": "SO-1042", "customer": "ACME Tools", "score": 2, "comment": "late again"},
    "complaint": {"ref": "SO-1042", "customer": "ACME Tools", "text": "scratches on three parts"},
    "handover": {"customer": "ACME Tools", "user": 12, "username": "acme.buyer", "note": "SO-1042: can it be earlier?"},
    "test": {"channel": "wecom"},
}


@pytest.mark.parametrize("lang", ["en", "zh_Hans"])
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "summary"])  # the summary has tests of its own
def test_each_kind_has_its_own_text(kind: str, lang: str) -> None:
    test_title = render_notification("test", PAYLOADS["test"], translator(lang)).title
    msg = render_notification(kind, PAYLOADS[kind], translator(lang))
    assert msg.title and msg.text.startswith(msg.title)
    assert (msg.title == test_title) == (kind == "test")
    if "ref" in PAYLOADS[kind] or kind == "delay_sales_digest":
        assert "SO-1042" in msg.text
    if kind in ("delay_sales", "delay_sales_digest", "low_score", "complaint", "handover"):  # to staff: whose order
        assert "ACME Tools" in msg.text


def test_a_request_for_a_person_tells_the_sales_contact_who_and_what() -> None:
    msg = render_notification("handover", PAYLOADS["handover"], translator("en"))
    assert msg.title == "ACME Tools asks for a person"
    assert "“SO-1042: can it be earlier?”" in msg.text and "acme.buyer" in msg.text
    zh = render_notification("handover", PAYLOADS["handover"], translator("zh_Hans"))
    assert "请求人工联系" in zh.title and "SO-1042: can it be earlier?" in zh.text


def test_a_kind_without_a_text_is_refused() -> None:
    with pytest.raises(ValueError, match="no text"):
        render_notification("mystery", {}, translator("en"))


@pytest.mark.parametrize(("lang", "delivered", "said"), [
    ("en", 4, "On time yesterday: 75% of 4 delivered; last 7 days: 81% of 21."),
    ("en", 0, "Nothing was delivered yesterday; last 7 days: 81% on time of 21."),
    ("zh_Hans", 0, "昨日无交付；近 7 天：准时率 81%（交付 21 单）。"),
])
def test_the_summary_says_a_day_without_deliveries_plainly(lang: str, delivered: int, said: str) -> None:
    from datetime import UTC

    from scheduler_core.reports.notify import render_summary

    payload = {"date": "2026-11-30", "delivered_yesterday": delivered, "on_time_yesterday": 0.75 if delivered else None,
               "delivered_7d": 21, "on_time_7d": 0.81}
    text = render_summary(payload, translator(lang), UTC).text
    assert said in text.replace("81 %", "81%"), text
    assert "– of 0" not in text


def test_a_digest_lists_an_order_warned_about_twice_once_as_the_newest_plan_has_it() -> None:
    # a publication (version 7) and the watch after it (version 8) both queued SO-1042 for its salesperson
    older = {"ref": "SO-1042", "due": _DUE, "new_eta": _ETA, "late_by_minutes": 960, "version": 7, "customer": "ACME"}
    newer = {**older, "new_eta": "2026-12-08T08:00:00+00:00", "late_by_minutes": 1320, "version": 8, "vip": True}
    other = {"ref": "SO-1043", "due": _DUE, "new_eta": _ETA, "late_by_minutes": 60, "version": 7, "customer": "Bolt"}
    for rows in ([older, other, newer], [newer, other, older]):
        msg = render_notification("delay_sales_digest", {"orders": rows}, translator("en"))
        assert msg.title == "2 of your orders slip"
        lines = [line for line in msg.text.splitlines() if "SO-1042" in line]
        assert len(lines) == 1 and lines[0].startswith("• ★ SO-1042") and "22 hours late" in lines[0], msg.text
