"""The Kivy touchscreen kiosk: ticket dispenser and information point.

``KioskApp`` wires three things together and keeps logic out of widgets:

* the visitor's state machine (kiosk/flow.py), which every tap calls;
* the hub connection (kiosk/connection.py): site config, content pack,
  availability, tickets; its callbacks arrive on other threads and are moved
  to Kivy's main thread with ``Clock.schedule_once``;
* the printer (kiosk/printing.py), which prints each ticket on its own thread
  as soon as the hub's reply is in, while the screen shows it.

Screens are kv files (kiosk/kv/, one per screen) plus thin classes in
kiosk/screens.py.  Sizes (15 mm targets, text sizes) and colours live on the
app as Kivy properties, so the large-text / high-contrast and low-layout
toggles restyle every screen through kv bindings.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import FadeTransition, NoTransition, ScreenManager

from typeset.fonts import register_kivy_fonts
from typeset.scripts import is_rtl_language

from .flow import KioskConfig, KioskFlow
from .i18n import KIOSK_LANGUAGES, tr
from .screens import (InfoItemScreen, InfoScreen, MenuScreen, ScanScreen, StartScreen, SurveyQuestionScreen,
                      SurveyScreen, TicketScreen, UnavailableScreen, language_factory)
from .sizing import TEXT_MM, Sizes, card_grid, fit_font, line_fit, line_fits
from .theme import COLOURS, palette
from .views import language_cards

log = logging.getLogger(__name__)

KV_DIR = Path(__file__).with_name("kv")
KV_FILES = ("widgets.kv", "start.kv", "menu.kv", "ticket.kv", "unavailable.kv", "info.kv", "info_item.kv",
            "scan.kv", "survey.kv", "survey_question.kv", "root.kv")
SCREEN_CLASSES = {"start": StartScreen, "menu": MenuScreen, "ticket": TicketScreen,
                  "unavailable": UnavailableScreen, "info": InfoScreen, "info_item": InfoItemScreen,
                  "scan": ScanScreen, "survey": SurveyScreen, "survey_question": SurveyQuestionScreen}
_kv_loaded = False


def load_kv() -> None:
    global _kv_loaded
    if not _kv_loaded:
        for name in KV_FILES:
            Builder.load_file(str(KV_DIR / name))
        _kv_loaded = True


def empty_config() -> KioskConfig:
    """Before the first site config: the kiosk's own languages, no menu (tickets are unavailable)."""
    return KioskConfig(menu=(), unsure_service="", languages=KIOSK_LANGUAGES, default_language="pt")


class BusyOverlay(FloatLayout):
    """While the hub answers, a layer that swallows touches (a second tap asks for nothing)."""

    def on_touch_down(self, touch):
        return bool(App.get_running_app().busy)

    def on_touch_up(self, touch):
        return bool(App.get_running_app().busy)


class LanguagePicker(ModalView):
    """Every language as its own name, over any screen; the screen stays where it was."""

    def fill(self, app) -> None:
        grid = self.ids.languages
        cards = language_cards(app.flow.config.languages, app.lang)
        geometry = card_grid(grid.width or Window.width * 0.9, grid.height or Window.height * 0.6, app.sizes,
                             min_card_mm=28, max_cols=5, hints=False, count=len(cards))
        fit = max(len(card.label) for card in cards)
        grid.show(app, [language_factory(card, fit, app.on_language) for card in cards], geometry, stretch=True)


class KioskRoot(FloatLayout):
    manager = ObjectProperty(None)
    picker = ObjectProperty(None, allownone=True)

    def show_language_picker(self, show: bool, app) -> None:
        if show and self.picker is None:
            self.picker = LanguagePicker()
            self.picker.open(animation=False)
            self.picker.ids.languages.bind(size=lambda *_: self.picker and self.picker.fill(app))
            self.picker.fill(app)
        elif not show and self.picker is not None:
            self.picker.dismiss(animation=False)
            self.picker = None


class KioskApp(App):
    # the visitor's language and the page direction
    lang = StringProperty("pt")
    rtl = BooleanProperty(False)
    default_language = StringProperty("pt")
    large_text = BooleanProperty(False)
    low_layout = BooleanProperty(False)
    busy = BooleanProperty(False)
    tickets_available = BooleanProperty(False)
    site_name = StringProperty("")
    # sizes (pixels), from kiosk/sizing.py: f_body, f_small, f_button, f_title, f_lang, f_icon (kv: app.f_body)
    sizes = ObjectProperty(None)
    target = NumericProperty(80)
    gap = NumericProperty(10)
    vars().update({f"f_{kind}": NumericProperty(20) for kind in TEXT_MM})
    f_code = NumericProperty(120)
    #: the least text size (px): kiosk.sizing.Sizes.min_font
    min_text = NumericProperty(0)
    #: the panel is short (kiosk.sizing.SHORT_MM): some screens say less
    short = BooleanProperty(False)
    # colours of the look, from kiosk/theme.py: c_bg, c_text, c_accent... (kv: app.c_text)
    vars().update({f"c_{name}": ColorProperty() for name in COLOURS})

    def __init__(self, connection, *, printer=None, diagonal_in: float | None = None, animations: bool = True,
                 clock=time.monotonic, printer_factory=None, scanner_factory=None, **kwargs):
        super().__init__(**kwargs)
        self.title = "onestop kiosk"
        self.connection = connection
        self.printer = printer
        self.printer_factory = printer_factory
        self.scanner_factory = scanner_factory
        self.scanner = None
        #: the printer's and the scanner's entries they were made from
        self._device_configs: dict[str, dict | None] = {}
        self.diagonal_in = diagonal_in
        self.animations = animations
        self.site_config: dict | None = None
        self.device: dict | None = None
        self.flow = KioskFlow(empty_config(), clock, on_change=self._flow_changed)
        self.flow.survey_ready = True  # its screens are SurveyScreen and SurveyQuestionScreen
        self._apply_palette()
        self._update_sizes()

    # ------------------------------------------------------------ lifecycle
    def build(self):
        register_kivy_fonts()
        load_kv()
        manager = ScreenManager(transition=FadeTransition(duration=0.12) if self.animations else NoTransition())
        for name, cls in SCREEN_CLASSES.items():
            manager.add_widget(cls(name=name))
        root = KioskRoot(manager=manager)
        root.add_widget(manager, index=len(root.children))
        Window.bind(size=lambda *_: self._update_sizes(), on_touch_down=self._touched)
        Window.clearcolor = self.c_bg
        return root

    def on_start(self):
        conn = self.connection
        if conn is not None:
            conn.on_config = lambda site, device: Clock.schedule_once(lambda _dt: self._apply_config(site, device))
            conn.on_content = lambda *_: Clock.schedule_once(lambda _dt: self._content_changed())
            conn.on_availability = lambda ok, why: Clock.schedule_once(lambda _dt: self._set_available(ok, why))
            # a service paused or closed by a supervisor (issue 17): its card shows it is not available
            conn.on_service_state = lambda service, state: Clock.schedule_once(
                lambda _dt: self.flow.set_service_status(service, state.get("status")))
            if conn.site_config:  # from the disk cache: the menus work before the broker answers
                self._apply_config(conn.site_config, conn.device)
            conn.start()
            self._set_available(*conn.availability())
        Clock.schedule_interval(lambda _dt: self.flow.tick(), 0.1)
        self.sync()
        Clock.schedule_once(self._freeze_startup_objects, 1)

    def _freeze_startup_objects(self, *_):
        """Kivy, the kv rules, fonts and catalogs live as long as the kiosk: take them out of the
        garbage collector's full passes, which otherwise stop a tap for a fraction of a second."""
        import gc
        gc.collect()
        gc.freeze()

    def on_stop(self):
        if self.printer is not None:
            self.printer.close()
        if self.scanner is not None:
            self.scanner.close()
        if self.connection is not None:
            self.connection.close()

    # ------------------------------------------------------------ from the hub
    def _apply_config(self, site_config: dict, device: dict | None) -> None:
        self.site_config, self.device = site_config, device
        site = site_config["site"]
        self.site_name = site.get("name", "")
        self.default_language = site["default_language"]
        if device and device.get("screen", {}).get("diagonal_in"):
            self.diagonal_in = device["screen"]["diagonal_in"]
            self._update_sizes()
        self._ensure_devices(device)
        self.flow.reconfigure(KioskConfig.from_payloads(site_config, device))

    def _ensure_devices(self, device: dict | None) -> None:
        """Make the printer and the scanner of the device's slice, again when their entry changed."""
        if device is not None:
            self.printer = self._renewed("printer", device.get("printer"), self.printer_factory)
            self.scanner = self._renewed("scanner", device.get("scanner") or {"kind": "none"}, self.scanner_factory)

    def _renewed(self, name: str, config, factory):
        current = getattr(self, name)
        if factory is None or (config == self._device_configs.get(name) and current is not None):
            return current
        if current is not None:
            current.close()
        self._device_configs[name] = config
        return factory(config)

    def _content_changed(self) -> None:
        self.sync()

    def _set_available(self, available: bool, reason: str) -> None:
        self.tickets_available = available
        self.flow.set_tickets_available(available, reason)
        self.sync()

    @property
    def content(self) -> dict[str, dict]:
        """The content packs by language, as the hub published them (or the disk cache kept them)."""
        return self.connection.content if self.connection else {}

    # ------------------------------------------------------------ taps
    def _touched(self, *_):
        self.flow.touched()
        return False

    def on_language(self, button) -> None:
        self.flow.choose_language(button.code)

    def on_menu_card(self, card) -> None:
        request = self.flow.unsure() if card.action == "unsure" else self.flow.open_entry(card.value)
        self._issue(request)

    def on_priority(self, chip) -> None:
        self.flow.toggle_priority(chip.value)

    def on_info_card(self, card) -> None:
        self.flow.open_info_item(card.action, card.value)

    def on_issue_from_info(self, button) -> None:
        self._issue(self.flow.issue_for(button.value))

    def on_nav(self, button) -> None:
        flow = self.flow
        actions = {"back": flow.back, "home": flow.start_again, "language": flow.open_language_picker,
                   "info": flow.open_info, "tickets": flow.open_tickets, "large_text": flow.toggle_large_text,
                   "low_layout": flow.toggle_low_layout, "survey": flow.open_survey, "scan_done": flow.close_scan}
        actions[button.action]()

    @property
    def has_scanner(self) -> bool:
        """Whether this kiosk has a scanner (the survey then also says "scan your ticket")."""
        return ((self.device or {}).get("scanner") or {}).get("kind", "none") != "none"

    def on_survey_key(self, card) -> None:
        self.flow.survey_key(card.value)

    def on_survey_answer(self, card) -> None:
        self._send_answers(self.flow.survey_answer(None if card.value == "skip" else int(card.value)))

    def _send_answers(self, request) -> None:
        if request is None:
            return
        if self.connection is None:
            self.flow.survey_answered(False, "unavailable")
            return
        self.connection.answer_survey(request, lambda outcome, value: Clock.schedule_once(
            lambda _dt: self.flow.survey_answered(outcome == "ok", value if outcome == "refused" else
                                                  None if outcome == "ok" else "unavailable")))

    def close_language_picker(self) -> None:
        self.flow.open_language_picker(False)

    # ------------------------------------------------------------ tickets
    def _issue(self, request) -> None:
        if request is None or self.connection is None:
            return
        self.connection.issue(request, self._issued)

    def _issued(self, outcome: str, value) -> None:
        """On the request's thread: show the ticket and print it at the same time."""
        if outcome == "ok":
            ticket = value
            printer = self.printer
            send = None
            if printer is not None and printer.enabled:  # the bytes first: the screen then draws beside the write
                send = printer.prepare(ticket, self.site_config or {}, ticket.get("language") or self.lang)
            Clock.schedule_once(lambda _dt: self._show_ticket(ticket))  # before the printer's answer
            if send is not None:
                send(lambda ok, reason: Clock.schedule_once(lambda _dt: self._printed(ok, reason)))
        elif outcome == "refused":
            Clock.schedule_once(lambda _dt: self.flow.issue_refused(value))
        else:
            Clock.schedule_once(lambda _dt: self.flow.issue_failed(value))

    def _show_ticket(self, ticket: dict) -> None:
        self.flow.ticket_issued(ticket)
        if self.printer is None or not self.printer.enabled:
            self.flow.no_printer()

    def _printed(self, ok: bool, reason: str) -> None:
        self.flow.ticket_printed(ok, reason)
        if self.connection is not None:
            self.connection.report_health(last_print="ok" if ok else reason)

    # ------------------------------------------------------------ the scanner
    def scan_received(self, scan) -> None:
        """A scan (the scanner's thread): what it is decides what the screen says."""
        Clock.schedule_once(lambda _dt: self._show_scan(scan))

    def _show_scan(self, scan) -> None:
        from hardware.scanner import AppointmentScan, TicketScan
        if isinstance(scan, TicketScan) and self.flow.survey_scanned(scan.qr.ref):
            return
        if isinstance(scan, TicketScan):
            self.flow.scanned({})
            if self.connection is not None:
                self.connection.ticket_status(scan.qr.ref, lambda outcome, value: Clock.schedule_once(
                    lambda _dt: self._scanned_ticket(outcome, value)))
        elif isinstance(scan, AppointmentScan):
            if self.connection is None or "check_in" not in self.flow.config.modes:  # the hub would refuse it
                self.flow.scanned({"message": "appointment"})
                return
            self.connection.check_in(scan.code, self.lang, self._checked_in)
        else:
            self.flow.scanned({"message": scan.reason})

    def _checked_in(self, outcome: str, value) -> None:
        """The hub's answer to a check-in (the request's thread): the ticket is shown and printed like
        one taken at the menu; an appointment the hub does not know sends the visitor to the desk."""
        if outcome == "ok":
            self._issued("ok", value)
        elif outcome == "refused":
            Clock.schedule_once(lambda _dt: self.flow.scanned({"message": "appointment"}))
        else:
            Clock.schedule_once(lambda _dt: self.flow.scanned({"message": "unavailable"}))

    def _scanned_ticket(self, outcome: str, value) -> None:
        if outcome == "ok":
            self.flow.scanned({"ticket": value}, language=value.get("language"))
        elif outcome == "refused":
            self.flow.scanned({"message": "unknown_ticket" if value == "unknown_ticket" else "refused"})
        else:
            self.flow.scanned({"message": "unavailable"})

    def printer_status(self, state: str, detail: str) -> None:
        """The printer's status changed (any thread): part of the kiosk's health."""
        if self.connection is not None:
            self.connection.report_health(printer=state, printer_detail=detail or None)

    # ------------------------------------------------------------ drawing the state
    def _flow_changed(self, flow: KioskFlow) -> None:
        self.sync()

    def sync(self, *_):
        """Make the screens show the flow's state (main thread)."""
        if self.root is None:
            return
        state = self.flow.state
        self.lang = self.flow.language
        self.rtl = is_rtl_language(self.lang)
        self.busy = state.busy
        if state.large_text != self.large_text:
            self.large_text = state.large_text
            self._apply_palette()
            self._update_sizes()
        self.low_layout = state.low_layout
        manager = self.root.manager
        if state.screen in manager.screen_names and manager.current != state.screen:
            manager.current = state.screen
        manager.current_screen.refresh(self)
        self.root.show_language_picker(state.language_picker, self)

    def _apply_palette(self) -> None:
        for name, colour in palette(self.large_text).items():
            setattr(self, f"c_{name}", colour)
        Window.clearcolor = self.c_bg

    def _update_sizes(self) -> None:
        sizes = Sizes.for_screen(Window.width, Window.height, self.diagonal_in, self.large_text)
        self.sizes = sizes
        self.target, self.gap = sizes.target, sizes.gap
        for kind in TEXT_MM:
            setattr(self, f"f_{kind}", sizes.font(kind))
        self.f_code = sizes.font_code(Window.height)
        self.min_text = sizes.min_font()
        self.short = sizes.short(Window.height)

    # ------------------------------------------------------------ kv helpers
    def tx(self, message: str, language: str, **values) -> str:
        """A kiosk text in ``language`` (kv: ``app.tx("Back", app.lang)``)."""
        return tr(language, message, **values)

    def line_fit(self, size: float, least: float, room: float, bold: bool = False) -> float:
        """The largest size up to ``size`` whose line is at most ``room`` high, never under ``least``
        (kv: the ticket's code takes what the words under it leave)."""
        return line_fit(size, least, room, bold)

    def line_fits(self, size: float, room: float, bold: bool = False) -> bool:
        """Whether a line at ``size`` fits ``room`` pixels (kv: the ticket's code at its least size)."""
        return size > 0 and line_fits(size, room, bold)

    def fit(self, text: str, size: float, width: float, bold: bool = False, language: str = "",
            height: float = 0) -> float:
        """A label's size so its longest word fits its width and its lines its height
        (kv: ``font_size: app.fit(...)``)."""
        return fit_font(text, size, round(width) - 2, bool(bold), language, max(0, round(height)),
                        self.sizes.min_font() if self.sizes is not None else 0)


def animations_enabled() -> bool:
    return os.environ.get("ONESTOP_KIOSK_ANIMATIONS", "1") != "0"
