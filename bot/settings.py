"""All settings, from environment variables prefixed ``PAICHAN_``: the ONLY place that reads
the environment. Read once by the composition root and passed down.

| variable | default | meaning |
|---|---|---|
| PAICHAN_DATABASE_URL | sqlite+aiosqlite:///paichan.db | SQLAlchemy URL (PostgreSQL: postgresql+asyncpg://user:pw@host/db) |
| PAICHAN_TIMEZONE | Asia/Shanghai | the factory's timezone |
| PAICHAN_LANG | (locale) | default language for CLI output: zh or en |
| PAICHAN_PLAN_DEADLINE | 2.0 | seconds per plan / change assessment |
| PAICHAN_IMPORT_PLAN_SECONDS | 10 | seconds for the plan after an import |
| PAICHAN_SOLVER_WORKERS | 1 | solver threads per plan (CP-SAT workers; search threads on a large factory) |
| PAICHAN_FROZEN_MINUTES | 240 | frozen horizon: steps starting sooner stay put |
| PAICHAN_DEEP_PLAN_TIME | 02:00 | when the nightly re-plan runs (factory time; ``off``: never) |
| PAICHAN_DEEP_PLAN_SECONDS | 60 | its deadline in seconds |
| PAICHAN_CHANGE_TTL_MINUTES | 10 | how long a Confirm button stays valid |
| PAICHAN_LINK_TTL_HOURS | 24 | how long a link code stays valid |
| PAICHAN_TELEGRAM_BOT_NAME | (none) | the bot's @username, for ``https://t.me/<bot>?start=<code>`` links |
| PAICHAN_SECRET_KEY | (random per process) | key of the web app's encrypted session cookie (any text, 16+ characters) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["Settings", "SettingsError", "deep_link", "load_settings"]


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///paichan.db"
    timezone: str = "Asia/Shanghai"
    lang: str | None = None
    plan_deadline: float = 2.0
    import_plan_seconds: float = 10.0
    solver_workers: int = 1
    frozen_minutes: int = 240
    change_ttl: timedelta = timedelta(minutes=10)
    link_ttl: timedelta = timedelta(hours=24)
    telegram_bot_name: str | None = None
    telegram_token: str | None = field(default=None, repr=False)
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    notify_config: str | None = None
    quiet_hours: tuple[str, str] = ("22:00", "08:00")
    survey_delay: timedelta = timedelta(hours=24)
    summary_time: str = "08:00"
    deep_plan_time: str | None = "02:00"
    deep_plan_seconds: float = 60.0
    secret_key: str | None = field(default=None, repr=False)
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


def _hhmm(name: str, raw: str) -> str:
    parts = raw.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or not (0 <= int(parts[0]) <= 23 and 0 <= int(parts[1]) <= 59):
        raise SettingsError(f"{name}={raw!r} must be a time like 08:00")
    return f"{int(parts[0]):02d}:{int(parts[1]):02d}"


def _hhmm_or_off(name: str, raw: str) -> str | None:
    return None if raw.strip().lower() in ("off", "none") else _hhmm(name, raw)


def _window(raw: str) -> tuple[str, str]:
    if raw.strip().lower() in ("", "off", "none"):
        return ("00:00", "00:00")
    a, sep, b = raw.partition("-")
    if not sep:
        raise SettingsError(f"PAICHAN_QUIET_HOURS={raw!r} must look like 22:00-08:00 (or off)")
    return (_hhmm("PAICHAN_QUIET_HOURS", a), _hhmm("PAICHAN_QUIET_HOURS", b))


def _secret(raw: str | None) -> str | None:
    if raw is not None and len(raw) < 16:
        raise SettingsError("PAICHAN_SECRET_KEY must have at least 16 characters")
    return raw


def deep_link(bot_name: str | None, code: str) -> str | None:
    """``https://t.me/<bot>?start=<code>`` when the bot's name is configured."""
    return f"https://t.me/{bot_name}?start={code}" if bot_name else None


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
        import_plan_seconds=_num(env, "PAICHAN_IMPORT_PLAN_SECONDS", 10.0, float, 0.5, 600),
        solver_workers=int(_num(env, "PAICHAN_SOLVER_WORKERS", 1, int, 1, 64)),
        frozen_minutes=int(_num(env, "PAICHAN_FROZEN_MINUTES", 240, int, 0, 10080)),
        change_ttl=timedelta(minutes=_num(env, "PAICHAN_CHANGE_TTL_MINUTES", 10, float, 1, 1440)),
        link_ttl=timedelta(hours=_num(env, "PAICHAN_LINK_TTL_HOURS", 24, float, 0.1, 720)),
        telegram_bot_name=(env.get("PAICHAN_TELEGRAM_BOT_NAME") or "").strip().lstrip("@") or None,
        telegram_token=env.get("PAICHAN_TELEGRAM_TOKEN") or None,
        telegram_base_url=env.get("PAICHAN_TELEGRAM_BASE_URL") or "https://api.telegram.org/bot",
        telegram_webhook_url=env.get("PAICHAN_TELEGRAM_WEBHOOK_URL") or None,
        telegram_webhook_secret=env.get("PAICHAN_TELEGRAM_WEBHOOK_SECRET") or None,
        host=env.get("PAICHAN_HOST") or "127.0.0.1",
        port=int(_num(env, "PAICHAN_PORT", 8080, int, 1, 65535)),
        notify_config=env.get("PAICHAN_NOTIFY_CONFIG") or None,
        quiet_hours=_window(env.get("PAICHAN_QUIET_HOURS") or "22:00-08:00"),
        survey_delay=timedelta(hours=_num(env, "PAICHAN_SURVEY_DELAY_HOURS", 24, float, 0, 720)),
        summary_time=_hhmm("PAICHAN_SUMMARY_TIME", env.get("PAICHAN_SUMMARY_TIME") or "08:00"),
        deep_plan_time=_hhmm_or_off("PAICHAN_DEEP_PLAN_TIME", env.get("PAICHAN_DEEP_PLAN_TIME") or "02:00"),
        deep_plan_seconds=_num(env, "PAICHAN_DEEP_PLAN_SECONDS", 60.0, float, 1, 3600),
        secret_key=_secret(env.get("PAICHAN_SECRET_KEY") or None),
        env=env,
    )
