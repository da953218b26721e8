"""The counter device: its link to the hub, its hardware, and the controller between them.

``CounterDevice`` subscribes to the device's own slice of the site file
(``config/device/<id>``: pins, small display, printer), builds the hardware
from it (and rebuilds it when a technician changes the site file), follows
``config/site`` (transfer targets), ``state/counter/<counter>`` (status,
current ticket, people waiting) and ``presence/hub``, and publishes the
controller's requests from the pin's own thread, taking their outcome from the
reply (on paho's thread) or from a timer: nothing ever waits for the hub.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from gpiozero import Buzzer
from pydantic import BaseModel

from contract.topics import HUB_ID
from hardware.buttons import ButtonEvent, CallButtons
from hardware.counter_display import CharacterLcd, CounterDisplay, FourDigitDisplay
from hardware.device import HardwareDevice
from hardware.health import HealthReport
from hardware.leds import StatusLight
from hardware.scheduler import Scheduler
from mqttlink.link import DeviceLink
from siteconf.schema import CounterPins, Printer, SmallDisplay

from .controller import (BUTTONS, HOLD_BUTTONS, NO_ANSWER, NOT_CONNECTED, CounterController, CounterSettings,
                         Outcome)
from .indications import PATTERNS, Indication
from .screen import CounterView, digits, lcd_lines

if TYPE_CHECKING:
    from hardware.printer import TicketPrinter

log = logging.getLogger(__name__)

#: how long after a request's deadline the device still waits for its reply (network time)
REPLY_GRACE_S = 0.3


def tolerant(model: type[BaseModel], data: dict | None) -> Any:
    """Parse a part of the hub's slice, ignoring keys a newer hub may add (the contract's rule)."""
    data = {k: v for k, v in (data or {}).items() if k in model.model_fields}
    return model.model_validate(data)


class CounterHardware(HardwareDevice):
    """The desk's buttons, status light, optional buzzer, small display and (at the sorting office)
    the kiosk's ``TicketPrinter``, from the device's slice; ``on_button`` gets each ``ButtonEvent``."""

    def __init__(self, device: dict, on_button: Callable[[ButtonEvent], None], *, pin_factory=None,
                 i2c_bus=None, scheduler: Scheduler | None = None):
        super().__init__()
        self.pins: CounterPins = tolerant(CounterPins, device.get("pins"))
        self.small_display: SmallDisplay = tolerant(SmallDisplay, device.get("small_display"))
        self.printer_config: Printer = tolerant(Printer, device.get("printer"))
        p = self.pins
        self.buttons: CallButtons | None = None
        self.light: StatusLight | None = None
        self.buzzer: Buzzer | None = None
        self.display: CounterDisplay | None = None
        self.printer: TicketPrinter | None = None
        try:
            self.buttons = CallButtons({name: getattr(p, name) for name in BUTTONS}, hold_buttons=HOLD_BUTTONS,
                                       hold_s=p.hold_s, debounce_s=p.debounce_ms / 1000, pin_factory=pin_factory,
                                       scheduler=scheduler)
            self.buttons.add_press_listener(on_button)
            self.light = StatusLight(p.led_red, p.led_green, p.led_blue, active_high=p.led_active_high,
                                     pin_factory=pin_factory)
            if p.buzzer is not None:
                self.buzzer = Buzzer(p.buzzer, pin_factory=pin_factory)
            d = self.small_display
            if d.kind == "lcd_i2c":
                self.display = CharacterLcd(d.i2c_address, columns=d.columns, rows=d.rows, bus=i2c_bus)
            elif d.kind == "tm1637":
                self.display = FourDigitDisplay(d.clk_pin, d.dio_pin, pin_factory=pin_factory)
            if self.printer_config.connector != "none":
                from hardware.printer import TicketPrinter  # escpos and Pillow only where a printer is fitted

                self.printer = TicketPrinter(self.printer_config)
        except Exception:
            self.close()
            raise

    def same_as(self, device: dict) -> bool:
        return (tolerant(CounterPins, device.get("pins")) == self.pins
                and tolerant(SmallDisplay, device.get("small_display")) == self.small_display
                and tolerant(Printer, device.get("printer")) == self.printer_config)

    def show(self, indication: Indication, view: CounterView, language: str) -> None:
        if self.light is not None:
            self.light.play(PATTERNS[indication])
        if isinstance(self.display, FourDigitDisplay):
            self.display.show([digits(view)])
        elif self.display is not None:
            self.display.show(lcd_lines(view, self.display.columns, language, self.display.rows))

    def beep(self) -> None:
        if self.buzzer is not None:
            self.buzzer.beep(0.08, 0.08, n=2, background=True)

    def health(self, publish: Callable[..., None], connected: Callable[[], bool]) -> HealthReport:
        """The desk's health report: the printer's state and the small display's."""
        health = HealthReport(publish, connected=connected)
        if self.printer is not None:
            health.watch_printer(self.printer)
        if self.display is not None:
            health.watch_display(self.display)
        return health

    def start(self) -> "CounterHardware":
        if self.printer is not None:
            self.printer.start()
        return self

    def _close(self) -> None:
        for part in (self.buttons, self.light, self.buzzer, self.display, self.printer):
            if part is not None:
                try:
                    part.close()
                except Exception:
                    log.exception("closing %r", part)

    def _where(self) -> str:
        parts = (self.buttons, self.light, self.buzzer, self.display, self.printer)
        return " ".join(repr(part) for part in parts if part is not None)


class CounterDevice(HardwareDevice):
    """One desk's firmware on a started or not yet started ``DeviceLink`` of a counter device."""

    def __init__(self, link: DeviceLink, *, pin_factory=None, i2c_bus=None,
                 settings: CounterSettings = CounterSettings()):
        super().__init__()
        self.link = link
        self.topics = link.topics
        self.pin_factory = pin_factory
        self.i2c_bus = i2c_bus
        #: one thread for every timer of the desk (hold times, bounce, reply deadlines, messages)
        self.scheduler = Scheduler("counter-timers")
        self.controller = CounterController(self._send, self._show, settings, schedule=self.scheduler.call_later,
                                            on_transferred=self._print_second_ticket)
        self.hardware: CounterHardware | None = None
        #: the device's health report, made anew with each build of the hardware
        self.health = HealthReport(link.publish_health, connected=lambda: link.connected)
        self.counter_id: str | None = None
        self._site: dict | None = None
        self._lock = threading.RLock()
        self._last_indication: Indication | None = None
        #: set once the hardware is built from the device's slice
        self.ready = threading.Event()

    # ------------------------------------------------------------- lifecycle
    def start(self) -> "CounterDevice":
        self.link.on_connection_change = self._connection_changed
        self.link.subscribe(self.topics.device_config(self.link.device_id), self._on_device_config)
        self.link.subscribe(self.topics.site_config(), self._on_site_config)
        self.link.subscribe(self.topics.presence(HUB_ID), self._on_hub_presence)
        self.controller.set_link(self.link.connected)
        return self

    def _close(self) -> None:
        """Dark light, pins released, link left open for its owner."""
        with self._lock:
            hardware, self.hardware = self.hardware, None
        if hardware is not None:
            hardware.close()
        self.scheduler.close()

    def _where(self) -> str:
        return self.link.device_id + (f" counter={self.counter_id}" if self.counter_id else "")

    def _state(self) -> str:
        return "ready" if self.ready.is_set() else "waiting for its slice"

    def _connection_changed(self, connected: bool) -> None:
        self.controller.set_link(connected)
        if connected:
            self.health.publish()  # the broker may have missed changes while it was away

    # ---------------------------------------------------------- subscriptions
    def _on_device_config(self, topic: str, payload: Any) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("device"), dict):
            return
        device = payload["device"]
        with self._lock:
            if self.closed:
                return
            counter_id = device.get("counter")
            if counter_id and counter_id != self.counter_id:
                self.counter_id = counter_id
                self.link.subscribe(self.topics.counter_state(counter_id), self._on_counter_state)
            if self.hardware is None or not self.hardware.same_as(device):
                old, self.hardware = self.hardware, None
                if old is not None:
                    old.close()
                try:
                    self.hardware = CounterHardware(device, self.controller.on_button, pin_factory=self.pin_factory,
                                                    i2c_bus=self.i2c_bus, scheduler=self.scheduler)
                except Exception as exc:
                    log.error("%s: cannot use the hardware of its site-file entry: %s", self.link.device_id, exc)
                    self.health = HealthReport(self.link.publish_health, connected=lambda: self.link.connected)
                    self.health.update(hardware=f"fault: {exc}")
                    return
                self.health = self.hardware.health(self.link.publish_health, lambda: self.link.connected)
                self.hardware.start()
                self.health.publish()
                pins = self.hardware.pins
                self.link.timing = self.link.timing.model_copy(
                    update={"request_expiry_s": pins.reply_timeout_ms / 1000})
                self.controller.settings = replace(self.controller.settings,
                                                   repeat_guard_s=pins.repeat_guard_ms / 1000)
                self._last_indication = None
            if self._site is not None and self.counter_id:
                self.controller.set_site(self._site, self.counter_id)
            self._refresh_output()
        self.ready.set()

    def _on_site_config(self, topic: str, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        with self._lock:
            self._site = payload
            if self.counter_id:
                self.controller.set_site(payload, self.counter_id)

    def _on_counter_state(self, topic: str, payload: Any) -> None:
        if self.counter_id and topic == self.topics.counter_state(self.counter_id):
            self.controller.set_counter_state(payload if isinstance(payload, dict) else None)

    def _on_hub_presence(self, topic: str, payload: Any) -> None:
        self.controller.set_hub_online(isinstance(payload, dict) and payload.get("online") is True)

    # ------------------------------------------------------------- outputs
    def _show(self, indication: Indication, view: CounterView) -> None:
        hardware = self.hardware
        if hardware is None:
            return
        hardware.show(indication, view, self.controller.language)
        if indication == Indication.ERROR and self._last_indication != Indication.ERROR:
            hardware.beep()
        self._last_indication = indication

    def _refresh_output(self) -> None:
        self._show(self.controller.indication(), self.controller.view())

    # ------------------------------------------------------------- requests
    def _send(self, action: str, fields: dict, done: Callable[[Outcome], None]) -> None:
        """Publish at once, on the pin's own thread (no hand-over on the way to the hub); the
        outcome comes from paho's thread with the reply, or from a timer when none came in time."""
        if self.closed:
            done(Outcome(False, code=NOT_CONNECTED))
            return
        answered = threading.Lock()

        def finish(outcome: Outcome) -> None:
            if answered.acquire(blocking=False):  # the reply or the timer, whichever is first
                done(outcome)

        def failed() -> Outcome:
            return Outcome(False, code=NO_ANSWER if self.link.connected else NOT_CONNECTED)

        future = self.link.request_async(action, **fields)
        # past the deadline the hub refuses the request (``expired``); that late answer, if it
        # comes, only resolves this future, after the staff member was already told
        timer = self.scheduler.call_later(self.link.timing.request_expiry_s + REPLY_GRACE_S,
                                          lambda: finish(failed()))

        def resolved(f) -> None:
            timer.cancel()
            try:
                reply = f.result()
            except Exception:  # LinkError: not connected, or the link was closed
                finish(failed())
                return
            if reply.get("ok"):
                finish(Outcome(True, reply.get("result") or {}))
            else:
                finish(Outcome(False, code=(reply.get("error") or {}).get("code")))

        future.add_done_callback(resolved)

    # ------------------------------------------------------------- printing
    def _print_second_ticket(self, ticket: dict) -> None:
        """Print the visitor's second ticket (same code, new service) on the printer's own thread
        (this is paho's); when it cannot be printed the LCD says so with the code, and the ticket
        is in its new queue all the same."""
        from hardware.printer import ticket_layout

        hardware = self.hardware
        if hardware is None or hardware.printer is None:
            return
        code = ticket.get("code", "?")
        try:
            layout = ticket_layout(ticket, self._site or {})
        except ValueError as exc:
            self._printed(code, exc)
            return
        hardware.printer.print_ticket_async(layout).add_done_callback(lambda f: self._printed(code, f.exception()))

    def _printed(self, code: str, error: BaseException | None) -> None:
        if error is not None:
            log.error("%s: the second ticket %s was not printed: %s", self.link.device_id, code, error)
        self.controller.on_print_result(code, error is None)
