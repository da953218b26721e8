"""The site file's schema: one TOML file describes a whole centre.

Every part of the product reads its settings from here, so the shape is
complete from the start (kiosk menu, counters, display zones, device
hardware, bridge...) even where a role does not use its part yet.  Models
forbid unknown keys so a typo is reported instead of silently ignored.
Cross-references (a counter's services, a menu entry's service, a device's
counter) are checked in ``Site.check_references``.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from contract.fields import Ident, Lang, Prefix, ServiceDay
from contract.topics import HUB_ID

from .limits import MAX_TICKET_NUMBER, DeviceLimitOverride, Limits

SCHEMA_VERSION = 1

# Limits on lists (why: docs/decisions.md, "Bad files").  A large CNAI has about 20
# services, 40 counters, 60 devices and 10 languages; each limit leaves several times
# that, and together with the file's size limit they bound what every device receives.
MAX_LANGUAGES = 30
MAX_ZONES = 50
MAX_SERVICES = 100
MAX_COUNTERS = 200
MAX_DEVICES = 300
#: entries on one level of the kiosk menu (the kiosk pages them with "More" cards)
MAX_MENU_ENTRIES = 50
#: levels of the kiosk menu: a visitor should reach a ticket in about three touches
MAX_MENU_DEPTH = 5
MAX_TICKER_MESSAGES = 50
MAX_OPENING_SLOTS = 50
#: public holidays and closures of a few years
MAX_CLOSED_DATES = 400

#: ids and language codes are the contract's (``contract.fields``): the site file names what travels
LangCode = Lang
#: text in several languages: {"pt": "...", "en": "..."}; must have the site's default language.
Localized = Annotated[dict[LangCode, Annotated[str, Field(min_length=1, max_length=400)]],
                     Field(max_length=MAX_LANGUAGES)]
#: a host name or an IP address as a device dials it
Host = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,253}$")]
#: a path on a device (serial port, file); no NUL, which no file system accepts
DevicePath = Annotated[str, Field(pattern=r"^[^\x00]{1,4096}$")]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
#: a printer code page as python-escpos names it: CP437, CP850, CP1251, ISO_8859-15...
CodePageName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,23}$")]
#: the n of ``ESC t n`` that selects a code page on one printer
CodePageNumber = Annotated[int, Field(ge=0, le=255, strict=True)]
#: CP437 (US), CP850 (Western Europe: pt, es, fr...) and CP866 (Cyrillic) at the numbers
#: Epson and most compatible printers give them (``ESC t 0``, ``2``, ``17``)
DEFAULT_CODE_PAGES = {"CP437": 0, "CP850": 2, "CP866": 17}
MAX_CODE_PAGES = 16
#: the single-byte code pages python-escpos has the characters of (its others have none, or are
#: double-byte like CP932); written out so the hub need not import python-escpos (0.3 s) to read a
#: site file, and kept equal to python-escpos' own by tests/test_printer_codepages.py
CODE_PAGE_NAMES = frozenset({
    "CP437", "CP720", "CP737", "CP775", "CP850", "CP852", "CP855", "CP856", "CP857", "CP858", "CP860",
    "CP861", "CP862", "CP863", "CP864", "CP865", "CP866", "CP869", "CP874", "CP1125", "CP1250", "CP1251",
    "CP1252", "CP1253", "CP1254", "CP1255", "CP1256", "CP1257", "CP1258", "CP3011", "CP3012",
    "ISO_8859-1", "ISO_8859-2", "ISO_8859-3", "ISO_8859-4", "ISO_8859-5", "ISO_8859-6", "ISO_8859-7",
    "ISO_8859-8", "ISO_8859-9", "ISO_8859-15", "KATAKANA", "OXHOO-EUROPEAN", "TCVN-3-1", "TCVN-3-2"})


class _Model(BaseModel):
    #: no inf or nan: a timer of inf seconds is an OverflowError on the device, not a setting
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------------------
# Site-wide parts
# ---------------------------------------------------------------------------


class SiteInfo(_Model):
    id: Ident
    name: str = Field(min_length=1, max_length=80)
    timezone: str = Field(max_length=64)
    languages: list[LangCode] = Field(min_length=1, max_length=MAX_LANGUAGES)
    default_language: LangCode = "pt"
    #: the local time at which a new service day starts (ticket numbers restart)
    service_day_starts: HHMM = "00:00"
    #: days the hub keeps anything that could identify a visit (check-in codes...)
    retention_days: int = Field(default=90, ge=1, le=3650)
    #: years the anonymous daily figures (counts, waiting and service times) are kept
    aggregate_retention_years: int = Field(default=10, ge=1, le=50)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'Europe/Lisbon')")
        return value

    @model_validator(mode="after")
    def _default_in_languages(self) -> "SiteInfo":
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages lists a language twice")
        return self


class Network(_Model):
    """How devices reach the site's broker (the hub's host)."""

    broker_host: Host = "onestop-hub.local"
    broker_port: int = Field(default=1883, ge=1, le=65535)
    broker_tls_port: int | None = Field(default=None, ge=1, le=65535)
    #: NTP server devices sync from (the hub serves time; see provisioning)
    time_server: Host | None = None
    #: where phones on the guest Wi-Fi reach the page server (``onestop-guest``), a name or an address
    #: with ``:port`` when it is not 80; set, the tickets' QR codes are links to their live page
    #: (``http://<guest_host>/t/<ref>``), unset, the ``OSS1:`` form
    guest_host: Host | None = None
    #: the page server machine's interface on the guest network: the shipped nftables rules let it reach
    #: the page port (80) and nothing else (provisioning/guestnet.py)
    guest_interface: str = Field(default="eth1", pattern=r"^[A-Za-z0-9_.-]{1,15}$")
    #: the hub's address on the staff network: the supervisor's console (``onestop-console``, issue 17)
    #: listens there and nowhere else (``https://<console_host>/``); unset, the console does not start
    console_host: Host | None = None


class Policies(_Model):
    #: normal : priority calls when both kinds wait, e.g. [2, 1]
    priority_ratio: tuple[int, int] = (2, 1)
    #: the priority categories the kiosk offers (the category never leaves the kiosk)
    priority_categories: list[Literal["pregnancy", "infant", "disability", "elderly"]] = Field(
        default=["pregnancy", "infant", "disability", "elderly"], max_length=4)
    no_show_requires_recall: bool = True
    recall_limit: int = Field(default=3, ge=0, le=20)
    #: where a transferred ticket joins its new queue
    transfer_position: Literal["original_arrival", "end", "front"] = "original_arrival"
    #: service time assumed until the hub has measured some
    default_service_minutes: float = Field(default=10, gt=0, le=240)
    #: how many finished tickets the rolling mean service time uses
    estimate_window: int = Field(default=20, ge=1, le=1000)
    #: refuse new tickets outside opening hours
    issue_only_when_open: bool = False
    #: a wall display announces a call only this long after the hub committed it (a hub that
    #: restarts after a crash delivers older calls: they are listed without a sound)
    announce_max_age_s: float = Field(default=30, ge=5, le=600)
    #: language-aware calling: a visitor at the head of their service-and-class queue may be passed
    #: over for one whose language the calling counter speaks only this long (0: never passed over)
    language_max_skip_min: float = Field(default=10, ge=0, le=120)
    #: an appointment checked in this long after its slot joins as a walk-in
    appointment_grace_min: float = Field(default=15, ge=0, le=240)

    @model_validator(mode="after")
    def _no_show_reachable(self) -> "Policies":
        if self.no_show_requires_recall and self.recall_limit == 0:
            raise ValueError("no_show_requires_recall with recall_limit = 0 would make a no-show impossible")
        return self

    @field_validator("priority_ratio")
    @classmethod
    def _ratio(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] < 0 or value[1] < 1 or value[0] > 50 or value[1] > 50:
            raise ValueError("priority_ratio is [normal, priority] with normal >= 0 and 1 <= priority <= 50")
        return value


class Zone(_Model):
    id: Ident
    name: Localized


class Service(_Model):
    id: Ident
    #: letter(s) before the ticket number: "A" gives A001, A002...
    prefix: Prefix
    name: Localized
    #: the ministry branch or office that provides it
    office: Localized
    office_kind: Literal["ministry", "support", "reception", "information"] = "support"
    zone: Ident
    waiting_area: Localized
    priority_eligible: bool = True
    #: assumed minutes per visit until measured (overrides the policy default)
    service_minutes: float | None = Field(default=None, gt=0, le=240)
    #: the wait the office aims for: reports give the share of visitors called within it
    target_wait_min: float | None = Field(default=None, gt=0, le=600)


class MenuEntry(_Model):
    """A kiosk menu node: a matter with sub-entries, or a final entry that issues a ticket."""

    id: Ident
    icon: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")]
    label: Localized
    hint: Localized
    service: Ident | None = None
    children: list["MenuEntry"] = Field(default=[], max_length=MAX_MENU_ENTRIES)

    @model_validator(mode="after")
    def _leaf_or_branch(self) -> "MenuEntry":
        if (self.service is None) == (not self.children):
            raise ValueError(f"menu entry {self.id!r} needs either a service or children, not both")
        return self


class Kiosk(_Model):
    menu: list[MenuEntry] = Field(min_length=1, max_length=MAX_MENU_ENTRIES)
    #: where "I don't know" sends the visitor (the welcoming & sorting office)
    unsure_service: Ident
    idle_timeout_s: float = Field(default=45, gt=0)
    ticket_screen_s: float = Field(default=20, gt=0)
    helpline: str = Field(default="808 257 257", max_length=40)
    #: the information point's content pack: <content_dir>/<language>.toml, relative to the site file
    content_dir: str = Field(default="content", min_length=1, max_length=200)


class CounterService(_Model):
    service: Ident
    #: how strongly this counter prefers the service: waiting time x weight decides
    weight: float = Field(default=1, gt=0, le=100)


class Counter(_Model):
    id: Ident
    number: int = Field(ge=1, le=999)
    name: Localized
    zone: Ident
    services: list[CounterService] = Field(min_length=1, max_length=MAX_SERVICES)
    transfer_targets: list[Ident] = Field(default=[], max_length=MAX_SERVICES)
    #: the languages this counter's staff speak (language-aware calling); may name languages the
    #: kiosk does not offer (e.g. "kea", Cape Verdean Creole)
    languages: list[LangCode] = Field(default=[], max_length=MAX_LANGUAGES)


class Ticker(_Model):
    messages: list[Localized] = Field(default=[], max_length=MAX_TICKER_MESSAGES)
    speed_px_s: float = Field(default=80, gt=0)


class OpeningSlot(_Model):
    days: list[Weekday] = Field(min_length=1, max_length=7)
    open: HHMM
    close: HHMM

    @model_validator(mode="after")
    def _order(self) -> "OpeningSlot":
        if time.fromisoformat(self.open) >= time.fromisoformat(self.close):
            raise ValueError(f"opens at {self.open} but closes at {self.close}")
        return self


class OpeningHours(_Model):
    weekly: list[OpeningSlot] = Field(default=[], max_length=MAX_OPENING_SLOTS)
    closed_dates: list[ServiceDay] = Field(
        default=[], max_length=MAX_CLOSED_DATES)


class Bridge(_Model):
    """Optional bridge of this site's broker to a central broker (a network of centres)."""

    enabled: bool = False
    host: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{0,253}$")] = ""
    port: int = Field(default=8883, ge=1, le=65535)
    tls: bool = True
    remote_prefix: str = Field(default="centres/", max_length=100)
    #: "events" carries every call with the visitor's language to the centre network: off unless chosen
    #: (docs/privacy.md)
    topics_up: list[Literal["events", "presence", "health", "statistics"]] = Field(
        default=["presence", "health", "statistics"], max_length=4)

    @model_validator(mode="after")
    def _host_when_enabled(self) -> "Bridge":
        if self.enabled and not self.host:
            raise ValueError("an enabled bridge needs a host")
        return self


# ---------------------------------------------------------------------------
# Devices and their hardware
# ---------------------------------------------------------------------------


class Printer(_Model):
    connector: Literal["none", "usb", "serial", "network", "file"] = "none"
    usb_vendor: int | None = Field(default=None, ge=0, le=0xFFFF)
    usb_product: int | None = Field(default=None, ge=0, le=0xFFFF)
    serial_port: DevicePath | None = None
    baudrate: int = Field(default=9600, ge=50, le=4_000_000)
    host: Host | None = None
    port: int = Field(default=9100, ge=1, le=65535)
    path: DevicePath | None = None
    #: python-escpos capability profile (code pages, QR support, width)
    profile: str = Field(default="default", min_length=1, max_length=64)
    paper_mm: Literal[58, 80] = 80
    status_poll_s: float = Field(default=10, gt=0)
    #: ask the printer its state (ESC/POS DLE EOT); false for printers that never answer,
    #: whose faults then show only as write errors
    status_queries: bool = True
    #: the code pages this printer really has: python-escpos' name (CP850, CP866, CP1251...) and
    #: the number ``ESC t`` selects it by on this printer (its self-test page lists them; compatible
    #: printers number them differently).  A ticket's text goes out in one of them, in as few as
    #: it can (one when a page holds all its languages); what none holds is printed as a picture.
    #: The default is numbered alike by Epson and most compatible printers.
    code_pages: dict[CodePageName, CodePageNumber] = Field(default_factory=lambda: dict(DEFAULT_CODE_PAGES),
                                                           min_length=1, max_length=MAX_CODE_PAGES)

    @field_validator("code_pages")
    @classmethod
    def _code_pages_known_once(cls, pages: dict[str, int]) -> dict[str, int]:
        upper: dict[str, int] = {}
        for name, number in pages.items():
            if name.upper() not in CODE_PAGE_NAMES:
                raise ValueError(f"{name!r} is not a code page the printer driver knows; write one of "
                                 "CP437, CP850, CP858, CP866, CP1251, CP1252, ISO_8859-15... (python-escpos' names)")
            if name.upper() in upper:
                raise ValueError(f"{name!r} is listed twice")
            twin = next((other for other, n in upper.items() if n == number), None)
            if twin is not None:
                raise ValueError(f"{name} and {twin} both say ESC t {number}: a number selects one page")
            upper[name.upper()] = number
        return upper

    @model_validator(mode="after")
    def _connector_fields(self) -> "Printer":
        need = {"usb": ("usb_vendor", "usb_product"), "serial": ("serial_port",),
                "network": ("host",), "file": ("path",)}.get(self.connector, ())
        missing = [name for name in need if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.connector} printer needs {', '.join(missing)}")
        return self


class Scanner(_Model):
    kind: Literal["none", "serial", "hid"] = "none"
    serial_port: DevicePath | None = None
    baudrate: int = Field(default=9600, ge=50, le=4_000_000)
    #: evdev device path or name for keyboard-wedge scanners
    hid_device: DevicePath | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> "Scanner":
        if self.kind == "serial" and not self.serial_port:
            raise ValueError("a serial scanner needs serial_port")
        if self.kind == "hid" and not self.hid_device:
            raise ValueError("a hid scanner needs hid_device")
        return self


class Screen(_Model):
    width: int = Field(default=1280, ge=320, le=7680)
    height: int = Field(default=800, ge=240, le=4320)
    orientation: Literal["landscape", "portrait"] = "landscape"
    fullscreen: bool = True
    #: the visible diagonal in inches (7, 10.1, 15.6...): sizes touch targets in millimetres;
    #: unknown = 150 dpi assumed (the densest usual panel, so targets are never too small)
    diagonal_in: float | None = Field(default=None, ge=3, le=100)


class Audio(_Model):
    enabled: bool = True
    volume: float = Field(default=0.8, ge=0, le=1)
    chime: bool = True
    #: languages the display may announce in (empty = all the site's languages); it always
    #: speaks the site's default language, then the visitor's when it is in this list
    languages: list[LangCode] = Field(default=[], max_length=MAX_LANGUAGES)
    #: espeak-ng voice per language where it differs from the code
    voices: dict[LangCode, Annotated[str, Field(pattern=r"^[A-Za-z0-9_+./-]{1,64}$")]] = Field(
        default={}, max_length=MAX_LANGUAGES)
    #: a call waiting longer than this in the announcement queue is merged
    max_queue_delay_s: float = Field(default=20, gt=0)


class CounterPins(_Model):
    """BCM GPIO numbers of the counter's buttons and LEDs (None = not fitted)."""

    next: int | None = 17
    recall: int | None = 27
    no_show: int | None = 22
    transfer: int | None = 23
    pause: int | None = 24
    led_red: int | None = 5
    led_green: int | None = 6
    led_blue: int | None = 13
    buzzer: int | None = None
    #: False for a common-anode RGB LED (a channel lights when its pin is low)
    led_active_high: bool = True
    #: how long a button must be held for its long-press meaning
    hold_s: float = Field(default=1.0, gt=0)
    #: a second press of the same button within this window is not sent
    repeat_guard_ms: int = Field(default=300, ge=0)
    #: edges of a button closer than this to the edge before are contact bounce
    debounce_ms: int = Field(default=20, ge=0, le=500)
    #: a press is valid this long (request deadline); no answer by then shows an error
    reply_timeout_ms: int = Field(default=1000, ge=50, le=30000)

    def used_pins(self) -> list[int]:
        return [p for p in (self.next, self.recall, self.no_show, self.transfer, self.pause,
                            self.led_red, self.led_green, self.led_blue, self.buzzer) if p is not None]

    @model_validator(mode="after")
    def _distinct(self) -> "CounterPins":
        pins = self.used_pins()
        if len(pins) != len(set(pins)):
            raise ValueError("two functions share one GPIO pin")
        if any(not 0 <= p <= 27 for p in pins):
            raise ValueError("GPIO pins are BCM numbers 0-27")
        return self


class SmallDisplay(_Model):
    kind: Literal["none", "lcd_i2c", "tm1637"] = "none"
    i2c_address: int = Field(default=0x27, ge=0x03, le=0x77)
    columns: int = Field(default=16, ge=4, le=40)
    rows: int = Field(default=2, ge=1, le=4)
    clk_pin: int | None = Field(default=None, ge=0, le=27)
    dio_pin: int | None = Field(default=None, ge=0, le=27)

    @model_validator(mode="after")
    def _tm1637_pins(self) -> "SmallDisplay":
        if self.kind == "tm1637" and (self.clk_pin is None or self.dio_pin is None or self.clk_pin == self.dio_pin):
            raise ValueError("a tm1637 display needs two different pins, clk_pin and dio_pin")
        return self


class Device(_Model):
    id: Ident
    role: Literal["hub", "kiosk", "counter", "display"]
    zone: Ident | None = None
    counter: Ident | None = None
    #: the kiosk's modes; a kiosk can dispense tickets, be an information point, or both
    kiosk_modes: list[Literal["tickets", "information", "check_in", "survey"]] = Field(
        default=["tickets", "information"], max_length=4)
    printer: Printer = Printer()
    scanner: Scanner = Scanner()
    screen: Screen = Screen()
    audio: Audio = Audio()
    pins: CounterPins = CounterPins()
    small_display: SmallDisplay = SmallDisplay()
    #: this device's own request and ticket limits, over its role's (``limits``)
    limits: DeviceLimitOverride | None = None

    @model_validator(mode="after")
    def _role_fields(self) -> "Device":
        if self.role == "counter" and self.counter is None:
            raise ValueError(f"counter device {self.id!r} needs `counter`")
        if self.role != "counter" and self.counter is not None:
            raise ValueError(f"only counter devices have `counter` ({self.id!r} is a {self.role})")
        if self.role in ("kiosk", "display") and self.zone is None:
            raise ValueError(f"{self.role} device {self.id!r} needs `zone`")
        if self.role == "counter" and self.small_display.kind == "tm1637":
            shared = {self.small_display.clk_pin, self.small_display.dio_pin} & set(self.pins.used_pins())
            if shared:
                raise ValueError(f"small_display pins {sorted(shared)} are already used by `pins`")
        return self


# ---------------------------------------------------------------------------
# The whole site
# ---------------------------------------------------------------------------


class Site(_Model):
    schema_version: Literal[1]
    site: SiteInfo
    network: Network = Network()
    policies: Policies = Policies()
    zones: list[Zone] = Field(min_length=1, max_length=MAX_ZONES)
    services: list[Service] = Field(min_length=1, max_length=MAX_SERVICES)
    kiosk: Kiosk
    counters: list[Counter] = Field(min_length=1, max_length=MAX_COUNTERS)
    ticker: Ticker = Ticker()
    opening_hours: OpeningHours = OpeningHours()
    bridge: Bridge = Bridge()
    #: what one device may ask of the hub, per role (siteconf/limits.py gives the reasons)
    limits: Limits = Limits()
    devices: list[Device] = Field(min_length=1, max_length=MAX_DEVICES)
    _indexes: dict = PrivateAttr(default_factory=dict)

    # --- lookups (built once; the model is frozen) ---------------------------
    def service(self, service_id: str) -> Service | None:
        return _index(self, "services").get(service_id)

    def counter(self, counter_id: str) -> Counter | None:
        return _index(self, "counters").get(counter_id)

    def device(self, device_id: str) -> Device | None:
        return _index(self, "devices").get(device_id)

    def zone(self, zone_id: str) -> Zone | None:
        return _index(self, "zones").get(zone_id)

    @property
    def hub_device(self) -> Device:
        return next(d for d in self.devices if d.role == "hub")

    def device_zone(self, device: Device) -> str:
        """A device's zone: its own, its counter's, or the first zone."""
        if device.zone:
            return device.zone
        if device.counter and (counter := self.counter(device.counter)):
            return counter.zone
        return self.zones[0].id

    @model_validator(mode="after")
    def check_references(self) -> "Site":
        problems: list[str] = []
        langs = set(self.site.languages)
        default = self.site.default_language

        def unique(kind: str, items, key) -> dict:
            seen: dict = {}
            for index, item in enumerate(items):
                value = key(item)
                if value in seen:
                    problems.append(f"{kind}[{index}]: {value!r} is used twice")
                seen[value] = item
            return seen

        zones = unique("zones", self.zones, lambda z: z.id)
        services = unique("services", self.services, lambda s: s.id)
        unique("services", self.services, lambda s: s.prefix)
        counters = unique("counters", self.counters, lambda c: c.id)
        unique("counters", self.counters, lambda c: c.number)
        unique("devices", self.devices, lambda d: d.id)

        def texts(where: str, text: dict[str, str]) -> None:
            if default not in text:
                problems.append(f"{where}: has no text in the default language {default!r}")
            for lang in text:
                if lang not in langs:
                    problems.append(f"{where}: language {lang!r} is not in site.languages")

        for i, z in enumerate(self.zones):
            texts(f"zones[{i}].name", z.name)
        for i, s in enumerate(self.services):
            for part in ("name", "office", "waiting_area"):
                texts(f"services[{i}].{part}", getattr(s, part))
            if s.zone not in zones:
                problems.append(f"services[{i}].zone: unknown zone {s.zone!r}")

        def walk(entries: list[MenuEntry], where: str, level: int) -> None:
            for i, e in enumerate(entries):
                here = f"{where}[{i}]"
                texts(f"{here}.label", e.label)
                texts(f"{here}.hint", e.hint)
                if e.service is not None and e.service not in services:
                    problems.append(f"{here}.service: unknown service {e.service!r}")
                if e.children and level == MAX_MENU_DEPTH:
                    problems.append(f"{here}.children: the menu may have {MAX_MENU_DEPTH} levels, not more "
                                    "(every level is one more touch for the visitor)")
                else:
                    walk(e.children, f"{here}.children", level + 1)

        walk(self.kiosk.menu, "kiosk.menu", 1)
        if self.kiosk.unsure_service not in services:
            problems.append(f"kiosk.unsure_service: unknown service {self.kiosk.unsure_service!r}")

        for i, c in enumerate(self.counters):
            texts(f"counters[{i}].name", c.name)
            if c.zone not in zones:
                problems.append(f"counters[{i}].zone: unknown zone {c.zone!r}")
            for j, cs in enumerate(c.services):
                if cs.service not in services:
                    problems.append(f"counters[{i}].services[{j}].service: unknown service {cs.service!r}")
            for j, target in enumerate(c.transfer_targets):
                if target not in services:
                    problems.append(f"counters[{i}].transfer_targets[{j}]: unknown service {target!r}")
            if len({cs.service for cs in c.services}) != len(c.services):
                problems.append(f"counters[{i}].services: a service is listed twice")
        served = {cs.service for c in self.counters for cs in c.services}
        for i, s in enumerate(self.services):
            if s.id not in served:
                problems.append(f"services[{i}]: no counter serves {s.id!r}, its tickets would never be called")

        for i, m in enumerate(self.ticker.messages):
            texts(f"ticker.messages[{i}]", m)

        hubs = [d for d in self.devices if d.role == "hub"]
        if len(hubs) != 1:
            problems.append(f"devices: a site has exactly one hub device, found {len(hubs)}")
        elif hubs[0].id != HUB_ID:
            problems.append(f"devices: the hub device's id must be {HUB_ID!r} (the contract's name for it), "
                            f"not {hubs[0].id!r}")
        menu_ids: set[str] = set()

        def menu_unique(entries: list[MenuEntry]) -> None:
            for e in entries:
                if e.id in menu_ids:
                    problems.append(f"kiosk.menu: entry id {e.id!r} is used twice")
                menu_ids.add(e.id)
                menu_unique(e.children)

        menu_unique(self.kiosk.menu)
        for i, d in enumerate(self.devices):
            if d.zone is not None and d.zone not in zones:
                problems.append(f"devices[{i}].zone: unknown zone {d.zone!r}")
            if d.counter is not None and d.counter not in counters:
                problems.append(f"devices[{i}].counter: unknown counter {d.counter!r}")
            for lang in d.audio.languages:
                if lang not in langs:
                    problems.append(f"devices[{i}].audio.languages: {lang!r} is not in site.languages")
        quotas = sum(self.limits.for_device(d.role, d.limits).tickets_per_day for d in self.devices
                     if d.role == "counter" or (d.role == "kiosk" and {"tickets", "check_in"} & set(d.kiosk_modes)))
        if quotas > MAX_TICKET_NUMBER:
            problems.append(f"limits: the devices that issue tickets may issue {quotas} a day together, more than "
                            f"the {MAX_TICKET_NUMBER} numbers a service has; lower tickets_per_day")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _index(site: Site, attr: str) -> dict:
    cache = site.__pydantic_private__["_indexes"]  # direct: pydantic's __getattr__ is slow on a hot path
    if attr not in cache:
        cache[attr] = {item.id: item for item in getattr(site, attr)}
    return cache[attr]

MenuEntry.model_rebuild()
