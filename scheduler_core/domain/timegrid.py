"""The ONE place where aware datetimes become integer minutes and back.

Outside the planner everything is an aware :class:`datetime`; inside it is whole minutes
since ``origin``. ``now`` is never read here: callers pass it (from an injected clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["TimeGrid", "ensure_aware", "floor_minute"]


def ensure_aware(dt: datetime) -> datetime:
    """Reject naive datetimes: they are a bug, not an input."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} (a timezone is required)")
    return dt


def floor_minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class TimeGrid:
    """Minutes since ``origin`` (an aware datetime); ``tz`` is the factory's timezone.

    Conversions are exact to the minute; seconds are floored.
    """

    origin: datetime
    tz: tzinfo

    @classmethod
    def starting(cls, origin: datetime, tz: str | tzinfo) -> TimeGrid:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return cls(floor_minute(ensure_aware(origin)), zone)

    def minutes(self, dt: datetime) -> int:
        """Whole minutes from origin to ``dt`` (floored)."""
        delta = ensure_aware(dt) - self.origin
        return int(delta.total_seconds() // 60)

    def at(self, minutes: int) -> datetime:
        """The datetime ``minutes`` after origin, in the factory timezone."""
        return (self.origin + timedelta(minutes=minutes)).astimezone(self.tz)
