"""What a wall display shows, computed from the hub's messages, without Kivy.

``BoardModel`` takes the retained configuration and zone state, the live
events of the zone, and whether the link and the hub are up, and produces a
``BoardView`` (plain data the screen draws) plus the calls to announce.  It
follows the protocol's rules for a display (docs/protocol.md, "Revisions"):

* every retained ``state.zone`` replaces the picture and sets ``last_seq``;
* an event with ``seq <= last_seq`` is a duplicate or already in the state:
  ignored;
* a call event with a newer ``seq`` is live: it goes on screen at once (the
  state that includes it follows) and is announced;
* a gap (``seq > last_seq + 1``) is noted; the missed calls are *shown* from
  the retained state that follows, never announced;
* a call whose ``at`` (the time of the hub's commit) is more than
  ``policies.announce_max_age_s`` (site file, 30 s by default) before this
  display's clock is listed silently: a hub that restarts after a crash
  delivers the calls it had committed, and a call made minutes ago must not
  send a visitor running;
* when the link or the hub is down the last picture stays, marked offline.

A new call on top is highlighted for ``highlight_s`` seconds; a picture
drawn at start-up from retained state highlights nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from contract.payloads import wait_range
from typeset.i18n import pick

CALL_EVENTS = ("ticket_called", "ticket_recalled")
#: the site file's ``policies.announce_max_age_s`` when the configuration does not say
ANNOUNCE_MAX_AGE_S = 30.0


@dataclass(frozen=True)
class CallLine:
    """One call as the screen shows it."""

    code: str
    counter: str
    counter_number: int
    #: the counter's name in the site's default language ("Balcão 5")
    counter_name: str
    #: the visitor's language (from the kiosk) and the counter's name in it, when it differs
    language: str
    visitor_counter_name: str | None
    recall: int
    at: str
    rev: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.code, self.counter, self.rev)


@dataclass(frozen=True)
class ServiceLine:
    service: str
    prefix: str
    #: the service's name per language, as in the site file
    names: dict[str, str]
    waiting: int
    #: the hub's range for a ticket taken now, (low, high) whole minutes (an older hub's point as both ends)
    wait: tuple[int | None, int | None]
    #: "open", or "paused" / "closed" by a supervisor for the day (issue 17): no new tickets
    status: str = "open"


@dataclass(frozen=True)
class BoardView:
    site_name: str
    zone_name: dict[str, str]
    default_language: str
    languages: tuple[str, ...]
    timezone: str
    newest: CallLine | None
    previous: tuple[CallLine, ...]
    services: tuple[ServiceLine, ...]
    highlighted: bool
    offline: bool
    #: (language, text) for every ticker message in every site language, in order
    ticker: tuple[tuple[str, str], ...]
    ticker_speed_px_s: float
    has_state: bool


@dataclass(frozen=True)
class CallToAnnounce:
    """A live call, as the announcer needs it."""

    code: str
    counter: str
    counter_number: int
    language: str
    recall: int
    rev: int


@dataclass
class _Config:
    site_name: str = ""
    default_language: str = "pt"
    languages: tuple[str, ...] = ("pt",)
    timezone: str = "Europe/Lisbon"
    zone_names: dict[str, dict[str, str]] = field(default_factory=dict)
    counters: dict[str, dict] = field(default_factory=dict)
    services: dict[str, dict] = field(default_factory=dict)
    ticker: tuple[tuple[str, str], ...] = ()
    ticker_speed_px_s: float = 80.0
    announce_max_age_s: float = ANNOUNCE_MAX_AGE_S


class BoardModel:
    """The display's picture of its zone; every ``on_*`` method is called with a decoded payload."""

    #: calls kept for the list of previous calls (the hub keeps the zone's last 10)
    KEEP_CALLS = 10

    def __init__(self, device_id: str, highlight_s: float = 8.0, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time):
        self.device_id = device_id
        self.highlight_s = highlight_s
        self.clock = clock
        #: Unix time, to tell how old a call is (device clocks follow the hub's time server)
        self.wall_clock = wall_clock
        self.zone: str | None = None
        self.device: dict = {}
        self.config = _Config()
        self.calls: list[dict] = []
        self.services: list[dict] = []
        self.last_seq: int | None = None
        self.service_day: str | None = None
        #: a gap in the event stream waits for the retained state that covers it
        self.gap = False
        self.has_state = False
        self.link_up = False
        self.hub_online: bool | None = None
        self._highlight_key: tuple | None = None
        self._highlight_until = 0.0
        #: how many duplicate or stale events were ignored (tests and the log read it)
        self.ignored_events = 0
        #: calls listed without being announced because they were too old when they came
        self.late_calls = 0
        #: the supervisor's message of the day for this zone (``state.zone``'s ``ticker``; issue 17)
        self.supervisor_message: str | None = None

    # ------------------------------------------------------------ inputs
    def on_site_config(self, payload: dict | None) -> None:
        if not payload:
            return
        site = payload.get("site", {})
        languages = tuple(site.get("languages") or (site.get("default_language", "pt"),))
        ticker = payload.get("ticker") or {}
        lines = []
        for message in ticker.get("messages", []):
            for language in languages:
                if message.get(language):
                    lines.append((language, message[language]))
        self.config = _Config(
            site_name=site.get("name", ""),
            default_language=site.get("default_language", "pt"),
            languages=languages,
            timezone=site.get("timezone", "Europe/Lisbon"),
            zone_names={z["id"]: z.get("name", {}) for z in payload.get("zones", [])},
            counters={c["id"]: c for c in payload.get("counters", [])},
            services={s["id"]: s for s in payload.get("services", [])},
            ticker=tuple(lines),
            ticker_speed_px_s=float(ticker.get("speed_px_s", 80.0)),
            announce_max_age_s=float((payload.get("policies") or {}).get("announce_max_age_s",
                                                                          ANNOUNCE_MAX_AGE_S)),
        )

    def on_device_config(self, payload: dict | None) -> str | None:
        """Take the device's slice; returns the zone when it changed (subscribe to it)."""
        if not payload:
            return None
        self.device = payload.get("device", {})
        zone = self.device.get("zone")
        if zone and zone != self.zone:
            self.zone = zone
            self.calls, self.services, self.last_seq, self.has_state = [], [], None, False
            self._highlight_key, self._highlight_until = None, 0.0
            return zone
        return None

    def on_zone_state(self, payload: dict | None) -> None:
        if not payload or payload.get("zone") != self.zone:
            return
        had_state = self.has_state
        top_before = self._top_key()
        self.calls = list(payload.get("calls", []))[: self.KEEP_CALLS]
        self.services = list(payload.get("services", []))
        self.service_day = payload.get("service_day")
        ticker = payload.get("ticker")
        text = ticker.get("text") if isinstance(ticker, dict) else None
        self.supervisor_message = text.strip() if isinstance(text, str) and text.strip() else None
        self.last_seq = int(payload.get("seq", 0))
        self.gap = False
        self.has_state = True
        top_after = self._top_key()
        if had_state and top_after is not None and top_after != top_before and top_after != self._highlight_key:
            # a call learnt from state (after a gap): show it as new, never announce it
            self._start_highlight(top_after)

    def on_event(self, payload: dict | None) -> list[CallToAnnounce]:
        """Apply a live event; returns the calls to announce (none for duplicates and other events)."""
        if not payload or payload.get("zone") != self.zone:
            return []
        seq = int(payload.get("seq", 0))
        if self.last_seq is not None and seq <= self.last_seq:
            self.ignored_events += 1
            return []
        if self.last_seq is not None and seq > self.last_seq + 1:
            self.gap = True
        self.last_seq = seq
        if payload.get("event") not in CALL_EVENTS:
            return []
        call = dict(payload.get("data", {}))
        self.calls.insert(0, call)
        del self.calls[self.KEEP_CALLS:]
        if self._too_old(payload.get("at")):
            self.late_calls += 1
            return []
        self._start_highlight(self._top_key())
        return [CallToAnnounce(code=call["code"], counter=call["counter"],
                               counter_number=int(call["counter_number"]), language=call.get("language", ""),
                               recall=int(call.get("recall", 0)), rev=int(call.get("rev", 0)))]

    def _too_old(self, at: object) -> bool:
        """Whether an event committed at ``at`` (ISO 8601 with offset) is past announcing."""
        try:
            committed = datetime.fromisoformat(str(at)).timestamp()
        except ValueError:
            return False  # no time to judge by: announce, as before the rule existed
        return self.wall_clock() - committed > self.config.announce_max_age_s

    def on_link(self, connected: bool) -> None:
        self.link_up = connected

    def on_hub_presence(self, payload: dict | None) -> None:
        self.hub_online = bool(payload and payload.get("online"))

    # ----------------------------------------------------------- outputs
    @property
    def offline(self) -> bool:
        """The link is down, or the hub said it is offline (its last will)."""
        return not self.link_up or self.hub_online is False

    def highlight_remaining(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        if self._highlight_key is None or self._highlight_key != self._top_key():
            return 0.0
        return max(0.0, self._highlight_until - now)

    def view(self, now: float | None = None) -> BoardView:
        lines = self._unique_lines()
        config = self.config
        services = []
        for entry in self.services:
            info = config.services.get(entry.get("service"), {})
            services.append(ServiceLine(service=entry.get("service", ""), prefix=info.get("prefix", ""),
                                        names=dict(info.get("name", {})) or {config.default_language:
                                                                            entry.get("service", "")},
                                        waiting=int(entry.get("waiting", 0)),
                                        wait=wait_range(entry) or (entry.get("estimated_wait_min"),) * 2,
                                        status=entry.get("status") if entry.get("status") in ("paused", "closed")
                                        else "open"))
        return BoardView(
            site_name=config.site_name, zone_name=config.zone_names.get(self.zone or "", {}),
            default_language=config.default_language, languages=config.languages, timezone=config.timezone,
            newest=lines[0] if lines else None, previous=tuple(lines[1:]), services=tuple(services),
            highlighted=self.highlight_remaining(now) > 0, offline=self.offline, ticker=self._ticker(),
            ticker_speed_px_s=config.ticker_speed_px_s, has_state=self.has_state)

    def _ticker(self) -> tuple[tuple[str, str], ...]:
        """The site file's messages, with the supervisor's message of the day (issue 17) before each
        of them (every language of a message in a row), so it comes round once per message rather
        than once per whole strip of forty; alone when the site file has none.  It is shown as the
        supervisor typed it (plain text, any script: typeset picks the fonts), in the site's default
        language's letter forms."""
        lines, message = self.config.ticker, self.supervisor_message
        if message is None:
            return lines
        own = (self.config.default_language, message)
        merged: list[tuple[str, str]] = []
        for index, line in enumerate(lines):
            if index == 0 or self._starts_message(index):
                merged.append(own)
            merged.append(line)
        return tuple(merged) or (own,)

    def _starts_message(self, index: int) -> bool:
        """Whether ticker line ``index`` is the first language of a site message (the languages of a
        message come in the site's order, so a language not after the one before starts another)."""
        order = {lang: i for i, lang in enumerate(self.config.languages)}
        before, this = self.config.ticker[index - 1][0], self.config.ticker[index][0]
        return order.get(this, 0) <= order.get(before, 0)

    def counter_names(self, counter_id: str) -> dict[str, str]:
        return dict(self.config.counters.get(counter_id, {}).get("name", {}))

    # ---------------------------------------------------------- helpers
    def _top_key(self) -> tuple | None:
        if not self.calls:
            return None
        top = self.calls[0]
        return (top.get("code"), top.get("counter"), top.get("rev"))

    def _start_highlight(self, key: tuple | None) -> None:
        self._highlight_key = key
        self._highlight_until = self.clock() + self.highlight_s

    def _unique_lines(self) -> list[CallLine]:
        """Newest first, each ticket once (a recall moves it back to the top)."""
        seen: set[str] = set()
        lines = []
        for call in self.calls:
            code = call.get("code")
            if not code or code in seen:
                continue
            seen.add(code)
            lines.append(self._line(call))
        return lines

    def _line(self, call: dict) -> CallLine:
        names = self.counter_names(call.get("counter", ""))
        default = self.config.default_language
        number = int(call.get("counter_number", 0))
        language = call.get("language") or default
        visitor = names.get(language) if language != default else None
        return CallLine(code=call["code"], counter=call.get("counter", ""), counter_number=number,
                        counter_name=pick(names, default, default) or str(number), language=language,
                        visitor_counter_name=visitor if visitor != names.get(default) else None,
                        recall=int(call.get("recall", 0)), at=call.get("at", ""), rev=int(call.get("rev", 0)))
