"""Reports: translations (zh_Hans, en), plain-text plan tables and Gantt charts. Pure: the
callers write files or send messages."""

from .i18n import LANGS, Lang, Tr, resolve_lang, translator
from .text import render_cause, render_cause_short, render_plan_table, render_plan_totals

__all__ = [
    "LANGS",
    "Lang",
    "Tr",
    "render_cause",
    "render_cause_short",
    "render_plan_table",
    "render_plan_totals",
    "resolve_lang",
    "translator",
]
