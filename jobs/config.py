"""The notification configuration: a TOML file (``PAICHAN_NOTIFY_CONFIG``) naming the robots,
groups and mail server, which groups get what, and per-person preferences.

Example (every section optional)::

    [relay]
    max_attempts = 8            # then the row is a dead letter
    base_delay_seconds = 30     # backoff: base * 2^attempt, with +-50 % jitter, at most 6 h

    [telegram]                  # the token comes from PAICHAN_TELEGRAM_TOKEN
    rate_per_second = 25        # Telegram allows about 30 messages a second per bot

    [email]
    host = "smtp.example.com"
    port = 465
    security = "ssl"            # ssl | starttls | none
    username = "paichan@example.com"
    password_env = "PAICHAN_SMTP_PASSWORD"   # the secret itself stays in the environment
    sender = "排产 paichan <paichan@example.com>"
    rate_per_second = 2

    [wecom.ops]                 # a WeCom group robot called "ops"
    webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."
    kinds = ["summary"]         # what the group gets (default: the daily summary)
    lang = "zh_Hans"

    [dingtalk.plant]
    webhook = "https://oapi.dingtalk.com/robot/send?access_token=..."
    secret_env = "PAICHAN_DINGTALK_PLANT_SECRET"

    [feishu.board]
    webhook = "https://open.feishu.cn/open-apis/bot/v2/hook/..."
    secret = "..."              # or secret_env
    lang = "en"

    [users.mia]                 # a manager's own preferences
    channels = ["email", "telegram"]   # first reachable one wins
    timezone = "Europe/Berlin"
    quiet_hours = "23:00-07:00"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from scheduler_core.services.notifications import GroupRecipient, NotifySettings, QuietHours

__all__ = ["ConfigError", "EmailSettings", "JobSettings", "NotifyConfig", "RobotSettings", "load_config"]

_ROBOT_RATE_PER_MINUTE = {"wecom": 20.0, "dingtalk": 20.0, "feishu": 100.0}


class ConfigError(ValueError):
    """The notification config cannot be used; the message names the key."""


@dataclass(frozen=True)
class RobotSettings:
    kind: str  # wecom | dingtalk | feishu
    name: str
    webhook: str
    secret: str | None = None
    lang: str = "zh_Hans"
    kinds: frozenset[str] = frozenset({"summary"})
    rate_per_minute: float = 20.0

    @property
    def address(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "paichan <paichan@localhost>"
    rate_per_second: float = 2.0
    timeout: float = 20.0


@dataclass(frozen=True)
class JobSettings:
    """What the jobs take from the application settings (filled by the composition root)."""

    timezone: str = "Asia/Shanghai"
    quiet_hours: tuple[str, str] = ("22:00", "08:00")
    survey_delay: timedelta = timedelta(hours=24)
    summary_time: str = "08:00"
    deep_plan_time: str | None = "02:00"  # None: no nightly re-plan
    deep_plan_seconds: float = 60.0
    telegram_token: str | None = field(default=None, repr=False)
    telegram_base_url: str = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class NotifyConfig:
    jobs: JobSettings = field(default_factory=JobSettings)
    telegram_rate: float = 25.0
    telegram_timeout: float = 10.0
    email: EmailSettings | None = None
    robots: tuple[RobotSettings, ...] = ()
    preferences: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    user_timezones: Mapping[str, str] = field(default_factory=dict)
    user_quiet: Mapping[str, QuietHours] = field(default_factory=dict)
    max_attempts: int = 8
    base_delay: float = 30.0
    max_delay: float = 6 * 3600.0
    http_timeout: float = 10.0
    robot_retry: float = 60.0  # seconds a group robot's "too fast" answer pauses it

    def notify_settings(self) -> NotifySettings:
        """The use cases' view of this configuration."""
        return NotifySettings(
            quiet=QuietHours.parse(self.jobs.quiet_hours), timezone=self.jobs.timezone,
            user_timezones=dict(self.user_timezones), user_quiet=dict(self.user_quiet),
            survey_delay=self.jobs.survey_delay,
            groups=tuple(GroupRecipient(r.address, r.lang, r.kinds) for r in self.robots),
        )

    def rates(self) -> dict[str, tuple[float, int]]:
        """Lane -> (requests per second, burst)."""
        out = {"telegram": (self.telegram_rate, max(1, int(self.telegram_rate))),
               "email": (self.email.rate_per_second if self.email else 2.0, 1),
               "web": (100.0, 100)}  # the web chat is memory: no service to spare
        for r in self.robots:
            out[r.address] = (r.rate_per_minute / 60.0, 1)
        return out


def _secret(section: Mapping[str, Any], env: Mapping[str, str], where: str) -> str | None:
    if section.get("secret_env") or section.get("password_env"):
        name = str(section.get("secret_env") or section.get("password_env"))
        value = env.get(name)
        if not value:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return value
    value = section.get("secret", section.get("password"))
    return str(value) if value else None


def _table(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{key}] must be a table")
    return value


def parse_config(doc: Mapping[str, Any], env: Mapping[str, str], jobs: JobSettings = JobSettings()) -> NotifyConfig:
    """A :class:`NotifyConfig` from a parsed TOML document."""
    robots: list[RobotSettings] = []
    for kind in ("wecom", "dingtalk", "feishu"):
        for name, section in _table(doc, kind).items():
            where = f"[{kind}.{name}]"
            if not isinstance(section, Mapping) or not section.get("webhook"):
                raise ConfigError(f"{where}: webhook is required")
            lang = str(section.get("lang", "zh_Hans"))
            if lang not in ("zh_Hans", "en"):
                raise ConfigError(f"{where}: lang must be zh_Hans or en")
            robots.append(RobotSettings(
                kind, name, str(section["webhook"]), _secret(section, env, where), lang,
                frozenset(section.get("kinds", ["summary"])),
                float(section.get("rate_per_minute", _ROBOT_RATE_PER_MINUTE[kind]))))
    email = None
    mail = _table(doc, "email")
    if mail:
        if not mail.get("host"):
            raise ConfigError("[email]: host is required")
        security = str(mail.get("security", "starttls"))
        if security not in ("starttls", "ssl", "none"):
            raise ConfigError("[email]: security must be starttls, ssl or none")
        email = EmailSettings(str(mail["host"]), int(mail.get("port", 465 if security == "ssl" else 587)), security,
                              mail.get("username"), _secret(mail, env, "[email]"),
                              str(mail.get("sender", "paichan <paichan@localhost>")),
                              float(mail.get("rate_per_second", 2.0)), float(mail.get("timeout", 20.0)))
    prefs: dict[str, tuple[str, ...]] = {}
    zones: dict[str, str] = {}
    quiet: dict[str, QuietHours] = {}
    for username, section in _table(doc, "users").items():
        if "channels" in section:
            prefs[username] = tuple(str(c) for c in section["channels"])
        if "timezone" in section:
            zones[username] = str(section["timezone"])
        if "quiet_hours" in section:
            try:
                quiet[username] = QuietHours.parse(str(section["quiet_hours"]))
            except ValueError as exc:
                raise ConfigError(f"[users.{username}]: quiet_hours: {exc}") from exc
    relay = _table(doc, "relay")
    telegram = _table(doc, "telegram")
    return NotifyConfig(
        jobs=jobs, telegram_rate=float(telegram.get("rate_per_second", 25.0)),
        telegram_timeout=float(telegram.get("timeout", 10.0)), email=email, robots=tuple(robots),
        preferences=prefs, user_timezones=zones, user_quiet=quiet,
        max_attempts=int(relay.get("max_attempts", 8)), base_delay=float(relay.get("base_delay_seconds", 30.0)),
        max_delay=float(relay.get("max_delay_seconds", 6 * 3600.0)),
        http_timeout=float(relay.get("http_timeout_seconds", 10.0)),
        robot_retry=float(relay.get("robot_retry_seconds", 60.0)),
    )


def load_config(path: str | Path | None, env: Mapping[str, str], jobs: JobSettings = JobSettings()) -> NotifyConfig:
    """The configuration in the TOML file at ``path`` (None: Telegram only, defaults)."""
    if path is None:
        return parse_config({}, env, jobs)
    try:
        with Path(path).open("rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return parse_config(doc, env, jobs)
