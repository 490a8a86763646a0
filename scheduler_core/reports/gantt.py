"""The plan as a Gantt chart (PNG bytes), drawn with matplotlib's object API.

No pyplot and no rcParams changes: a :class:`matplotlib.figure.Figure` on an Agg canvas per
call, so charts can be drawn from worker threads and tests do not leak state.

Chinese labels need a font with CJK glyphs (Debian/Ubuntu: ``fonts-wqy-microhei`` or
``fonts-noto-cjk``). :func:`find_cjk_font` looks for one; when there is none the chart is
drawn with English labels even for a Chinese translator, because DejaVu would render every
Chinese character as an empty box.
"""

from __future__ import annotations

import functools
import io
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from scheduler_core.domain.calendar import Downtime, WorkCalendar, subtract_intervals
from scheduler_core.domain.schedule import Schedule
from scheduler_core.domain.timegrid import TimeGrid

from .i18n import Tr, translator
from .text import EtaLike

__all__ = ["CJK_FONT_PACKAGES", "find_cjk_font", "gantt_png", "picture_translator"]

CJK_FONT_PACKAGES = ("fonts-wqy-microhei", "fonts-noto-cjk")
"""Debian packages that provide a font :func:`find_cjk_font` accepts."""

_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
)
_CJK_FILE_HINTS = ("notosanscjk", "notosanssc", "sourcehansans", "wqy", "droidsansfallback", "msyh", "simhei", "pingfang")
_PROBE = "排产订单延误"
_BASE_FAMILY = "DejaVu Sans"

# Tableau 20 without its reds, which mean "late" here.
_PALETTE = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#9467bd", "#c5b0d5",
    "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
    "#17becf", "#9edae5",
)
_LATE = "#d62728"
_VIP = "#f5c518"
_DOWN = "#8a8a8a"
_NOW = "#1f3b57"
_GRID = "#b9c2cc"
_INK = "#24292f"
_MUTED = "#57606a"
_BAND = "#f4f6f8"
_OFF = "#e9edf1"


def _has_glyphs(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in _PROBE)


@functools.cache
def find_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None.

    Looks at matplotlib's font list first, then at the system font files (matplotlib's font
    cache does not notice fonts installed after it was built; such a file is registered with
    ``fontManager.addfont``).
    """
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        path = by_name.get(family)
        if path is not None and _has_glyphs(path):
            return family
    for path in sorted(font_manager.findSystemFonts()):
        stem = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in stem for hint in _CJK_FILE_HINTS) and _has_glyphs(path):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError, ValueError):
                continue
    return None


@functools.cache
def _has_bold(family: str) -> bool:
    return any(f.name == family and _weight(f.weight) >= 600 for f in font_manager.fontManager.ttflist)


def _weight(weight: int | str) -> int:
    if isinstance(weight, int):
        return weight
    return 700 if "bold" in str(weight).lower() else 400


def picture_translator(tr: Tr, cjk_font: str | None) -> Tr:
    """The translator for the picture: ``tr`` unless it needs a CJK font there is none of."""
    if tr.lang == "zh_Hans" and cjk_font is None:
        return translator("en").at(tr.now)
    return tr


def order_colour(ref: str) -> str:
    """A stable qualitative colour for an order (the same in every chart and every run)."""
    return _PALETTE[zlib.crc32(ref.encode("utf-8")) % len(_PALETTE)]


def _ink_on(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return _INK if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "white"


def _short_ref(ref: str) -> str:
    """``SO-1012`` -> ``1012``, ``PO-2026-42`` -> ``2026-42`` for bar labels (the letters
    left out); other refs unchanged."""
    head, _, tail = ref.partition("-")
    return tail if head.isalpha() and tail else ref


def _midnights(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    """Local midnights in (start, end], computed in ``tz`` (DST days are 23 or 25 hours)."""
    day = start.astimezone(tz).date()
    out: list[datetime] = []
    while True:
        day += timedelta(days=1)
        m = datetime(day.year, day.month, day.day, tzinfo=tz)
        if m > end:
            return out
        out.append(m)


def _zone_of(schedule: Schedule) -> tzinfo:
    """The factory's zone as the plan carries it (planned times are in factory time)."""
    for dt in (*(op.start for op in schedule.ops[:1]), schedule.created):
        if dt.tzinfo is not None:
            return dt.tzinfo
    return UTC


def _segments(a: float, b: float, windows: Sequence[tuple[float, float]] | None) -> list[tuple[float, float]]:
    """The parts of [a, b) inside working ``windows`` (all of it without a calendar, or when
    the windows leave nothing, e.g. a step reported on a machine's day off)."""
    if not windows:
        return [(a, b)]
    out = [(max(a, wa), min(b, wb)) for wa, wb in windows if wa < b and a < wb]
    return out or [(a, b)]


def gantt_png(
    schedule: Schedule,
    etas: Sequence[EtaLike],
    *,
    tr: Tr,
    machines: Sequence[str],
    downtime: Sequence[Downtime] = (),
    start: datetime | None = None,
    days: float | None = None,
    title: Callable[[Tr], str] | None = None,
    tz: tzinfo | None = None,
    groups: Mapping[str, str] | None = None,
    calendars: Mapping[str, WorkCalendar] | None = None,
    size: tuple[int, int] = (1600, 900),
) -> bytes:
    """Draw ``schedule`` as a PNG Gantt chart, one row per machine.

    Bars are coloured per order (a stable colour per reference); late orders have a red
    hatched outline, VIP orders a gold star; machine downtime is shaded grey; a dashed line
    marks the planning instant; days are gridlines labelled in the factory timezone.

    Args:
        schedule: the plan; ``schedule.created`` is "now".
        etas: the plan's order rows (lateness and VIP flags).
        tr: language of the labels. Chinese needs a CJK font (see :func:`find_cjk_font`);
            without one the picture falls back to English labels.
        machines: the rows, top to bottom (pass them grouped: CUT-1, CUT-2, CNC-1 ...).
        downtime: machine stops to shade; an open end runs to the right edge.
        start: left edge (default: the planning instant).
        days: width of the window (default: up to the end of the last operation).
        title: the chart title made in the picture's language (it may fall back to English;
            default: "Production plan").
        tz: timezone of the axis (default: that of the planned operations).
        groups: machine -> group, for the separators between groups (default: the id
            before its last ``-``, so ``CNC-2`` is in ``CNC``).
        calendars: machine -> working calendar; time off shift is shaded and an operation
            that pauses over it is drawn as its working pieces joined by a thin line.
        size: picture size in pixels.

    Returns:
        The PNG file's bytes.
    """
    cjk = find_cjk_font()
    tr = picture_translator(tr, cjk)
    # Chinese: the CJK font first so its punctuation and digits match; English: DejaVu first,
    # the CJK font only for glyphs DejaVu lacks (a Chinese customer name).
    family = [_BASE_FAMILY] if cjk is None else [cjk, _BASE_FAMILY] if tr.lang == "zh_Hans" else [_BASE_FAMILY, cjk]

    def strong(text: str) -> tuple[str, list[str]]:
        """Weight and family for bold ``text``: bold only where a bold face exists (most CJK
        fonts have none, and asking for it makes matplotlib warn)."""
        if text.isascii():
            return "bold", [_BASE_FAMILY]
        return ("bold" if cjk is not None and _has_bold(cjk) else "normal"), family

    now = schedule.created
    zone = tz or _zone_of(schedule)
    left = start or now
    if days is not None:
        right = left + timedelta(days=days)
    else:
        last = max((op.end for op in schedule.ops), default=left + timedelta(days=1))
        right = max(last, left + timedelta(hours=12))
        right += (right - left) * 0.02
    span_h = (right - left).total_seconds() / 3600

    def hours(dt: datetime) -> float:
        return (dt - left).total_seconds() / 3600

    late = {e.ref for e in etas if e.late_by > timedelta(0)}
    vip = {e.ref for e in etas if e.vip}
    rows = {m: i for i, m in enumerate(machines)}

    dpi = 100
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.065, 0.085, 0.92, 0.78))
    ax.set_xlim(0, span_h)
    ax.set_ylim(max(1, len(machines)) - 0.5, -0.5)
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_GRID)

    # --- day bands, gridlines and labels ----------------------------------------------
    mids = _midnights(left, right, zone)
    edges = [0.0, *(hours(m) for m in mids), span_h]
    if not calendars:  # with calendars the shaded nights and weekends give the rhythm
        for k in range(1, len(edges) - 1, 2):
            ax.axvspan(edges[k], edges[k + 1], color=_BAND, zorder=0, linewidth=0)
    ax.set_xticks([hours(m) for m in mids])
    ax.set_xticklabels([])
    ax.grid(axis="x", which="major", color=_GRID, linewidth=0.8, zorder=1)
    ax.tick_params(axis="x", which="major", length=0)
    day_starts = [left.astimezone(zone), *(m for m in mids)]
    step = max(1, math.ceil(len(day_starts) / 16))
    centers, labels = [], []
    for k, day in enumerate(day_starts):
        a, b = edges[k], edges[k + 1]
        if k % step or (b - a) < 9:
            continue  # a sliver of a day at the edges gets no label
        centers.append((a + b) / 2)
        labels.append(tr.day_label(day))
    ax.set_xticks(centers, labels, minor=True)
    ax.tick_params(axis="x", which="minor", length=0, labelsize=10, labelcolor=_INK, pad=6, labelfontfamily=family)
    tz_label = now.astimezone(zone).tzname() or ""
    ax.set_xlabel(tr.gettext("Date ({zone})", zone=tz_label), fontsize=10, color=_MUTED, fontfamily=family)

    # --- machine rows and group separators --------------------------------------------
    ax.set_yticks(range(len(machines)), list(machines))
    ax.tick_params(axis="y", length=0, labelsize=10, labelcolor=_INK, labelfontfamily=family)
    group_of = dict(groups or {})
    prev_group: str | None = None
    for i, m in enumerate(machines):
        g = group_of.get(m) or m.rpartition("-")[0] or m
        if prev_group is not None and g != prev_group:
            ax.axhline(i - 0.5, color=_GRID, linewidth=1.0, zorder=1)
        prev_group = g

    # --- downtime ----------------------------------------------------------------------
    for d in downtime:
        if d.machine not in rows:
            continue
        a = max(0.0, hours(d.start))
        b = min(span_h, hours(d.end)) if d.end is not None else span_h
        if b <= a:
            continue
        y = rows[d.machine]
        ax.add_patch(
            Rectangle((a, y - 0.45), b - a, 0.9, facecolor=_DOWN, alpha=0.28, edgecolor=_DOWN,
                      hatch="xx", linewidth=0.0, zorder=2)
        )

    # --- time off shift: shaded behind the bars; bars show only their working segments ------
    working: dict[str, list[tuple[float, float]]] = {}
    if calendars:
        grid = TimeGrid.starting(left, zone)
        end_min = grid.minutes(right) + 1
        for m, cal in calendars.items():
            if m not in rows:
                continue
            on = cal.working_intervals(grid, grid.origin, right)
            working[m] = [(a / 60, b / 60) for a, b in on]
            for a_min, b_min in subtract_intervals([(0, end_min)], on):
                a, b = a_min / 60, min(span_h, b_min / 60)
                if b > a:
                    ax.add_patch(Rectangle((a, rows[m] - 0.5), b - a, 1.0, facecolor=_OFF, linewidth=0, zorder=0.5))

    # --- operations ----------------------------------------------------------------------
    px_per_hour = size[0] * 0.92 / span_h
    bar_h = 0.64
    stars_x: list[float] = []
    stars_y: list[float] = []
    for op in schedule.ops:
        if op.machine not in rows or op.end <= left or op.start >= right:
            continue
        a, b = max(0.0, hours(op.start)), min(span_h, hours(op.end))
        y = rows[op.machine]
        colour = order_colour(op.ref)
        is_late = op.ref in late
        pieces = _segments(a, b, working.get(op.machine))
        if len(pieces) > 1:  # a thin line through the pauses keeps the operation one thing
            ax.plot([pieces[0][0], pieces[-1][1]], [y, y], color=_LATE if is_late else colour, linewidth=1.2,
                    solid_capstyle="butt", zorder=2.5)
        for pa, pb in pieces:
            ax.add_patch(
                Rectangle(
                    (pa, y - bar_h / 2), pb - pa, bar_h,
                    facecolor=colour,
                    edgecolor=_LATE if is_late else "white",
                    linewidth=1.4 if is_late else 0.6,
                    hatch="////" if is_late else None,
                    zorder=3,
                )
            )
        la, lb = max(pieces, key=lambda p: p[1] - p[0])
        label = _short_ref(op.ref)
        if (lb - la) * px_per_hour >= 7.5 * len(label) + 6:
            ax.text((la + lb) / 2, y, label, ha="center", va="center", fontsize=8, color=_ink_on(colour),
                    fontfamily=family, zorder=5, clip_on=True,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": colour, "edgecolor": "none"} if is_late else None)
        if op.ref in vip:
            pa, pb = pieces[0]
            stars_x.append(pa + min(pb - pa, 6 / px_per_hour))
            stars_y.append(y - bar_h / 2)
    if stars_x:
        ax.scatter(stars_x, stars_y, marker="*", s=70, color=_VIP, edgecolors="#6b5500", linewidths=0.6, zorder=6,
                   clip_on=False)

    # --- now ---------------------------------------------------------------------------
    x_now = hours(now)
    if 0 <= x_now <= span_h:
        ax.axvline(x_now, color=_NOW, linestyle=(0, (5, 3)), linewidth=1.5, zorder=7)
        now_label = tr.gettext("now {time}", time=tr.time(now.astimezone(zone)))
        weight, fam = strong(now_label)
        ax.annotate(
            now_label, xy=(x_now, -0.5), xytext=(4, 4), textcoords="offset points", annotation_clip=False,
            fontsize=9, color=_NOW, ha="left", va="bottom", fontweight=weight, fontfamily=fam,
        )

    # --- title, summary and legend -------------------------------------------------------
    n_late = len(late & {e.ref for e in etas})
    heading = title(tr) if title is not None else tr.gettext("Production plan")
    weight, fam = strong(heading)
    fig.text(0.065, 0.955, heading, fontsize=17, color=_INK, va="top", fontweight=weight, fontfamily=fam)
    summary = " · ".join(
        [
            tr.gettext("Plan of {when}", when=tr.datetime(now.astimezone(zone))),
            tr.ngettext("{n} order", "{n} orders", len(etas)),
            tr.ngettext("{n} late", "{n} late", n_late),
            tr.ngettext("{n} machine", "{n} machines", len(machines)),
        ]
    )
    fig.text(0.065, 0.905, summary, fontsize=11, color=_MUTED, fontfamily=family, va="top")
    neutral = "#c9d3dd"
    handles = [
        Patch(facecolor=neutral, edgecolor="white", label=tr.gettext("On time")),
        Patch(facecolor=neutral, edgecolor=_LATE, hatch="////", linewidth=1.4, label=tr.gettext("Late")),
        Line2D([], [], marker="*", linestyle="none", markersize=11, markerfacecolor=_VIP, markeredgecolor="#6b5500",
               label=tr.gettext("VIP")),
        Patch(facecolor=_DOWN, alpha=0.35, hatch="xx", edgecolor=_DOWN, label=tr.gettext("Machine down")),
        *([Patch(facecolor=_OFF, edgecolor=_GRID, linewidth=0.6, label=tr.gettext("Off shift"))] if calendars else []),
        Line2D([], [], color=_NOW, linestyle=(0, (5, 3)), linewidth=1.5, label=tr.gettext("Now")),
    ]
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.985, 0.97), ncol=len(handles), frameon=False,
               prop=font_manager.FontProperties(family=family, size=10), handlelength=2.2, columnspacing=1.6)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
