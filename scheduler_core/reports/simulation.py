"""The simulator's results as text (a comparison table) and as a picture (PNG bytes)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .gantt import find_cjk_font, picture_translator
from .i18n import N_, Tr

__all__ = ["MEASURES", "comparison_png", "render_comparison"]

# (key, label, kind): kind "pct" a share, "days", "num" a plain number, "int"
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("orders_arrived", N_("Orders arrived"), "int"),
    ("orders_finished", N_("Orders finished"), "int"),
    ("delay_rate", N_("Delay rate"), "pct"),
    ("on_time_rate", N_("On-time rate"), "pct"),
    ("avg_lead_time_days", N_("Average lead time (days)"), "days"),
    ("p90_lead_time_days", N_("p90 lead time (days)"), "days"),
    ("avg_quoted_lead_time_days", N_("Average quoted lead time (days)"), "days"),
    ("accepted_as_requested_rate", N_("Promised the requested date"), "pct"),
    ("total_tardiness_days", N_("Total tardiness (days)"), "days"),
    ("weighted_tardiness", N_("Weighted tardiness (days, VIP x5)"), "days"),
    ("utilisation", N_("Utilisation"), "pct"),
    ("rush_orders", N_("Rush orders"), "int"),
    ("rush_accepted_as_requested", N_("Rush orders accepted as asked"), "int"),
    ("rush_on_time", N_("Rush orders on time"), "int"),
    ("warned_rate", N_("Late orders warned in advance"), "pct"),
    ("complaint_rate", N_("Complaint rate"), "pct"),
    ("satisfaction_score", N_("Satisfaction (1-5)"), "num"),
    ("replans", N_("Re-plans"), "int"),
    ("wall_seconds", N_("Run time (s)"), "num"),
)


def _fmt(tr: Tr, value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return f"{100 * float(value):.1f}%"
    if kind == "int":
        return f"{round(float(value)):d}"
    if kind == "days":
        return f"{float(value):.2f}"
    return f"{float(value):.2f}"


def render_comparison(tr: Tr, policies: Mapping[str, Mapping[str, Any]], baseline: str = "fifo") -> str:
    """One row per measure, one column per policy; with ratios against ``baseline`` for the
    delay rate and the lead time when both are there."""
    names = list(policies)
    header = [tr.gettext("Measure"), *[n.upper() if n != "paichan" else n for n in names]]
    rows = [[tr.gettext(label), *[_fmt(tr, policies[n].get(key), kind) for n in names]]
            for key, label, kind in MEASURES]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w, i == 0) for i, (c, w) in enumerate(zip(header, widths))),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w, i == 0) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    if baseline in policies and "paichan" in policies and baseline != "paichan":
        b, p = policies[baseline], policies["paichan"]
        lines.append("")
        if b.get("delay_rate") and p.get("delay_rate") is not None:
            lines.append(tr.gettext("paichan delay rate / {base}: {ratio}", base=baseline.upper(),
                                    ratio=f"{p['delay_rate'] / b['delay_rate']:.2f}"))
        if b.get("avg_lead_time_days") and p.get("avg_lead_time_days") is not None:
            cut = 1 - p["avg_lead_time_days"] / b["avg_lead_time_days"]
            lines.append(tr.gettext("paichan average lead time vs {base}: {cut} shorter", base=baseline.upper(),
                                    cut=f"{100 * cut:.1f}%"))
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    gap = " " * (width - _width(text))
    return text + gap if left else gap + text


_COLORS = {"fifo": "#9e9e9e", "edd": "#64b5f6", "atc": "#ffb74d", "paichan": "#2e7d32"}


def comparison_png(tr: Tr, policies: Mapping[str, Mapping[str, Any]],
                   weekly: Mapping[str, Sequence[tuple[int, float | None]]], *, title: Callable[[Tr], str],
                   size: tuple[int, int] = (1400, 900)) -> bytes:
    """Four panels: delay and on-time rate, lead times, customer measures, and the delay rate
    per week of the promised date. Chinese labels need a CJK font; without one the picture
    falls back to English."""
    cjk = find_cjk_font()
    tr = picture_translator(tr, cjk)
    family = ["DejaVu Sans"] if cjk is None else [cjk, "DejaVu Sans"]
    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    names = list(policies)
    colors = [_COLORS.get(n, "#7e57c2") for n in names]
    labels = [n.upper() if n != "paichan" else n for n in names]

    def bars(ax: Any, key: str, scale: float, ylabel: str) -> None:
        vals = [(policies[n].get(key) or 0.0) * scale for n in names]
        ax.bar(labels, vals, color=colors)
        for i, v in enumerate(vals):
            ax.text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=9, family=family)
        ax.set_ylabel(ylabel, family=family)

    bars(axes[0][0], "delay_rate", 100, tr.gettext("Delay rate (%)"))
    axes[0][0].set_title(tr.gettext("Late deliveries"), family=family)
    ax = axes[0][1]
    x = range(len(names))
    avg = [policies[n].get("avg_lead_time_days") or 0.0 for n in names]
    p90 = [policies[n].get("p90_lead_time_days") or 0.0 for n in names]
    ax.bar([i - 0.2 for i in x], avg, width=0.4, color=colors, label=tr.gettext("average"))
    ax.bar([i + 0.2 for i in x], p90, width=0.4, color=colors, alpha=0.5, hatch="//", label="p90")
    ax.set_xticks(list(x), labels)
    ax.set_ylabel(tr.gettext("Lead time (days)"), family=family)
    ax.set_title(tr.gettext("Lead time: average and p90"), family=family)
    ax.legend(prop={"family": family})
    ax = axes[1][0]
    comp = [(policies[n].get("complaint_rate") or 0.0) * 100 for n in names]
    sat = [policies[n].get("satisfaction_score") or 0.0 for n in names]
    ax.bar(list(x), comp, width=0.6, color=colors)
    ax.set_ylabel(tr.gettext("Complaint rate (%)"), family=family)
    ax2 = ax.twinx()
    ax2.plot(list(x), sat, "o-", color="#333333")
    ax2.set_ylim(1, 5)
    ax2.set_ylabel(tr.gettext("Satisfaction (1-5)"), family=family)
    ax.set_xticks(list(x), labels)
    ax.set_title(tr.gettext("Customers (stated model)"), family=family)
    ax = axes[1][1]
    for n, c, lab in zip(names, colors, labels):
        pts = [(w + 1, 100 * v) for w, v in weekly.get(n, ()) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=c, label=lab)
    ax.set_xlabel(tr.gettext("Week of the promised date"), family=family)
    ax.set_ylabel(tr.gettext("Delay rate (%)"), family=family)
    ax.set_title(tr.gettext("Delay rate over time"), family=family)
    if ax.get_lines():
        ax.legend(prop={"family": family})
    fig.suptitle(title(tr), family=family)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
