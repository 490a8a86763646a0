"""The outbox relay: due rows -> recipient -> text in the recipient's language -> channel.

A dispatcher reads the due rows (urgent first, then oldest), resolves each recipient (use case
:func:`~scheduler_core.services.notifications.resolve_delivery`) and hands the row to the
*lane* of its channel (one lane per rate limit: the Telegram bot, each group robot, the SMTP
server). Each lane has a token bucket (its configured rate) and a few workers, so a slow
WeCom robot (20 a minute) never holds up Telegram. After the send the row is marked sent; a
failure is marked with its next attempt (exponential backoff with jitter; a 429's
``retry_after`` is honoured and pauses the lane) or made a dead letter (a 400, a refused
address, or ``max_attempts`` failures).

Delivery semantics (P5, GUARANTEES.md): rows are written in the same transaction as what they
report; a delay warning is marked sent AFTER the send, so a crash between the send and the
mark repeats it once at most (at-least-once); a survey is marked BEFORE the send, so such a
crash skips it rather than asking twice (at-most-once).

Quiet hours: a non-urgent row due inside its recipient's quiet window is deferred to the end
of it (no attempt is counted; rows queued by the jobs carry their quiet-hours ``not_before``
already). Retries never land in quiet hours either.

Only ONE relay may run per database (the scheduler process, see :mod:`jobs.registry`): rows
are not leased, so two relays would send the same row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_core.reports.i18n import LANGS, Lang, translator
from scheduler_core.reports.notify import Picture, render_notification
from scheduler_core.services.context import Services
from scheduler_core.services.notifications import (
    Delivery,
    NotifySettings,
    deactivate_identity,
    quiet_until,
    resolve_delivery,
)
from scheduler_core.services.pictures import summary_pictures
from scheduler_core.services.ports import OutboxItem

from .channels import Channel, DeliveryError, Permanent, RecipientGone, RetryLater, Transient
from .config import NotifyConfig

__all__ = ["Relay", "RelayPolicy", "RelayStats", "SummaryPictures", "TokenBucket", "build_channels", "relay_from_config"]

log = logging.getLogger("paichan.relay")

PictureSource = Callable[[str, Mapping[str, Any]], Awaitable[Sequence[Picture]]]


@dataclass(frozen=True)
class RelayPolicy:
    max_attempts: int = 8
    base_delay: float = 30.0  # seconds before the first retry
    max_delay: float = 6 * 3600.0
    jitter: float = 0.5  # backoff delay x uniform(1 - jitter, 1 + jitter)
    batch: int = 200  # rows read per dispatch
    workers_per_lane: int = 2
    poll: float = 1.0  # seconds between dispatches when idle
    at_most_once: frozenset[str] = frozenset({"survey", "survey_reminder"})

    @classmethod
    def from_config(cls, config: NotifyConfig) -> RelayPolicy:
        return cls(max_attempts=config.max_attempts, base_delay=config.base_delay, max_delay=config.max_delay)


@dataclass
class RelayStats:
    sent: int = 0
    retries: int = 0
    dead: int = 0
    deferred: int = 0
    skipped: int = 0  # at-most-once rows whose send may or may not have arrived
    blocked: int = 0  # chat identities made inactive (403)
    by_channel: dict[str, int] = field(default_factory=dict)


class TokenBucket:
    """``rate`` requests a second with bursts of ``burst``; :meth:`pause` stops it for a while
    (a 429's retry_after). Keeps the figures :mod:`bot.benchmarks.notify` reports."""

    def __init__(self, rate: float, burst: int = 1, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._mono = monotonic
        self._updated = monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.requests = 0
        self.first: float | None = None
        self.last: float | None = None
        self.paused = 0.0  # seconds the server made us wait
        # the backlog: up to the last first attempt (retries trailing behind it wait on purpose)
        self._backlog: tuple[float, int, float] | None = None  # (time, requests, paused) then

    async def acquire(self, cost: int = 1, *, first_attempt: bool = True) -> None:
        async with self._lock:
            while True:
                now = self._mono()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                need = min(float(cost), float(self.burst))
                if self._tokens >= need:
                    self._tokens -= cost  # a multi-request message may leave a debt
                    self.requests += cost
                    self.first = now if self.first is None else self.first
                    self.last = now
                    if first_attempt:
                        self._backlog = (now, self.requests, self.paused)
                    return
                await asyncio.sleep((need - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        now = self._mono()
        until = now + max(0.0, seconds)
        if until > self._paused_until:
            self.paused += until - max(now, self._paused_until)
            self._paused_until = until
            self._tokens = 1.0  # one request right when the wait is over, then the rate
            self._updated = until

    def achieved_ratio(self) -> float | None:
        """Requests per second while the lane had a backlog (from its first request to its last
        first attempt), not counting the time the service told us to wait, over ``rate``."""
        if self.first is None or self._backlog is None:
            return None
        until, requests, paused = self._backlog
        active = until - self.first - paused
        if requests <= self.burst or active <= 0:
            return None
        return (requests - self.burst) / active / self.rate


@dataclass(frozen=True)
class _Job:
    item: OutboxItem
    delivery: Delivery | None
    more: tuple[_Job, ...] = ()  # rows delivered with this one as one message (a digest)

    @property
    def keys(self) -> list[str]:
        return [self.item.notification.dedup_key, *(j.item.notification.dedup_key for j in self.more)]


DIGEST_KINDS = {"delay_sales": "delay_sales_digest"}
"""Kinds of which the rows due together for one person go out as one message: a salesperson
whose orders a rush insertion or a breakdown delays reads one list, not a message per order.
Each row keeps its own dedup key and outcome (sent, retried, dead) as one."""


def _digests(jobs: Sequence[_Job]) -> list[_Job]:
    """Rows of a :data:`DIGEST_KINDS` kind due for the same recipient, joined into one job."""
    out: list[_Job] = []
    first: dict[tuple[str, str], int] = {}
    for job in jobs:
        n = job.item.notification
        if n.kind not in DIGEST_KINDS or job.delivery is None:
            out.append(job)
            continue
        at = first.setdefault((n.kind, n.recipient), len(out))
        if at == len(out):
            out.append(job)
        else:
            out[at] = dataclasses.replace(out[at], more=(*out[at].more, job))
    return out


def _digest_payload(job: _Job) -> dict[str, Any]:
    """The digest's rows, each with what its delivery context knows (customer, why late)."""
    rows = []
    for j in (job, *job.more):
        p = dict(j.item.notification.payload)
        ctx = j.delivery.context if j.delivery is not None else {}
        p.setdefault("customer", ctx.get("customer"))
        if not p.get("cause") and ctx.get("cause"):
            p["cause"] = ctx["cause"]
        rows.append(p)
    return {"orders": rows}


class SummaryPictures:
    """The daily summary's pictures per (date, language), drawn once: the Gantt of the next
    three days and the KPI trend."""

    def __init__(self, svc: Services, *, days: float = 3.0) -> None:
        self.svc = svc
        self.days = days
        self._cache: dict[tuple[str, str], list[Picture]] = {}
        self._lock = asyncio.Lock()

    async def __call__(self, lang: str, payload: Mapping[str, Any]) -> Sequence[Picture]:
        key = (str(payload.get("date")), lang)
        async with self._lock:
            if key not in self._cache:
                self._cache = {k: v for k, v in self._cache.items() if k[0] == key[0]}
                self._cache[key] = await self._draw(_lang(lang), payload)
            return self._cache[key]

    async def _draw(self, lang: Lang, payload: Mapping[str, Any]) -> list[Picture]:
        tr = translator(lang).at(self.svc.now())
        return await summary_pictures(self.svc, tr, list(payload.get("trend") or []), days=self.days)


def _lang(lang: str) -> Lang:
    return next((x for x in LANGS if x == lang), "zh_Hans")


class Relay:
    """Delivers the outbox. :meth:`dispatch` (called by the scheduler every few seconds, or by
    :meth:`run`) feeds the lanes; :meth:`drain` delivers everything due, for tests and CLIs."""

    def __init__(self, svc: Services, channels: Mapping[str, Channel], *,
                 rates: Mapping[str, tuple[float, int]] | None = None,
                 settings: NotifySettings | None = None,
                 preferences: Mapping[str, Sequence[str]] | None = None,
                 policy: RelayPolicy = RelayPolicy(),
                 pictures: PictureSource | None = None,
                 rng: random.Random | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.svc = svc
        self.channels = dict(channels)
        self.rates = dict(rates or {})
        self.settings = settings or NotifySettings()
        self.preferences = dict(preferences or {})
        self.policy = policy
        self.pictures: PictureSource = pictures or SummaryPictures(svc)
        self.rng = rng or random.Random()
        self._mono = monotonic
        self.stats = RelayStats()
        self.buckets: dict[str, TokenBucket] = {}
        self._queues: dict[str, asyncio.Queue[_Job]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._inflight: set[str] = set()
        self._blocked: set[tuple[str, str]] = set()  # (channel, address) that answered 403

    # --- lanes ---------------------------------------------------------------------------
    def bucket(self, lane: str) -> TokenBucket:
        if lane not in self.buckets:
            rate, burst = self.rates.get(lane) or self.rates.get(lane.split(":", 1)[0]) or (1.0, 1)
            self.buckets[lane] = TokenBucket(rate, burst, monotonic=self._mono)
        return self.buckets[lane]

    def _lane_of(self, job: _Job) -> str:
        if job.delivery is None or not job.delivery.targets:
            return "-"
        target = job.delivery.targets[0]
        channel = self.channels.get(target.channel)
        return channel.lane(target.address) if channel is not None else target.channel

    def _queue(self, lane: str) -> asyncio.Queue[_Job]:
        if lane not in self._queues:
            q: asyncio.Queue[_Job] = asyncio.Queue()
            self._queues[lane] = q
            for _ in range(max(1, self.policy.workers_per_lane)):
                self._workers.append(asyncio.create_task(self._work(q), name=f"relay-{lane}"))
        return self._queues[lane]

    async def _work(self, q: asyncio.Queue[_Job]) -> None:
        while True:
            job = await q.get()
            key = job.item.notification.dedup_key
            try:
                await self._deliver(job)
            except Exception:  # the relay's boundary: one bad row must not stop the lane
                log.exception("relay: delivering %s failed; it stays pending", key)
            finally:
                self._inflight.difference_update(job.keys)
                q.task_done()

    # --- the loop ------------------------------------------------------------------------
    async def dispatch(self) -> int:
        """Hand every due row that is not in flight to its lane; returns how many."""
        now = self.svc.now()
        async with self.svc.uow() as uow:
            items = [i for i in await uow.outbox.due(now, self.policy.batch + len(self._inflight))
                     if i.notification.dedup_key not in self._inflight]
            jobs = [_Job(i, await resolve_delivery(uow, i.notification, preferences=self.preferences,
                                                   settings=self.settings)) for i in items]
        for job in _digests(jobs):
            self._inflight.update(job.keys)
            self._queue(self._lane_of(job)).put_nowait(job)
        return len(jobs)

    async def idle(self) -> None:
        """Wait until every handed-out row is done."""
        for q in list(self._queues.values()):
            await q.join()

    async def drain(self, *, wait_for_retries: float = 0.0) -> RelayStats:
        """Deliver every row due now; with ``wait_for_retries`` > 0 (seconds), also the retries
        that come due within that time (real clocks: benchmarks, the CLI)."""
        deadline = self._mono() + wait_for_retries
        while True:
            n = await self.dispatch()
            await self.idle()
            if n:
                continue
            if self._mono() >= deadline:
                break
            async with self.svc.uow() as uow:
                if await uow.outbox.count("pending") == 0:
                    break
            await asyncio.sleep(min(self.policy.poll, 0.05))
        return self.stats

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set (a stand-alone relay process)."""
        try:
            while not stop.is_set():
                n = await self.dispatch()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.05 if n else self.policy.poll)
        finally:
            await self.close()

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        for channel in self.channels.values():
            await channel.close()

    # --- one row -------------------------------------------------------------------------
    async def _deliver(self, job: _Job) -> None:
        n = job.item.notification
        keys = job.keys
        d = job.delivery
        if d is None:
            await self._mark_failed(keys, "no route to the recipient (unknown, inactive or unreachable)", None)
            self.stats.dead += 1
            return
        now = self.svc.now()
        tz = ZoneInfo(d.tz)
        if not n.urgent:
            until = quiet_until(now, tz, self.settings.quiet_for(d.user))
            if until is not None:
                async with self.svc.uow(write=True) as uow:
                    for key in keys:
                        await uow.outbox.defer(key, until)
                    await uow.commit()
                self.stats.deferred += 1
                return
        lang = _lang(d.lang)
        pictures: Sequence[Picture] = await self.pictures(lang, n.payload) if n.kind == "summary" else ()
        kind, payload = (DIGEST_KINDS[n.kind], _digest_payload(job)) if job.more else (n.kind, n.payload)
        try:
            message = render_notification(kind, payload, translator(lang).at(now), tz=tz, context=d.context,
                                          pictures=pictures)
        except ValueError as exc:  # a kind without a text: no retry can help
            await self._mark_failed(keys, str(exc), None)
            self.stats.dead += 1
            return
        at_most_once = n.kind in self.policy.at_most_once
        last_error = "no configured channel reaches the recipient"
        for target in d.targets:
            channel = self.channels.get(target.channel)
            if channel is None:
                last_error = f"channel {target.channel} is not configured"
                continue
            if (target.channel, target.address) in self._blocked:
                last_error = f"{target.channel} {target.address} blocked us"
                continue
            if at_most_once:
                await self._mark_sent(keys)  # a crash from here on skips it: never asked twice
            bucket = self.bucket(channel.lane(target.address))
            await bucket.acquire(channel.cost(message), first_attempt=job.item.attempts == 0)
            try:
                await channel.send(target.address, message)
            except RetryLater as exc:
                bucket.pause(exc.retry_after if exc.retry_after is not None else 1.0)
                await self._retry(job, d, str(exc), exc.retry_after)
                return
            except Transient as exc:
                if at_most_once and exc.maybe_delivered:
                    self.stats.skipped += 1  # it may have arrived: stays marked sent
                    log.warning("relay: %s may not have arrived (%s); not sent again", keys[0], exc)
                    return
                await self._retry(job, d, str(exc), None)
                return
            except RecipientGone as exc:
                last_error = str(exc)
                self._blocked.add((target.channel, target.address))
                if target.channel != "email" and target.address.lstrip("-").isdigit():
                    if await deactivate_identity(self.svc, target.channel, int(target.address)):
                        self.stats.blocked += 1
                continue  # the next way to reach the person, if any
            except Permanent as exc:
                await self._mark_failed(keys, str(exc), None)
                self.stats.dead += 1
                return
            except DeliveryError as exc:  # a channel raised the base class: treat as transient
                await self._retry(job, d, str(exc), None)
                return
            if not at_most_once:
                await self._mark_sent(keys)
            self.stats.sent += 1
            self.stats.by_channel[target.channel] = self.stats.by_channel.get(target.channel, 0) + 1
            return
        await self._mark_failed(keys, last_error, None)
        self.stats.dead += 1

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1-based): base * 2^(attempt-1), capped, jittered."""
        delay = min(self.policy.max_delay, self.policy.base_delay * 2.0 ** max(0, attempt - 1))
        return delay * self.rng.uniform(1 - self.policy.jitter, 1 + self.policy.jitter)

    async def _retry(self, job: _Job, d: Delivery, error: str, retry_after: float | None) -> None:
        attempt = job.item.attempts + 1
        if attempt >= self.policy.max_attempts:
            await self._mark_failed(job.keys, f"gave up after {attempt} attempts: {error}", None)
            self.stats.dead += 1
            return
        delay = retry_after * self.rng.uniform(1.0, 1.2) if retry_after is not None else self.backoff(attempt)
        when = self.svc.now() + timedelta(seconds=delay)
        if not job.item.notification.urgent:
            when = quiet_until(when, ZoneInfo(d.tz), self.settings.quiet_for(d.user)) or when
        await self._mark_failed(job.keys, error, when)
        self.stats.retries += 1

    async def _mark_sent(self, keys: Sequence[str]) -> None:
        async with self.svc.uow(write=True) as uow:
            for key in keys:
                await uow.outbox.mark_sent(key, self.svc.now())
            await uow.commit()

    async def _mark_failed(self, keys: Sequence[str], error: str, next_attempt: datetime | None) -> None:
        async with self.svc.uow(write=True) as uow:
            for key in keys:
                await uow.outbox.mark_failed(key, error, next_attempt)
            await uow.commit()


def build_channels(config: NotifyConfig) -> dict[str, Channel]:
    """The channels the configuration names (Telegram when a token is set)."""
    from .channels.dingtalk import DingTalkChannel, DingTalkRobot
    from .channels.email import EmailChannel, SmtpConfig
    from .channels.feishu import FeishuBot, FeishuChannel
    from .channels.wecom import WeComChannel

    out: dict[str, Channel] = {}
    if config.jobs.telegram_token:
        from .channels.telegram import TelegramChannel

        out["telegram"] = TelegramChannel(config.jobs.telegram_token, base_url=config.jobs.telegram_base_url,
                                          timeout=config.telegram_timeout)
    if config.email is not None:
        e = config.email
        out["email"] = EmailChannel(SmtpConfig(e.host, e.port, e.security, e.username, e.password, e.sender, e.timeout))
    robots = {k: [r for r in config.robots if r.kind == k] for k in ("wecom", "dingtalk", "feishu")}
    if robots["wecom"]:
        out["wecom"] = WeComChannel({r.name: r.webhook for r in robots["wecom"]}, timeout=config.http_timeout,
                                    too_fast_retry=config.robot_retry)
    if robots["dingtalk"]:
        out["dingtalk"] = DingTalkChannel({r.name: DingTalkRobot(r.webhook, r.secret) for r in robots["dingtalk"]},
                                          timeout=config.http_timeout, too_fast_retry=config.robot_retry)
    if robots["feishu"]:
        out["feishu"] = FeishuChannel({r.name: FeishuBot(r.webhook, r.secret) for r in robots["feishu"]},
                                      timeout=config.http_timeout, too_fast_retry=config.robot_retry)
    return out


def relay_from_config(svc: Services, config: NotifyConfig, channels: Mapping[str, Channel] | None = None,
                      **kw: Any) -> Relay:
    """A relay with the configured channels and the web chat, rates, preferences and retry policy."""
    from .channels.web import WebChatChannel

    policy = kw.pop("policy", None) or RelayPolicy.from_config(config)
    if channels is None:
        channels = {**build_channels(config), "web": WebChatChannel(svc.uow, svc.now)}
    return Relay(svc, channels, rates=config.rates(),
                 settings=config.notify_settings(), preferences=config.preferences, policy=policy, **kw)

