"""Where each ticket stands, from the hub's guest feed alone (pure: no network, no clock).

The hub publishes, retained, one ``guest/service/<id>`` message per service
(``contract.payloads.guest_service``): the waiting list in its order, each ticket by its
opaque id with its estimate, and the tickets called to a counter.  ``Board`` keeps the last
message of each service and an index from opaque id to its place, so a page's lookup costs a
dict access and a phone never causes a request to the hub.

A ticket that is in no list (finished, cancelled, expired, voided, never issued, or a ref
typed wrong) gives ``NOTHING``: the page cannot tell a wrong ref from a finished ticket, so a
guesser learns nothing from the answer.  A message that is not a guest feed is refused,
counted in ``bad`` and changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

from contract.guest import ID_CHARS

#: the page's near-front alert: when the ticket's estimate is at most this many minutes
#: ("about five minutes before the estimate": time to walk back from a café across the street)
ALERT_MIN = 5

NOTHING: dict = {"state": "none"}

_ID = re.compile(rf"^[0-9a-f]{{{ID_CHARS}}}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FeedError(ValueError):
    """A guest feed message that cannot be used (what is wrong is the message)."""


@dataclass(frozen=True)
class Place:
    service: str
    #: index in the waiting list, or -1 for a ticket at a counter
    index: int
    entry: Mapping[str, Any]


def _int(entry: Mapping, key: str, low: int = 0, high: int = 100_000) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise FeedError(f"{key}: {value!r} is not a whole number from {low} to {high}")
    return value


def _str(entry: Mapping, key: str, limit: int = 64) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise FeedError(f"{key}: {value!r} is not a text of 1 to {limit} characters")
    return value


def check_feed(service: str, payload: Any) -> dict:
    """The feed message as the board keeps it, or FeedError naming what is wrong."""
    if not isinstance(payload, dict) or payload.get("type") != "guest.service":
        raise FeedError("not a guest.service message")
    if payload.get("service") != service:
        raise FeedError(f"service: {payload.get('service')!r} on the topic of {service!r}")
    day = payload.get("service_day")
    if day is not None and not (isinstance(day, str) and _DAY.match(day)):
        raise FeedError(f"service_day: {day!r}")
    names = payload.get("names")
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise FeedError("names: not a table of language = text")
    waiting, called = payload.get("waiting"), payload.get("called")
    if not isinstance(waiting, list) or not isinstance(called, list):
        raise FeedError("waiting and called must be lists")
    for entry in waiting + called:
        if not isinstance(entry, dict) or not _ID.match(str(entry.get("id", ""))):
            raise FeedError(f"an entry without a valid id: {str(entry)[:80]}")
        _str(entry, "code", 16)
        _str(entry, "language", 16)
    for entry in waiting:
        low, high = _int(entry, "low_min"), _int(entry, "high_min")
        _int(entry, "wait_min")
        if low > high:
            raise FeedError(f"low_min {low} above high_min {high}")
    for entry in called:
        _int(entry, "counter_number", 0, 9999)
    return payload


@dataclass
class Board:
    feeds: dict[str, dict] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    #: refused feed messages, by why
    bad: Counter = field(default_factory=Counter)

    def update(self, service: str, payload: Any) -> bool:
        """Take a service's new message (None: the topic was cleared).  False when refused."""
        if payload is not None:
            try:
                payload = check_feed(service, payload)
            except FeedError as exc:
                self.bad[str(exc).split(":")[0]] += 1
                return False
        old = self.feeds.pop(service, None)
        if old is not None:
            for entry in old["waiting"] + old["called"]:
                place = self.places.get(entry["id"])
                if place is not None and place.service == service:
                    del self.places[entry["id"]]
        if payload is not None:
            self.feeds[service] = payload
            for index, entry in enumerate(payload["waiting"]):
                self.places[entry["id"]] = Place(service, index, entry)
            for entry in payload["called"]:
                self.places[entry["id"]] = Place(service, -1, entry)
        return True

    def today(self) -> str | None:
        """The newest service day of any feed: a feed of an older day is a day that is over."""
        days = [f["service_day"] for f in self.feeds.values() if f.get("service_day")]
        return max(days) if days else None

    def view(self, opaque_id: str) -> dict:
        """What the page of this ticket shows (``NOTHING`` when it is in no list of today)."""
        place = self.places.get(opaque_id)
        if place is None:
            return NOTHING
        feed = self.feeds[place.service]
        if feed.get("service_day") != self.today():
            return NOTHING
        entry = place.entry
        common = {"code": entry["code"], "language": entry["language"], "service": place.service,
                  "names": feed["names"], "service_day": feed["service_day"]}
        if place.index < 0:
            return {"state": "called", **common, "counter_number": entry["counter_number"],
                    "recalls": entry.get("recalls", 0)}
        return {"state": "waiting", **common, "ahead": place.index, "wait_min": entry["wait_min"],
                "low_min": entry["low_min"], "high_min": entry["high_min"],
                "alert": entry["wait_min"] <= ALERT_MIN}
