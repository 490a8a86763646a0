"""All settings, from environment variables prefixed ``PAICHAN_``: the ONLY place that reads
the environment. Read once by the composition root and passed down.

| variable | default | meaning |
|---|---|---|
| PAICHAN_DATABASE_URL | sqlite+aiosqlite:///paichan.db | SQLAlchemy URL (PostgreSQL: postgresql+asyncpg://user:pw@host/db) |
| PAICHAN_TIMEZONE | Asia/Shanghai | the factory's timezone |
| PAICHAN_LANG | (locale) | default language for CLI output: zh or en |
| PAICHAN_PLAN_DEADLINE | 2.0 | seconds per plan / change assessment |
| PAICHAN_SOLVER_WORKERS | 1 | CP-SAT workers |
| PAICHAN_FROZEN_MINUTES | 240 | frozen horizon: steps starting sooner stay put |
| PAICHAN_CHANGE_TTL_MINUTES | 10 | how long a Confirm button stays valid |
| PAICHAN_LINK_TTL_HOURS | 24 | how long a link code stays valid |
| PAICHAN_TELEGRAM_BOT_NAME | (none) | the bot's @username, for ``https://t.me/<bot>?start=<code>`` links |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["Settings", "SettingsError", "load_settings"]


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///paichan.db"
    timezone: str = "Asia/Shanghai"
    lang: str | None = None
    plan_deadline: float = 2.0
    solver_workers: int = 1
    frozen_minutes: int = 240
    change_ttl: timedelta = timedelta(minutes=10)
    link_ttl: timedelta = timedelta(hours=24)
    telegram_bot_name: str | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)


def _num(env: Mapping[str, str], name: str, default: float, kind: type, lo: float, hi: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc
    if not lo <= value <= hi:
        raise SettingsError(f"{name}={raw!r} must be between {lo:g} and {hi:g}")
    return float(value)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    tz = env.get("PAICHAN_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"PAICHAN_TIMEZONE={tz!r} is not a known timezone") from exc
    return Settings(
        database_url=env.get("PAICHAN_DATABASE_URL") or "sqlite+aiosqlite:///paichan.db",
        timezone=tz,
        lang=env.get("PAICHAN_LANG") or None,
        plan_deadline=_num(env, "PAICHAN_PLAN_DEADLINE", 2.0, float, 0.5, 600),
        solver_workers=int(_num(env, "PAICHAN_SOLVER_WORKERS", 1, int, 1, 64)),
        frozen_minutes=int(_num(env, "PAICHAN_FROZEN_MINUTES", 240, int, 0, 10080)),
        change_ttl=timedelta(minutes=_num(env, "PAICHAN_CHANGE_TTL_MINUTES", 10, float, 1, 1440)),
        link_ttl=timedelta(hours=_num(env, "PAICHAN_LINK_TTL_HOURS", 24, float, 0.1, 720)),
        telegram_bot_name=(env.get("PAICHAN_TELEGRAM_BOT_NAME") or "").strip().lstrip("@") or None,
        env=env,
    )
