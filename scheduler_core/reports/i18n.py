"""Translations and locale-aware formatting (zh_Hans, en), pure and cached.

The catalogs are the gettext ``.po`` files under ``locale/<lang>/LC_MESSAGES/paichan.po``.
They are compiled in memory the first time a language is asked for (Babel ``read_po`` ->
``write_mo`` -> :class:`babel.support.Translations`), so no build step and no ``.mo`` files.

Source messages are English; the ``en`` catalog is the template (an empty ``msgstr`` falls
back to the ``msgid``). Placeholders are ``str.format`` named fields (``"{order} is late"``).
Mark a string for translation where it is defined but translated later with :func:`N_`.

Maintaining the catalogs with the standard tools::

    pybabel extract -k N_ -k ngettext:1,2 -o /tmp/paichan.pot scheduler_core bot handlers jobs
    pybabel update -i /tmp/paichan.pot -d scheduler_core/reports/locale -D paichan --no-fuzzy-matching

``tests/unit/test_i18n.py`` fails when a message used in code has no Chinese translation or
when its placeholders differ.
"""

from __future__ import annotations

import functools
import io
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date as _Date
from datetime import datetime as _DateTime
from datetime import timedelta
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from babel.units import format_unit

__all__ = [
    "DOMAIN",
    "LANGS",
    "LOCALE_DIR",
    "N_",
    "Lang",
    "Tr",
    "catalog_path",
    "placeholders",
    "resolve_lang",
    "translator",
]

Lang = Literal["zh_Hans", "en"]
LANGS: tuple[Lang, ...] = ("zh_Hans", "en")
DOMAIN = "paichan"
LOCALE_DIR = Path(__file__).with_name("locale")

DurationStyle = Literal["long", "short", "narrow"]

_DEFAULT: Lang = "en"
_ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # the order of Python's gettext.find
_ZH_ALIASES = frozenset({"zh", "cn", "chs", "chinese", "zhongwen", "中文", "简体中文"})
_EN_ALIASES = frozenset({"en", "english", "c", "posix"})


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate it later with
    :meth:`Tr.gettext`)."""
    return message


def _normalize(tag: str) -> Lang | None:
    """``zh``, ``zh_CN``, ``zh-Hans``, ``zh_CN.UTF-8``, ``cn`` -> zh_Hans; ``en``, ``en_US``, ``C`` -> en."""
    tag = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if not tag:
        return None
    head = tag.split("_", 1)[0]
    if tag in _ZH_ALIASES or head == "zh":
        return "zh_Hans"  # Traditional-script locales read Simplified better than English
    if tag in _EN_ALIASES or head == "en":
        return "en"
    return None


def resolve_lang(explicit: str | None, env: Mapping[str, str]) -> Lang:
    """The language to speak: ``explicit`` (a ``--lang`` value) wins, then the environment.

    The environment is read like Python's :func:`gettext.find`: the first non-empty of
    ``LANGUAGE`` (a colon-separated preference list), ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    decides; a language we have no catalog for, or none at all, gives ``"en"``.

    Raises:
        ValueError: ``explicit`` names a language without a catalog.
    """
    if explicit is not None and explicit.strip():
        lang = _normalize(explicit)
        if lang is None:
            raise ValueError(f"unsupported language {explicit!r} (use zh or en)")
        return lang
    for var in _ENV_ORDER:
        value = env.get(var, "").strip()
        if not value:
            continue
        if var == "LANGUAGE":
            for item in value.split(":"):
                found = _normalize(item)
                if found is not None:
                    return found
            continue  # no supported entry: GNU gettext falls through to the locale variables
        return _normalize(value) or _DEFAULT
    return _DEFAULT


def catalog_path(lang: Lang) -> Path:
    """Where the ``.po`` catalog of ``lang`` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _translations(lang: Lang) -> Translations:
    with catalog_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def placeholders(message: str) -> frozenset[str]:
    """The named ``str.format`` fields of ``message`` (``"{n} orders"`` -> ``{"n"}``)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)


_NEAR_DAYS = 183  # a month and a day name one date within this many days of now
_WEEK_DAYS = 6  # ... and a weekday within this many

# Duration units, largest first, with their size in minutes.
_UNITS: tuple[tuple[str, int], ...] = (("duration-day", 1440), ("duration-hour", 60), ("duration-minute", 1))


@dataclass(frozen=True, eq=False)
class Tr:
    """Translate messages and format dates, durations and numbers for one language.

    Times are shown in the datetime's own timezone (convert first to show factory time) and on
    the 24-hour clock, which is what shop floors use in both languages.

    The compact forms (tables, lists, the coming days) leave the year out: a month and a day
    name one date only within half a year of now. A translator made for a moment
    (:meth:`at`) shows the year in them for a date further away than that (an ETA a year
    out, a promise of last spring); one without a moment never does.
    """

    lang: Lang
    locale: Locale
    translations: Translations
    now: _DateTime | None = None

    def at(self, now: _DateTime | None) -> Tr:
        """This translator for the moment ``now`` (see the class docstring)."""
        return self if now is self.now else replace(self, now=now)

    def _days_from_now(self, dt: _Date) -> int | None:
        """Whole days between :attr:`now` and ``dt`` (a date, or a datetime in its own zone)."""
        if self.now is None:
            return None
        now = self.now
        if isinstance(dt, _DateTime) and dt.tzinfo is not None and now.tzinfo is not None:
            now = now.astimezone(dt.tzinfo)
        day = dt.date() if isinstance(dt, _DateTime) else dt
        return abs((day - now.date()).days)

    def _far(self, dt: _Date) -> bool:
        """``dt`` more than half a year from :attr:`now`: the compact forms show its year."""
        days = self._days_from_now(dt)
        return days is not None and days > _NEAR_DAYS

    # --- messages --------------------------------------------------------------------
    def gettext(self, msgid: str, /, **kwargs: object) -> str:
        """The translation of ``msgid``, formatted with the named ``kwargs``."""
        text = self.translations.gettext(msgid)
        return text.format(**kwargs) if kwargs else text

    def ngettext(self, singular: str, plural: str, n: int, /, **kwargs: object) -> str:
        """The plural form for ``n`` of a message; ``{n}`` is ``n`` as a localized number."""
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **kwargs)

    # --- dates and times -------------------------------------------------------------
    def _skeleton(self, skeleton: str, dt: _DateTime) -> str:
        return format_skeleton(skeleton, dt, tzinfo=dt.tzinfo, locale=self.locale)

    def _join_date_time(self, date_part: str, time_part: str) -> str:
        pattern = str(self.locale.datetime_formats["medium"])  # "{1}, {0}" (en), "{1} {0}" (zh)
        return pattern.replace("{1}", date_part).replace("{0}", time_part)

    def date(self, dt: _DateTime, *, year: bool = True) -> str:
        """``Mar 5, 2025`` / ``2025年3月5日`` (``year=False``: ``Wed, Mar 5`` / ``3月5日周三``,
        the year still shown for a far date)."""
        return self._skeleton("yMMMd" if year else ("yMMMEd" if self._far(dt) else "MMMEd"), dt)

    def time(self, dt: _DateTime) -> str:
        """``14:00``."""
        return self._skeleton("Hm", dt)

    def datetime(self, dt: _DateTime) -> str:
        """``Mar 5, 2025, 14:00`` / ``2025年3月5日 14:00``, in ``dt``'s own timezone."""
        return self._join_date_time(self._skeleton("yMMMd", dt), self.time(dt))

    def short_datetime(self, dt: _DateTime) -> str:
        """Compact, for tables: ``Wed, 3/5, 14:00`` / ``3/5周三 14:00`` (a far date:
        ``Wed, 3/5/2025, 14:00`` / ``2025/3/5周三 14:00``)."""
        return self._join_date_time(self._skeleton("yMEd" if self._far(dt) else "MEd", dt), self.time(dt))

    def weekday_time(self, dt: _DateTime) -> str:
        """For the coming days: ``Wed 14:00`` / ``周三14:00``; a date a week or more from
        :attr:`now`, which a weekday alone would not name, as :meth:`short_datetime`."""
        days = self._days_from_now(dt)
        if days is not None and days >= _WEEK_DAYS:
            return self.short_datetime(dt)
        return self._skeleton("EHm", dt)

    def day_label(self, dt: _DateTime) -> str:
        """A day on a chart axis: ``Wed, Mar 5`` / ``3月5日周三`` (a far date with its year)."""
        return self._skeleton("yMMMEd" if self._far(dt) else "MMMEd", dt)

    # --- durations -------------------------------------------------------------------
    def _unit(self, value: int, unit: str, style: DurationStyle) -> str:
        # CLDR has only the short duration units for Chinese; Babel does not follow the aliases
        patterns = self.locale._data["unit_patterns"].get(unit, {})
        choices: tuple[DurationStyle, ...] = (style, "short", "long", "narrow")
        length: DurationStyle = next((s for s in choices if s in patterns), "short")
        return format_unit(value, unit, length=length, locale=self.locale)

    def duration(self, delta: timedelta, *, style: DurationStyle = "long", parts: int = 2) -> str:
        """A duration in its ``parts`` largest units, rounded to the smallest shown one.

        ``2 days 3 hours``, ``3 hours 20 minutes``, ``45 minutes`` / ``2天3小时``, and with
        ``style="narrow"`` ``2d 3h`` / ``2天3小时``: CLDR unit names joined by the CLDR unit-list
        pattern of the language. A negative duration is shown with a minus sign.
        """
        total = round(delta.total_seconds() / 60)
        sign = "-" if total < 0 else ""
        total = abs(total)
        first = next((i for i, (_, size) in enumerate(_UNITS) if total >= size), len(_UNITS) - 1)
        shown = _UNITS[first : first + max(1, parts)]
        smallest = shown[-1][1]
        left = round(total / smallest) * smallest
        values: list[tuple[int, str]] = []
        for unit, size in shown:
            amount, left = divmod(left, size)
            values.append((amount, unit))
        # rounding first, then splitting, carries: 1 day 23.6 hours is 2 days, not 1 day 24 hours
        pieces = [self._unit(v, u, style) for v, u in values if v] or [self._unit(0, shown[-1][0], style)]
        list_style: Literal["unit-narrow", "unit-short"] = "unit-short" if style == "short" else "unit-narrow"
        return sign + format_list(pieces, style=list_style, locale=self.locale)

    # --- numbers and lists -----------------------------------------------------------
    def number(self, x: float, *, decimals: int | None = None) -> str:
        """``1,234`` / ``1.5``; ``decimals`` fixes the number of fraction digits."""
        fmt = None if decimals is None else ("#,##0." + "0" * decimals if decimals > 0 else "#,##0")
        return format_decimal(x, format=fmt, locale=self.locale)

    def percent(self, x: float) -> str:
        """``0.17`` -> ``17%``."""
        return format_percent(x, locale=self.locale)

    def listing(self, items: Iterable[str], *, limit: int | None = None) -> str:
        """``A, B, and C`` / ``A、B和C``; beyond ``limit`` items: ``A, B, …`` / ``A、B等``."""
        seq: Sequence[str] = tuple(items)
        if limit is None or len(seq) <= limit:
            return format_list(list(seq), locale=self.locale) if seq else ""
        middle = str(self.locale.list_patterns["standard"]["middle"])
        head = seq[0]
        for item in seq[1:limit]:
            head = middle.replace("{0}", head).replace("{1}", item)
        return self.gettext("{items}, …", items=head)


@functools.cache
def translator(lang: Lang) -> Tr:
    """The (cached) translator and formatter for ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"no catalog for {lang!r}")
    return Tr(lang, Locale.parse(lang), _translations(lang))
