"""The counter's logic: button events and the hub's news in; requests, light and screen out.

No pins, no MQTT here: ``CounterController`` is fed ``ButtonEvent``s, the
retained ``state/counter/<id>``, the hub's presence and the link's state, and
drives three callables (send a request, show an indication and a view,
schedule a refresh), so every staff flow is testable without hardware.

What the buttons mean (a button with a hold meaning acts on release):

    NEXT      press: finish the current ticket and call the next (one atomic hub action;
              it also opens a paused or closed counter);  hold: finish without calling
    RECALL    press: call the current ticket again
    NO-SHOW   press: the visitor did not come (the site may require a recall first)
    TRANSFER  press: choose the target service: the first press shows the first of the
              counter's transfer targets, each further press the next one;
              hold: send the ticket to the target shown (it keeps its code).
              Any other button cancels the choice (and does nothing else);
              so does waiting ``choice_timeout_s``.
    PAUSE     press: pause an open counter, open a paused or closed one;  hold: close

Every press does one thing or visibly nothing: a press of the same button within
``repeat_guard_s`` of the last one, or any press while a request is on its way,
is not sent; a press while the hub is unreachable is not sent either and flashes
the error pattern at once.  A request is valid for the link's request expiry
(the hub refuses it afterwards), so a press is never applied later than the
staff member was told it failed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from hardware.buttons import HOLD, ButtonEvent

from .indications import Indication
from .screen import TEXTS, CounterView, Message, TransferChoice

log = logging.getLogger(__name__)

BUTTONS = ("next", "recall", "no_show", "transfer", "pause")
#: buttons with a long-press meaning: they act on release
HOLD_BUTTONS = ("next", "transfer", "pause")
#: outcome codes that are not the hub's reason codes
NO_ANSWER = "no_answer"
NOT_CONNECTED = "not_connected"


@dataclass(frozen=True)
class Outcome:
    """How a request ended: the hub's result, its refusal code, or no answer."""

    ok: bool
    result: dict | None = None
    code: str | None = None


@dataclass(frozen=True)
class CounterSettings:
    repeat_guard_s: float = 0.3
    error_show_s: float = 2.0
    message_show_s: float = 3.0
    choice_timeout_s: float = 15.0


@dataclass(frozen=True)
class Target:
    service: str
    prefix: str
    name: str


Send = Callable[[str, dict, Callable[[Outcome], None]], None]
Show = Callable[[Indication, CounterView], None]
Schedule = Callable[[float, Callable[[], None]], Any]


def thread_timer(delay: float, action: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
    return timer


def transfer_targets(site_config: dict, counter_id: str) -> list[Target]:
    """The counter's transfer targets from ``config/site``, named in the site's default language."""
    language = site_config.get("site", {}).get("default_language", "pt")
    services = {s["id"]: s for s in site_config.get("services", [])}
    counter = next((c for c in site_config.get("counters", []) if c.get("id") == counter_id), None)
    targets = []
    for service_id in (counter or {}).get("transfer_targets", []):
        service = services.get(service_id)
        if service is not None:
            names = service.get("name", {})
            name = names.get(language) or next(iter(names.values()), service_id)
            targets.append(Target(service_id, service.get("prefix", "?"), name))
    return targets


class CounterController:
    def __init__(self, send: Send, show: Show, settings: CounterSettings = CounterSettings(),
                 clock: Callable[[], float] = time.monotonic, schedule: Schedule = thread_timer,
                 on_transferred: Callable[[dict], None] | None = None):
        self._send = send
        self._show = show
        self.settings = settings
        self.clock = clock
        self.schedule = schedule
        #: called with the hub's ticket view after a transfer (the sorting office prints it)
        self.on_transferred = on_transferred
        self._lock = threading.RLock()
        self.language = "pt"
        self.targets: list[Target] = []
        self._link_up = False
        self._hub_online = False
        self._state: dict | None = None
        self._in_flight: str | None = None
        self._last_press: dict[str, float] = {}
        self._choice: TransferChoice | None = None
        self._choice_until = 0.0
        self._message: Message | None = None
        self._message_until = 0.0
        self._error_until = 0.0
        self._shown: tuple | None = None

    # ------------------------------------------------------------------ news
    def set_link(self, up: bool) -> None:
        with self._lock:
            self._link_up = up
            if not up:
                self._hub_online = False  # presence/hub is delivered again on reconnection
            self._update()

    def set_hub_online(self, online: bool) -> None:
        with self._lock:
            self._hub_online = online
            self._update()

    def set_site(self, site_config: dict, counter_id: str) -> None:
        with self._lock:
            self.language = site_config.get("site", {}).get("default_language", "pt")
            self.targets = transfer_targets(site_config, counter_id)
            self._update()

    def set_counter_state(self, state: dict | None) -> None:
        with self._lock:
            self._state = state
            current = (state or {}).get("current") or {}
            if self._choice is not None and current.get("code") != self._choice.code:
                self._choice = None  # the ticket being transferred is gone
            self._update()

    # -------------------------------------------------------------- presses
    def on_button(self, event: ButtonEvent) -> str:
        """Handle one press or hold; returns what was done (for logs and tests)."""
        with self._lock:
            last = self._last_press.get(event.button)
            if last is not None and event.at - last < self.settings.repeat_guard_s:
                return "ignored: repeat"
            if self._in_flight is not None:
                return f"ignored: {self._in_flight} in flight"
            self._last_press[event.button] = event.at
            request = self._meaning(event)
            if request is not None and not self._reachable():
                self._fail(Message("unreachable"))
                request = None
            if request is not None:
                self._in_flight = request[0]
                self._error_until = 0.0
                self._message = None
            self._update()
        if request is None:
            return "nothing sent"
        action, fields = request
        self._send(action, fields, lambda outcome: self._done(action, fields, outcome))
        return f"sent: {action}"

    def _meaning(self, event: ButtonEvent) -> tuple[str, dict] | None:
        button, hold = event.button, event.kind == HOLD
        if self._choice is not None:
            return self._choosing(button, hold)
        current = self._current_code()
        if button == "next":
            if not hold:
                return "call_next", {}
            if current is None:
                self._say(Message("no_ticket"))
                return None
            return "finish", {}
        if button == "recall":
            return "recall", {}
        if button == "no_show":
            return "no_show", {}
        if button == "pause":
            if hold:
                return "counter_status", {"status": "closed"}
            status = (self._state or {}).get("status")
            return "counter_status", {"status": "open" if status in ("paused", "closed") else "paused"}
        if button == "transfer":
            if current is None:
                self._say(Message("no_ticket"))
            elif not self.targets:
                self._say(Message("no_targets"))
            else:
                self._choose(current, 0)
        return None

    def _choosing(self, button: str, hold: bool) -> tuple[str, dict] | None:
        choice = self._choice
        if button != "transfer":
            self._choice = None
            self._say(Message("cancelled"))
            return None
        if hold:
            self._choice = None
            return "transfer", {"service": choice.service}
        self._choose(choice.code, (choice.index + 1) % len(self.targets))
        return None

    def _choose(self, code: str, index: int) -> None:
        target = self.targets[index]
        self._choice = TransferChoice(code, index, len(self.targets), target.service, target.prefix, target.name)
        self._choice_until = self.clock() + self.settings.choice_timeout_s
        self.schedule(self.settings.choice_timeout_s + 0.01, self._refresh)

    # ------------------------------------------------------------- replies
    def _done(self, action: str, fields: dict, outcome: Outcome) -> None:
        transferred = None
        with self._lock:
            self._in_flight = None
            if outcome.ok:
                result = outcome.result or {}
                ticket = result.get("ticket") or {}
                code = ticket.get("code", "")
                if action == "call_next" and not result.get("ticket"):
                    self._say(Message("nobody_waiting"))
                elif action == "finish":
                    self._say(Message("finished", (("code", code),)))
                elif action == "no_show":
                    self._say(Message("no_show", (("code", code),)))
                elif action == "transfer":
                    to = next((t.prefix for t in self.targets if t.service == fields["service"]), fields["service"])
                    self._say(Message("transferred", (("code", code), ("to", to))))
                    transferred = ticket
            elif outcome.code == NOT_CONNECTED:
                self._fail(Message("unreachable"))
            elif outcome.code == NO_ANSWER:
                self._fail(Message("no_answer"))
            elif outcome.code in TEXTS["en"]:
                self._fail(Message(outcome.code))
            else:
                self._fail(Message("refused", (("code", str(outcome.code)),)))
            self._update()
        if transferred and self.on_transferred is not None:
            self.on_transferred(transferred)

    def on_print_result(self, code: str, ok: bool) -> None:
        """The sorting office's printer printed (or could not print) the second ticket."""
        with self._lock:
            if ok:
                self._say(Message("printed", (("code", code),)))
            else:
                self._fail(Message("print_failed", (("code", code),)))
            self._update()

    # ------------------------------------------------------------ feedback
    def _say(self, message: Message) -> None:
        self._message = message
        self._message_until = self.clock() + self.settings.message_show_s
        self.schedule(self.settings.message_show_s + 0.01, self._refresh)

    def _fail(self, message: Message) -> None:
        self._say(message)
        self._error_until = self.clock() + self.settings.error_show_s
        self.schedule(self.settings.error_show_s + 0.01, self._refresh)

    def _refresh(self) -> None:
        with self._lock:
            self._update()

    def _reachable(self) -> bool:
        return self._link_up and self._hub_online

    def _current_code(self) -> str | None:
        return ((self._state or {}).get("current") or {}).get("code")

    def indication(self) -> Indication:
        with self._lock:
            now = self.clock()
            if now < self._error_until:
                return Indication.ERROR
            if self._in_flight is not None:
                return Indication.SENDING
            if not self._reachable() or self._state is None:
                return Indication.OFFLINE
            status = self._state.get("status")
            if status == "closed":
                return Indication.CLOSED
            if status == "paused":
                return Indication.PAUSED
            return Indication.SERVING if self._current_code() else Indication.IDLE

    def view(self) -> CounterView:
        with self._lock:
            now = self.clock()
            if self._choice is not None and now >= self._choice_until:
                self._choice = None
            message = self._message if now < self._message_until else None
            state = self._state or {}
            current = state.get("current") or {}
            return CounterView(status=state.get("status"), current=current.get("code"),
                               recalls=current.get("recalls", 0), waiting=state.get("waiting"),
                               reachable=self._reachable() and self._state is not None, choice=self._choice,
                               message=message, error=now < self._error_until, language=current.get("language"))

    @property
    def in_flight(self) -> str | None:
        return self._in_flight

    def _update(self) -> None:
        shown = (self.indication(), self.view(), self.language)
        if shown != self._shown:
            self._shown = shown
            self._show(shown[0], shown[1])
