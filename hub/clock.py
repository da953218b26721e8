"""The hub's clock: the one source of service days and printed times.

Devices never decide what day or time it is; the hub does, in the site's
time zone.  Tests pass a ``FakeClock`` to move time without sleeping.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class Clock:
    def now(self) -> float:
        """Unix seconds."""
        return time.time()

    def __call__(self) -> float:
        """``now()``: a clock is also the plain time function a device's parts take (``DeviceLink(clock=...)``)."""
        return self.now()


class FakeClock(Clock):
    """A clock that moves only when told (``advance``, or set ``t``): the tests' one fake clock, for
    the hub (``Engine(clock=...)``) and for anything that takes a time function."""

    def __init__(self, start: float = 1_790_000_000.0):
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class SiteTime:
    """Converts hub timestamps to the site's local time and service day."""

    def __init__(self, tz_name: str, day_starts: str = "00:00"):
        self.tz = ZoneInfo(tz_name)
        hours, minutes = (int(x) for x in day_starts.split(":"))
        self.day_offset = timedelta(hours=hours, minutes=minutes)

    def local(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, timezone.utc).astimezone(self.tz)

    def iso(self, t: float | None) -> str | None:
        if t is None:
            return None
        return self.local(t).isoformat(timespec="seconds")

    def service_day(self, t: float) -> str:
        """The day whose numbering a ticket issued at ``t`` belongs to."""
        return (self.local(t) - self.day_offset).date().isoformat()

    def weekday(self, t: float) -> str:
        return ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[self.local(t).weekday()]

    def hhmm(self, t: float) -> str:
        return self.local(t).strftime("%H:%M")

    def day_start(self, day: str) -> float:
        """Unix time at which service day ``day`` (ISO date) begins."""
        midnight = datetime.combine(date.fromisoformat(day), datetime.min.time(), self.tz)
        return (midnight + self.day_offset).timestamp()

    def at(self, day: str, hhmm: str) -> float:
        """Unix time of the local time ``hhmm`` on the date ``day`` (an appointment's slot)."""
        hours, minutes = (int(x) for x in hhmm.split(":"))
        return datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=hours, minute=minutes),
                                self.tz).timestamp()

    @staticmethod
    def days_before(day: str, days: int) -> str:
        """The ISO date ``days`` before ``day``."""
        return (date.fromisoformat(day) - timedelta(days=days)).isoformat()
