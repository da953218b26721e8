"""What the supervisor's console shows, from the hub's retained state alone (pure: no network, no clock).

The console reads, as a read-only monitor, what the hub and the devices keep retained on the broker:
``state/service/<id>`` (waiting counts, the estimate, and where the hub says so the service's state,
the longest wait and the oldest ticket's issue time), ``state/counter/<id>`` (status, the ticket at
the desk and since when), ``presence/<device>`` and ``health/<device>`` (online, printer, scanner),
and the hub's retained figures of the day when it publishes them (``state/figures``).  ``Board``
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
KINDS = ("state/service", "state/counter", "presence", "health")
#: the hub's retained figures of the day (a single topic, no id)
FIGURES_TOPIC = "state/figures"
#: the retained ticker of the day (a single topic)
TICKER_TOPIC = "state/ticker"
#: a service's state for the day (issue 17: a supervisor opens, pauses or closes it)
SERVICE_STATES = ("open", "paused", "closed")
#: printer states that need a person (hardware.health): paper, cover, the printer gone
PRINTER_PROBLEMS = {"paper_near_end", "paper_out", "cover_open", "offline", "no_answer", "io_error"}
SCANNER_PROBLEMS = {"disconnected"}
#: the figures the page lists, in order, when the hub publishes them (unknown keys are ignored)
FIGURE_KEYS = ("issued", "served", "waiting", "called", "no_show", "cancelled", "voided",
               "mean_wait_min", "p90_wait_min", "within_target_pct")


class StateError(ValueError):
    """A retained message the console cannot use (what is wrong is the message)."""


@dataclass(frozen=True)
class QueueRow:
    service: str
    prefix: str
    name: str
    #: "open", "paused" or "closed" (the hub's service state; "open" until the hub says otherwise)
    state: str
    waiting: int | None
    waiting_priority: int | None
    open_counters: int | None
    #: the longest any ticket of the service has waited so far, whole minutes (None: unknown)
    longest_wait_min: int | None
    estimate: tuple[int, int] | None
    last_called: str | None


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
    languages: tuple[str, ...]


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
    #: the hub's figures of the day so far, in FIGURE_KEYS order ((key, value) pairs)
    figures: tuple[tuple[str, float], ...]
    #: the ticker message the displays show now, if the hub publishes one
    ticker: str | None
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
        state = payload.get("state", "open")
        if state not in SERVICE_STATES:
            raise StateError(f"state: {state!r} is not one of {', '.join(SERVICE_STATES)}")
        low, high = _opt_int(payload, "estimated_wait_low_min"), _opt_int(payload, "estimated_wait_high_min")
        return {"waiting": _opt_int(payload, "waiting"), "waiting_priority": _opt_int(payload, "waiting_priority"),
                "open_counters": _opt_int(payload, "open_counters"), "state": state,
                "estimate": (low, high) if low is not None and high is not None and low < high else None,
                "longest_wait_min": _opt_int(payload, "longest_wait_min"),
                "oldest_issued_at": _opt_time(payload, "oldest_issued_at"),
                "last_called": _opt_str(payload, "last_called", 8),
                "service_day": _opt_str(payload, "service_day", 10)}
    if kind == "state/counter":
        status = _opt_str(payload, "status") or "unknown"
        current = payload.get("current")
        if current is not None and not isinstance(current, dict):
            raise StateError("current: not an object")
        current = current or {}
        return {"status": status, "waiting": _opt_int(payload, "waiting"),
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
    if kind == FIGURES_TOPIC:
        figures = {}
        source = payload.get("figures", payload)
        if not isinstance(source, dict):
            raise StateError("figures: not an object")
        for key in FIGURE_KEYS:
            value = _opt_num(source, key)
            if value is not None:
                figures[key] = value
        return figures
    if kind == TICKER_TOPIC:
        message = payload.get("message")
        if isinstance(message, dict):  # one text per language: kept whole, picked at view time
            if not all(isinstance(k, str) and isinstance(v, str) and len(v) <= 400 for k, v in message.items()):
                raise StateError("message: not texts per language")
            return {"message": message}
        return {"message": _opt_str(payload, "message", 400)}
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
        if rest in (FIGURES_TOPIC, TICKER_TOPIC):
            return rest, ""
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


def console_view(board: Board, site: Site, now: float, language: str = "pt",
                 languages_today: Mapping[str, tuple[str, ...]] | None = None) -> ConsoleView:
    """The console's picture at ``now`` (Unix seconds) with the site's names in ``language``.
    ``languages_today``: a counter's languages set for the day (the console's own record of what it
    asked; otherwise the site file's)."""
    default = site.site.default_language
    queues, day = [], None
    for service in site.services:
        state = board.get("state/service", service.id) or {}
        day = day or state.get("service_day")
        longest = state.get("longest_wait_min")
        if longest is None and state.get("oldest_issued_at") is not None:
            longest = _minutes(state["oldest_issued_at"], now)
        queues.append(QueueRow(service.id, service.prefix, pick(service.name, language, default),
                               state.get("state", "open"), state.get("waiting"), state.get("waiting_priority"),
                               state.get("open_counters"), longest, state.get("estimate"), state.get("last_called")))
    counters = []
    for counter in site.counters:
        state = board.get("state/counter", counter.id) or {"status": "unknown"}
        code = state.get("code")
        spoken = (languages_today or {}).get(counter.id, tuple(counter.languages))
        counters.append(CounterRow(counter.id, counter.number, pick(counter.name, language, default), counter.zone,
                                   state["status"], code, state.get("service") if code else None,
                                   state.get("language") if code else None,
                                   _minutes(state.get("called_at"), now) if code else None,
                                   state.get("recalls", 0) if code else 0, state.get("waiting"), tuple(spoken)))
    devices = tuple(_device_row(board, device, now) for device in site.devices)
    hub = board.get("presence", HUB_ID)
    figures = board.get(FIGURES_TOPIC) or {}
    ticker = (board.get(TICKER_TOPIC) or {}).get("message")
    if isinstance(ticker, dict):
        ticker = pick(ticker, language, default) or None
    return ConsoleView(
        site.site.name, day, bool(hub and hub["online"]), tuple(queues), tuple(counters), devices,
        tuple((key, figures[key]) for key in FIGURE_KEYS if key in figures), ticker,
        sum(q.waiting or 0 for q in queues), sum(1 for d in devices if d.problems))
