"""The site file's ``limits``: what one device may ask of the hub (requests per second, a burst,
tickets per service day), per role with per-device overrides (``devices[].limits``).

The defaults come from what the devices can honestly do, with room for retries:

* a **kiosk** with a printer hands out at most about one ticket a second (a thermal printer
  prints and cuts a ticket in 1-2 s; a visitor needs 3 touches and 5-10 s).  CNAI Lisboa's
  busiest kiosk issues a few hundred tickets a day (1,192 visitors a day across the network's
  centres in 2010), so 0.5 request/s sustained with a burst of 10 and 1,500 tickets a day are
  several times a real day and a fraction of a flood (55,624 tickets in 21 s were seen);
* a **counter**'s staff press a few times a minute: 1 request/s with a burst of 10 (a press
  retried, a transfer chosen quickly) and 1,000 tickets a day (the sorting office's second
  tickets);
* a **display** sends nothing (it only reads): 0.2/s, burst 5, no tickets.

The sum of the ticket quotas of every device that can issue must stay under the 99,999 numbers a
service has a day (``MAX_TICKET_NUMBER``), so no quota the site allows can overflow a code: the
site file is refused otherwise.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: the largest ticket number of a service day: codes are a prefix of one or two letters and
#: 3 to 5 digits (``A001`` ... ``A99999``), what the QR, the printer and the speech all take
MAX_TICKET_NUMBER = 99_999


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceLimit(_Model):
    #: requests a second, sustained (a token bucket's rate)
    requests_per_s: float = Field(gt=0, le=10_000)
    #: requests at once after a quiet moment (the bucket's size)
    burst: int = Field(ge=1, le=100_000)
    #: tickets this device may have issued in one service day (``issue_ticket`` and ``check_in``)
    tickets_per_day: int = Field(ge=0, le=MAX_TICKET_NUMBER)


class DeviceLimitOverride(_Model):
    """``devices[].limits``: any of the three, the rest from the device's role."""

    requests_per_s: float | None = Field(default=None, gt=0, le=10_000)
    burst: int | None = Field(default=None, ge=1, le=100_000)
    tickets_per_day: int | None = Field(default=None, ge=0, le=MAX_TICKET_NUMBER)


class Limits(_Model):
    kiosk: DeviceLimit = DeviceLimit(requests_per_s=0.5, burst=10, tickets_per_day=1500)
    counter: DeviceLimit = DeviceLimit(requests_per_s=1.0, burst=10, tickets_per_day=1000)
    display: DeviceLimit = DeviceLimit(requests_per_s=0.2, burst=5, tickets_per_day=0)
    hub: DeviceLimit = DeviceLimit(requests_per_s=0.2, burst=5, tickets_per_day=0)

    def for_device(self, role: str, override: DeviceLimitOverride | None) -> DeviceLimit:
        base: DeviceLimit = getattr(self, role)
        if override is None:
            return base
        return base.model_copy(update=override.model_dump(exclude_none=True))
