"""What the supervisor's console shows, from the hub's retained state alone (pure: no network, no clock).

The console reads, as a read-only monitor, what the hub and the devices keep retained on the broker:
``state/service/<id>`` (waiting counts, the estimate, the service's status for the day and why,
since when the longest-waiting ticket queues, and ``today``, the service's figures of the day so
far), ``state/counter/<id>`` (status, the ticket at the desk and since when), ``state/zone/<id>``
(only its ``ticker``: the supervisor's message on that zone's walls), ``presence/<device>`` and
``health/<device>`` (online, printer, scanner).  ``Board``
keeps the last message of each topic; ``console_view(board, site, now, ...)`` makes the plain
dataclasses the page shows.  Nothing here words anything: ``console.texts`` does, in the staff's
language, so the view is tested once and shown in any language.

Every retained payload is read defensively (``contract.payloads.read`` says a device must ignore
keys it does not know): a message on a topic the console does not follow is ignored; one that is
not a JSON object, or whose fields have the wrong types, is refused, counted in ``bad`` and
changes nothing.  A cleared retained topic (an empty payload, a retired device or service) forgets
what the board had.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from contract.topics import HUB_ID, Topics
from siteconf.schema import Site
from typeset.i18n import pick

#: the topics the board follows (``<base>/<kind>/<id>``), each under the console's monitor identity
KINDS = ("state/service", "state/counter", "state/zone", "presence", "health")
#: a service's state for the day (issue 17: a supervisor opens, pauses or closes it)
SERVICE_STATES = ("open", "paused", "closed")
#: printer states that need a person (hardware.health): paper, cover, the printer gone
PRINTER_PROBLEMS = {"paper_near_end", "paper_out", "cover_open", "offline", "no_answer", "io_error"}
SCANNER_PROBLEMS = {"disconnected"}
#: a service's figures of the day (``contract.payloads.day_figures``): counts summed over the services
COUNT_KEYS = ("issued", "served", "no_shows", "calls")


class StateError(ValueError):
    """A retained message the console cannot use (what is wrong is the message)."""


@dataclass(frozen=True)
class QueueRow:
    service: str
    prefix: str
    name: str
    #: "open", "paused" or "closed" (the hub's service status for the day; "open" until it says otherwise)
    state: str
    #: the supervisor's reason for a pause or a closure
    state_reason: str | None
    waiting: int | None
    waiting_priority: int | None
    open_counters: int | None
    #: the longest any ticket of the service has waited so far, whole minutes (None: unknown)
    longest_wait_min: int | None
    estimate: tuple[int, int] | None
    last_called: str | None
    #: the service's figures of the day so far (``day_figures``), or an empty dict
    today: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CounterRow:
    counter: str
    number: int
    name: str
    zone: str
    #: "open", "paused", "closed", or "unknown" before the hub said
    status: str
    serving: str | None
    serving_service: str | None
    serving_language: str | None
    #: minutes since the current ticket was called (None: nobody at the desk)
    serving_min: int | None
    recalls: int
    waiting: int | None
    #: the languages it calls by now (the hub's; before the hub said: the site file's)
    languages: tuple[str, ...]
    #: they were set for the day (``counter_languages``), not the site file's
    languages_of_day: bool = False


@dataclass(frozen=True)
class DeviceRow:
    device: str
    role: str
    zone: str | None
    #: True, False, or None when the broker holds no presence for it (never connected)
    online: bool | None
    printer: str | None
    scanner: str | None
    #: Unix seconds: now for a connected device, else when it was last heard of (None: never)
    last_seen: float | None
    #: short codes of what needs a person: "offline", "printer:paper_out", "scanner:disconnected"
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ConsoleView:
    site_name: str
    service_day: str | None
    hub_online: bool
    queues: tuple[QueueRow, ...]
    counters: tuple[CounterRow, ...]
    devices: tuple[DeviceRow, ...]
    #: the day's figures so far, every service together: issued, served, no_shows, calls (counts),
    #: mean_wait_min (weighted by calls), longest_wait_min; a figure no service reported is absent
    figures: Mapping[str, float]
    #: the supervisor's ticker message on each zone's walls now ((zone id, text) pairs, walls without one left out)
    tickers: tuple[tuple[str, str], ...]
    #: derived totals the page shows even without the hub's figures
    waiting_total: int
    problems: int


# ------------------------------------------------------------------ checks
def _opt_int(payload: Mapping, key: str, low: int = 0, high: int = 10_000_000) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise StateError(f"{key}: {value!r} is not a whole number from {low} to {high}")
    return value


def _opt_num(payload: Mapping, key: str) -> float | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StateError(f"{key}: {value!r} is not a number")
    return float(value)


def _opt_str(payload: Mapping, key: str, limit: int = 64) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise StateError(f"{key}: {value!r} is not a text of at most {limit} characters")
    return value


def _opt_time(payload: Mapping, key: str) -> float | None:
    """An ISO 8601 time with its offset (what the hub writes) as Unix seconds."""
    text = _opt_str(payload, key)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise StateError(f"{key}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise StateError(f"{key}: {text!r} has no UTC offset")
    return moment.timestamp()


def check(kind: str, payload: Any) -> dict:
    """The fields of a retained message the board keeps, checked; StateError names the first wrong one."""
    if not isinstance(payload, dict):
        raise StateError("not a JSON object")
    if kind == "state/service":
        state = payload.get("status") or "open"
        if state not in SERVICE_STATES:
            raise StateError(f"status: {state!r} is not one of {', '.join(SERVICE_STATES)}")
        low, high = _opt_int(payload, "estimated_wait_low_min"), _opt_int(payload, "estimated_wait_high_min")
        today = payload.get("today") or {}
        if not isinstance(today, dict):
            raise StateError("today: not an object")
        figures = {key: _opt_int(today, key) for key in COUNT_KEYS}
        figures |= {key: _opt_num(today, key) for key in ("mean_wait_min", "longest_wait_min")}
        return {"waiting": _opt_int(payload, "waiting"), "waiting_priority": _opt_int(payload, "waiting_priority"),
                "open_counters": _opt_int(payload, "open_counters"), "state": state,
                "state_reason": _opt_str(payload, "status_reason", 200),
                "estimate": (low, high) if low is not None and high is not None and low < high else None,
                "oldest_queued_at": _opt_time(payload, "oldest_queued_at"),
                "last_called": _opt_str(payload, "last_called", 8),
                "service_day": _opt_str(payload, "service_day", 10),
                "today": {k: v for k, v in figures.items() if v is not None}}
    if kind == "state/zone":
        ticker = payload.get("ticker")
        if ticker is not None and not isinstance(ticker, dict):
            raise StateError("ticker: not an object")
        return {"ticker": _opt_str(ticker, "text", 400) if ticker else None}
    if kind == "state/counter":
        status = _opt_str(payload, "status") or "unknown"
        current = payload.get("current")
        if current is not None and not isinstance(current, dict):
            raise StateError("current: not an object")
        current = current or {}
        languages = payload.get("languages")
        if languages is not None and (not isinstance(languages, list) or len(languages) > 40
                                      or not all(isinstance(x, str) and 0 < len(x) <= 16 for x in languages)):
            raise StateError(f"languages: {languages!r} is not a list of language codes")
        return {"status": status, "waiting": _opt_int(payload, "waiting"),
                "languages": tuple(languages) if languages is not None else None,
                "languages_of_day": payload.get("languages_of_day") is True,
                "code": _opt_str(current, "code", 8), "service": _opt_str(current, "service"),
                "language": _opt_str(current, "language", 16), "called_at": _opt_time(current, "called_at"),
                "recalls": _opt_int(current, "recalls") or 0}
    if kind == "presence":
        online = payload.get("online")
        if not isinstance(online, bool):
            raise StateError(f"online: {online!r} is not true or false")
        return {"online": online, "since": _opt_num(payload, "since")}
    if kind == "health":
        return {"at": _opt_num(payload, "at"), "printer": _opt_str(payload, "printer"),
                "scanner": _opt_str(payload, "scanner")}
    raise StateError(f"{kind}: not a topic the console follows")


# ------------------------------------------------------------------ the board
@dataclass
class Board:
    """The last retained message of every followed topic, checked.  ``update`` returns whether the
    board changed (the server pushes a new view only then)."""

    site_id: str
    entries: dict = field(default_factory=dict)
    #: (kind, why) of refused messages: counted, never shown
    bad: Counter = field(default_factory=Counter)
    #: topics outside what the board follows (a newer hub's): counted, ignored
    ignored: int = 0
    #: Unix seconds a device was seen going offline by this console (a last will carries the time it
    #: was set, not when the device went away)
    went_offline: dict = field(default_factory=dict)

    def __post_init__(self):
        self.base = Topics(self.site_id).base + "/"

    def split(self, topic: str) -> tuple[str, str] | None:
        """(kind, id) of a followed topic, or None."""
        if not topic.startswith(self.base):
            return None
        rest = topic[len(self.base):]
        kind, _, ident = rest.rpartition("/")
        return (kind, ident) if kind in KINDS and ident else None

    def update(self, topic: str, payload: Any, now: float | None = None) -> bool:
        place = self.split(topic)
        if place is None:
            self.ignored += 1
            return False
        if payload is None:  # a cleared retained topic
            return self.entries.pop(place, None) is not None
        try:
            entry = check(place[0], payload)
        except StateError as exc:
            self.bad[(place[0], str(exc).split(":")[0])] += 1
            return False
        if place[0] == "presence" and now is not None:
            before = self.entries.get(place)
            if not entry["online"] and before is not None and before["online"]:
                self.went_offline[place[1]] = now
        if self.entries.get(place) == entry:
            return False
        self.entries[place] = entry
        return True

    def get(self, kind: str, ident: str = "") -> dict | None:
        return self.entries.get((kind, ident))


# ------------------------------------------------------------------ the view
def _minutes(since: float | None, now: float) -> int | None:
    return None if since is None else max(0, int((now - since) // 60))


def _device_row(board: Board, device, now: float) -> DeviceRow:
    presence = board.get("presence", device.id)
    health = board.get("health", device.id) or {}
    online = presence["online"] if presence else None
    if online:
        last_seen = now
    else:
        heard = [t for t in (health.get("at"), board.went_offline.get(device.id)) if t is not None]
        last_seen = max(heard) if heard else None
    printer, scanner = health.get("printer"), health.get("scanner")
    problems = []
    if online is not True:
        problems.append("offline" if online is False else "never_seen")
    if printer in PRINTER_PROBLEMS:
        problems.append(f"printer:{printer}")
    if scanner in SCANNER_PROBLEMS:
        problems.append(f"scanner:{scanner}")
    return DeviceRow(device.id, device.role, device.zone, online, printer, scanner, last_seen, tuple(problems))


def console_view(board: Board, site: Site, now: float, language: str = "pt") -> ConsoleView:
    """The console's picture at ``now`` (Unix seconds) with the site's names in ``language``."""
    default = site.site.default_language
    queues, day = [], None
    for service in site.services:
        state = board.get("state/service", service.id) or {}
        day = day or state.get("service_day")
        longest = _minutes(state.get("oldest_queued_at"), now) if state.get("waiting") else None
        queues.append(QueueRow(service.id, service.prefix, pick(service.name, language, default),
                               state.get("state", "open"), state.get("state_reason"), state.get("waiting"),
                               state.get("waiting_priority"), state.get("open_counters"), longest,
                               state.get("estimate"), state.get("last_called"), state.get("today", {})))
    counters = []
    for counter in site.counters:
        state = board.get("state/counter", counter.id) or {"status": "unknown"}
        code = state.get("code")
        spoken = state.get("languages")
        spoken = tuple(counter.languages) if spoken is None else spoken
        counters.append(CounterRow(counter.id, counter.number, pick(counter.name, language, default), counter.zone,
                                   state["status"], code, state.get("service") if code else None,
                                   state.get("language") if code else None,
                                   _minutes(state.get("called_at"), now) if code else None,
                                   state.get("recalls", 0) if code else 0, state.get("waiting"), spoken,
                                   state.get("languages_of_day", False)))
    devices = tuple(_device_row(board, device, now) for device in site.devices)
    hub = board.get("presence", HUB_ID)
    tickers = tuple((zone.id, (board.get("state/zone", zone.id) or {}).get("ticker")) for zone in site.zones)
    return ConsoleView(site.site.name, day, bool(hub and hub["online"]), tuple(queues), tuple(counters), devices,
                       day_figures([q.today for q in queues]), tuple((z, t) for z, t in tickers if t),
                       sum(q.waiting or 0 for q in queues), sum(1 for d in devices if d.problems))


def day_figures(per_service: list[Mapping[str, Any]]) -> dict:
    """The services' figures of the day added up: counts summed, the mean wait weighted by each
    service's calls, the longest the longest."""
    total: dict = {}
    for key in COUNT_KEYS:
        values = [f[key] for f in per_service if key in f]
        if values:
            total[key] = sum(values)
    weighted = [(f["mean_wait_min"], f.get("calls", 0)) for f in per_service if f.get("mean_wait_min") is not None]
    calls = sum(c for _, c in weighted)
    if calls:
        total["mean_wait_min"] = round(sum(m * c for m, c in weighted) / calls, 1)
    longest = [f["longest_wait_min"] for f in per_service if f.get("longest_wait_min") is not None]
    if longest:
        total["longest_wait_min"] = max(longest)
    return total
