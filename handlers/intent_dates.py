"""Dates in chat text, in Chinese and English, resolved against the factory's local ``today``.

Relative expressions ("Dec 5", "5号", "下周一", "next friday", "月底") always resolve to a date
>= today ("Dec 5" said in late December means next year's). Fully written dates
("2026-12-05", "2026年12月5日") are taken as written, even in the past, so that a caller can
refuse them. Our own small rules: dateparser takes ~0.3 s to import and milliseconds per call.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from .intent_numbers import cn_to_int

__all__ = ["DateMatch", "find_date", "find_dates", "period_end", "target_date"]

DateMatch = tuple[int, int, date]  # start, end, value

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_WEEKDAYS_EN = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_WEEKDAYS_CN = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_EN_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3}

_CNN = r"[一二两三四五六七八九十]{1,3}"
_NUM = rf"(?:\d{{1,2}}|{_CNN})"
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WD_RE = "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True))
_SMALL_RE = "|".join(sorted(_EN_SMALL, key=len, reverse=True))


def _num(text: str) -> int | None:
    return int(text) if text.isdigit() else cn_to_int(text)


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


def period_end(word: str, today: date) -> date:
    """The last day of a period named for a due-date window: 今天 / today, 明天, 后天, this or
    next week (to its Sunday), this or next month."""
    if word in ("今天", "今日", "today"):
        return today
    if word in ("明天", "明日", "tomorrow"):
        return today + timedelta(days=1)
    if word == "后天":
        return today + timedelta(days=2)
    later = "下" in word or "next" in word
    if "月" in word or "month" in word:
        return _end_of_month(*_add_months(today, 1 if later else 0))
    sunday = today + timedelta(days=6 - today.weekday())
    return sunday + timedelta(days=7) if later else sunday


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(today: date, month: int | None, day: int | None) -> date | None:
    """The first ``month``/``day`` on or after today (next year's when this year's is past)."""
    if month is None or day is None or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    for year in (today.year, today.year + 1, today.year + 2):
        d = _safe(year, month, day)
        if d is not None and d >= today:
            return d
    return None


def _day_of_month(today: date, day: int | None) -> date | None:
    """``5号``: the 5th of this month if not past, else of the next month that has it."""
    if day is None or not 1 <= day <= 31:
        return None
    for ahead in range(0, 3):
        year, month = _add_months(today, ahead)
        d = _safe(year, month, day)
        if d is not None and d >= today:
            return d
    return None


def _weekday(today: date, target: int, weeks_ahead: int) -> date:
    """``周五`` (weeks_ahead 0): the next Friday on or after today; ``下周五`` (1): Friday of
    next week (weeks start on Monday); ``下下周五`` (2): the week after."""
    if weeks_ahead == 0:
        return today + timedelta(days=(target - today.weekday()) % 7)
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return monday + timedelta(days=target)


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], date | None]]


def _iso(m: re.Match[str], today: date) -> date | None:
    return _safe(int(m["y"]), int(m["m"]), int(m["d"]))


def _cn_month_day(m: re.Match[str], today: date) -> date | None:
    year = m["y"]
    if year:
        return _safe(int(year), _num(m["m"]) or 0, _num(m["d"]) or 0)
    return _month_day(today, _num(m["m"]), _num(m["d"]))


def _slash(m: re.Match[str], today: date) -> date | None:
    return _month_day(today, int(m["m"]), int(m["d"]))


def _en_month_day(m: re.Match[str], today: date) -> date | None:
    month = _MONTHS[m["mon"]]
    if m["y"]:
        return _safe(int(m["y"]), month, int(m["d"]))
    return _month_day(today, month, int(m["d"]))


def _en_day_month(m: re.Match[str], today: date) -> date | None:
    return _month_day(today, _MONTHS[m["mon"]], int(m["d"]))


def _cn_day(m: re.Match[str], today: date) -> date | None:
    return _day_of_month(today, _num(m["d"]))


def _en_ordinal_day(m: re.Match[str], today: date) -> date | None:
    return _day_of_month(today, int(m["d"]))


def _cn_relative_day(m: re.Match[str], today: date) -> date | None:
    word = m[0]
    offsets = {"今天": 0, "今日": 0, "今晚": 0, "明天": 1, "明日": 1, "明早": 1, "明晚": 1, "后天": 2, "大后天": 3}
    return today + timedelta(days=offsets[word])


def _en_relative_day(m: re.Match[str], today: date) -> date | None:
    word = m[0]
    if word in ("today", "tonight", "eod", "end of day", "end of today"):
        return today
    if word.startswith("day after"):
        return today + timedelta(days=2)
    return today + timedelta(days=1)


def _cn_weekday(m: re.Match[str], today: date) -> date | None:
    prefix = m["p"] or ""
    weeks = prefix.count("下")
    return _weekday(today, _WEEKDAYS_CN[m["w"]], weeks)


def _en_weekday(m: re.Match[str], today: date) -> date | None:
    prefix = (m["p"] or "").strip()
    weeks = 1 if prefix.startswith("next") else 0
    if prefix in ("next next", "the week after next"):
        weeks = 2
    return _weekday(today, _WEEKDAYS_EN[m["w"]], weeks)


def _en_week_after(m: re.Match[str], today: date) -> date | None:
    return _weekday(today, _WEEKDAYS_EN[m["w"]], 1)


def _cn_in_n(m: re.Match[str], today: date) -> date | None:
    n = _num(m["n"]) if m["n"] else 1
    if n is None or n > 400:
        return None
    unit = m["u"]
    if unit in ("天", "日"):
        return today + timedelta(days=n)
    if unit == "个月":
        year, month = _add_months(today, n)
        return _safe(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    return today + timedelta(weeks=n)


def _en_in_n(m: re.Match[str], today: date) -> date | None:
    raw = m["n"]
    n = int(raw) if raw.isdigit() else _EN_SMALL.get(raw)
    if n is None or n > 400:
        return None
    unit = m["u"]
    if unit.startswith("day"):
        return today + timedelta(days=n)
    if unit.startswith("month"):
        year, month = _add_months(today, n)
        return _safe(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    return today + timedelta(weeks=n)


def _named_month_end(m: re.Match[str], today: date) -> date | None:
    month = _num(m["m"])
    if month is None or not 1 <= month <= 12:
        return None
    year = today.year if month >= today.month else today.year + 1
    return _end_of_month(year, month)


def _month_end(m: re.Match[str], today: date) -> date | None:
    text = m[0]
    ahead = 1 if ("下" in text or "next" in text) else 0
    year, month = _add_months(today, ahead)
    return _end_of_month(year, month)


def _month_mid(m: re.Match[str], today: date) -> date | None:
    ahead = 1 if ("下" in m[0] or "next" in m[0]) else 0
    year, month = _add_months(today, ahead)
    d = date(year, month, 15)
    return d if d >= today else _month_day(today, month % 12 + 1, 15)


def _en_month_part(m: re.Match[str], today: date) -> date | None:
    """"early January" the 1st, "mid December" the 15th, "end of December" its last day (as 月初,
    月中 and 月底 are read), in the next such month from ``today``."""
    month = _MONTHS[m["mon"]]
    year = today.year if month >= today.month else today.year + 1
    part = m["part"]
    if part.startswith(("late", "end")):
        return _end_of_month(year, month)
    return date(year, month, 15 if part.startswith("mid") else 1)


def _month_start(m: re.Match[str], today: date) -> date | None:
    year, month = _add_months(today, 1)
    return date(year, month, 1)


def _year_end(m: re.Match[str], today: date) -> date | None:
    return date(today.year, 12, 31)


def _next_week(m: re.Match[str], today: date) -> date | None:
    return _weekday(today, 0, 1)


def _week_end(m: re.Match[str], today: date) -> date | None:
    """"end of (next) week" is its Friday; 周末 / weekend its Saturday."""
    weeks = 1 if ("下" in m[0] or "next" in m[0]) else 0
    day = 4 if "end of" in m[0] else 5
    return _weekday(today, day, weeks)


def _holiday(m: re.Match[str], today: date) -> date | None:
    word = m[0]
    if word in ("christmas", "xmas", "圣诞", "圣诞节"):
        return _month_day(today, 12, 25)
    return _month_day(today, 1, 1)


_B = r"(?<![a-z])"  # an English word starts here
_E = r"(?![a-z])"  # and ends here

# words after which "12-15" is a month and a day ("by 12-15", "交期 12-15"); alone it may be a range ("3-5 天")
_HYPHEN_DATE_AFTER = "|".join(
    [rf"(?<=\b{w} )" for w in ("by", "before", "on", "due", "until", "till", "to")]
    + [f"(?<={w}{sp})" for w in ("到", "在", "于", "至", "成", "为", "交期", "日期") for sp in ("", " ")]
)

_RULES: tuple[Rule, ...] = (
    (re.compile(r"(?<!\d)(?P<y>20\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*[日号]?"),
     _iso),
    (re.compile(rf"(?:(?P<y>20\d{{2}})\s*年\s*)?(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*(?:日|号|號)?"), _cn_month_day),
    (re.compile(rf"{_B}(?P<mon>{_MONTH_RE})\.?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s*(?P<y>20\d{{2}}))?"),
     _en_month_day),
    (re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?(?P<mon>{_MONTH_RE}){_E}"), _en_day_month),
    (re.compile(r"(?<![\d/.,])(?<!\d-)(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])"), _slash),
    (re.compile(r"(?:" + _HYPHEN_DATE_AFTER + r")(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])"
                r"(?!\s*(?:天|日|周|days?|weeks?|件|个|pcs|units|%))"), _slash),
    (re.compile(r"(?<![\d/.,])(?<!\d-)(?P<m>\d{1,2})\.(?P<d>\d{1,2})(?![\d.,]|\s*(?:k|千|万|w|%|件|个|pcs|units))"), _slash),
    (re.compile(r"大后天|后天|明天|明日|明早|明晚|今天|今日|今晚"), _cn_relative_day),
    (re.compile(rf"{_B}(?:day after tomorrow|tomorrow|tmrw|tmr|today|tonight|end of today|end of day|eod){_E}"),
     _en_relative_day),
    (re.compile(r"(?P<p>下下个?|下个?|这个?|本|这)?(?:周|星期|礼拜)(?P<w>[一二三四五六日天])"), _cn_weekday),
    (re.compile(rf"(?:(?P<p>next next|next|this|coming|this coming)\s+)?{_B}(?P<w>{_WD_RE}){_E}"), _en_weekday),
    (re.compile(rf"{_B}(?P<w>{_WD_RE})\s+next\s+week{_E}"), _en_week_after),
    (re.compile(rf"(?P<n>\d{{1,3}}|{_CNN})?\s*(?P<u>天|日|周|个星期|星期|个礼拜|礼拜|个月)\s*(?:之后|以后|后|内|之内|以内)"),
     _cn_in_n),
    (re.compile(rf"{_B}(?:in|within)\s+(?P<n>\d{{1,3}}|{_SMALL_RE})\s+(?P<u>days?|weeks?|wks?|months?){_E}"), _en_in_n),
    (re.compile(rf"{_B}(?P<n>\d{{1,3}}|{_SMALL_RE})\s+(?P<u>days?|weeks?|wks?|months?)\s+(?:from now|from today|later){_E}"),
     _en_in_n),
    (re.compile(rf"(?P<m>\d{{1,2}}|{_CNN})月(?:底|末)"), _named_month_end),
    (re.compile(rf"{_B}(?P<part>early|beginning of|start of|mid|middle of|late|end of)[\s-]+(?:the\s+)?"
                rf"(?P<mon>{_MONTH_RE}){_E}"), _en_month_part),
    (re.compile(r"(?:下个?|本|这个?)?月(?:底|末)|end of (?:the |this |next )?month|eom|"
                r"(?<![a-z])(?:(?:this|next) )?month[- ]?end(?![a-z])"), _month_end),
    (re.compile(r"(?:下个?|本|这个?)?月中|(?:the )?middle of (?:the |this |next )?month|mid[- ]month"), _month_mid),
    (re.compile(r"下个?月初|月初|(?:beginning|start) of next month|early next month"), _month_start),
    (re.compile(r"年底|年末|end of (?:the |this )?year"), _year_end),
    (re.compile(r"(?:下(?:个)?周|下(?:个)?星期|下(?:个)?礼拜)末|本周末|这周末|周末|end of (?:this |the |next )?week|this weekend|weekend"),
     _week_end),
    (re.compile(rf"{_B}next week{_E}|下个?(?:周|星期|礼拜)(?![一二三四五六日天末])"), _next_week),
    (re.compile(r"christmas|xmas|圣诞节?|元旦|new year'?s?(?: day)?"), _holiday),
    (re.compile(rf"(?<![\d\w])(?P<d>{_NUM})\s*(?:号|號)(?![码碼机])"), _cn_day),
    (re.compile(r"(?<![\d])(?P<d>\d{1,2})\s*日(?!本|期)"), _cn_day),
    (re.compile(rf"{_B}the\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th){_E}"), _en_ordinal_day),
)


_LABEL_GAP = re.compile(r"[\s,，、:：()（）\-]{0,4}")


def find_dates(text: str, today: date) -> list[DateMatch]:
    """All dates in ``text`` (lower-cased), non-overlapping, earliest first, longest wins. A
    weekday said beside a calendar date names that date's day ("12月20日周日", "Sun, Dec 20",
    "Dec 20 (Sun)"), not a date of its own."""
    found: list[DateMatch] = []
    labels: set[tuple[int, int]] = set()  # bare weekdays, which may only label a date beside them
    for pattern, resolve in _RULES:
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            if any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            value = resolve(m, today)
            if value is not None:
                found.append((m.start(), m.end(), value))
                if resolve in (_cn_weekday, _en_weekday) and not m.group("p"):
                    labels.add((m.start(), m.end()))

    def beside(s: int, e: int) -> bool:
        return any((s2, e2) not in labels and _LABEL_GAP.fullmatch(text[e2:s] if e2 <= s else text[e:s2])
                   for s2, e2, _ in found if e2 <= s or e <= s2)

    found = [f for f in found if (f[0], f[1]) not in labels or not beside(f[0], f[1])]
    found.sort()
    return found


# a date said as the one it was, not the one wanted: "on the 3rd instead of the 5th", "Dec 1 not Dec 5",
# "改到12月1号，原来是12月5号"
_OLD_DATE = re.compile(r"(?:instead of|rather than|(?<![a-z])not|(?<![a-z])was|原来(?:是|的)?|原定(?:是|的)?|本来(?:是)?|而不是|不是)"
                       r"\s*(?:the\s+|on\s+(?:the\s+)?)?$")


def target_date(text: str, dates: Sequence[DateMatch]) -> date | None:
    """Of ``dates`` (:func:`find_dates` of ``text``), the target: the last one ("from Dec 5 to
    Dec 20" -> Dec 20) not said as the old one ("the 3rd instead of the 5th" -> the 3rd), or None."""
    wanted = [d for d in dates if not _OLD_DATE.search(text[max(0, d[0] - 16): d[0]])]
    return (wanted or dates)[-1][2] if dates else None


def find_date(text: str, today: date) -> date | None:
    """:func:`target_date` of the dates in ``text``."""
    return target_date(text, find_dates(text, today))
