"""What the visitor is doing at the kiosk: a state machine with no Kivy in it.

The screens only draw this state and call its methods; everything a visitor
can do (and everything that happens to them: a ticket arrives, the hub goes
away, nobody touches the screen) is a method here, so it is tested without a
window.  Time comes from an injectable clock; ``tick()`` is called often by
the app and applies the idle and ticket-screen timeouts.

Screens: ``start`` (languages), ``menu`` (matters and offices, the priority
toggle), ``ticket``, ``unavailable`` (tickets cannot be issued now),
``info`` and ``info_item`` (the information point), ``scan`` (what a scanned
ticket or code means), ``survey`` and ``survey_question`` (the satisfaction
survey, kiosk/survey.py: naming the ticket, then the four questions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable

from .survey import AnswerRequest, SurveyState

PRIORITY_CATEGORIES = ("pregnancy", "infant", "disability", "elderly")


@dataclass(frozen=True)
class KioskConfig:
    """What the flow needs from the site's public config and the kiosk's own entry."""

    menu: tuple[dict, ...]
    unsure_service: str
    languages: tuple[str, ...]
    default_language: str
    idle_timeout_s: float = 45.0
    ticket_screen_s: float = 20.0
    modes: tuple[str, ...] = ("tickets", "information")
    priority_categories: tuple[str, ...] = PRIORITY_CATEGORIES
    #: services whose tickets may be priority tickets
    priority_services: frozenset[str] = frozenset()
    #: the services' ticket prefixes, the letters of the survey's keypad
    prefixes: tuple[str, ...] = ()

    @classmethod
    def from_payloads(cls, site_config: dict, device: dict | None = None) -> "KioskConfig":
        """From the retained ``config/site`` payload and the kiosk's ``config/device`` entry."""
        kiosk = site_config["kiosk"]
        site = site_config["site"]
        policies = site_config.get("policies", {})
        return cls(
            menu=tuple(kiosk["menu"]), unsure_service=kiosk["unsure_service"],
            languages=tuple(site["languages"]), default_language=site["default_language"],
            idle_timeout_s=float(kiosk.get("idle_timeout_s", 45)),
            ticket_screen_s=float(kiosk.get("ticket_screen_s", 20)),
            modes=tuple((device or {}).get("kiosk_modes", ("tickets", "information"))),
            priority_categories=tuple(c for c in policies.get("priority_categories", PRIORITY_CATEGORIES)
                                      if c in PRIORITY_CATEGORIES),
            priority_services=frozenset(s["id"] for s in site_config.get("services", ())
                                        if s.get("priority_eligible", True)),
            prefixes=tuple(dict.fromkeys(s["prefix"] for s in site_config.get("services", ()) if s.get("prefix"))))


@dataclass(frozen=True)
class IssueRequest:
    """The ticket to ask the hub for.  Only the flag leaves the kiosk, never the category."""

    service: str
    language: str
    priority: bool


@dataclass
class VisitorState:
    screen: str = "start"
    language: str | None = None
    #: menu entry ids from the top of the menu to the entry whose children are shown
    path: tuple[str, ...] = ()
    #: the priority category the visitor chose (stays on the kiosk)
    priority: str | None = None
    large_text: bool = False
    low_layout: bool = False
    #: a ticket request is on its way to the hub
    busy: bool = False
    ticket: dict | None = None
    #: "printing", "printed", "fault" or "none" (no printer)
    print_state: str = "none"
    #: why the last request was refused (a reason code), shown on the menu
    notice: str | None = None
    #: ("service", id) or ("topic", id) on the info_item screen
    info_item: tuple[str, str] | None = None
    language_picker: bool = False
    #: what a scan showed: {"ticket": view} or {"message": reason}; {} while the hub is asked
    scan: dict | None = None
    #: the screen to go back to from the scan screen
    before_scan: str = "start"
    #: the survey under way (kiosk/survey.py), None elsewhere
    survey: SurveyState | None = None


class KioskFlow:
    def __init__(self, config: KioskConfig, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[["KioskFlow"], None] | None = None):
        self.config = config
        self.clock = clock
        self.on_change = on_change
        self.state = VisitorState()
        self.tickets_available = True
        self.unavailable_reason = ""
        #: set by the app when a survey screen exists (a later issue)
        self.survey_ready = False
        #: services a supervisor paused or closed for the day (issue 17; ``state.service``'s ``status``):
        #: service id -> "paused" or "closed"; an open service is not in it
        self.service_status: dict[str, str] = {}
        self._last_touch = clock()
        self._ticket_until = 0.0

    def reconfigure(self, config: KioskConfig) -> None:
        """A new site config: keep the visitor where they are if it still exists, else start over."""
        self.config = config
        s = self.state
        try:
            self.entries()
            valid = s.language is None or s.language in config.languages
        except StopIteration:
            valid = False
        if not valid:
            self.state = VisitorState(large_text=s.large_text, low_layout=s.low_layout)
        self._changed()

    # ------------------------------------------------------------ reading
    @property
    def screen(self) -> str:
        return self.state.screen

    @property
    def language(self) -> str:
        """The visitor's language, or the site's default before one is chosen."""
        return self.state.language or self.config.default_language

    @property
    def offers_tickets(self) -> bool:
        return "tickets" in self.config.modes

    @property
    def offers_information(self) -> bool:
        return "information" in self.config.modes

    @property
    def offers_survey(self) -> bool:
        return "survey" in self.config.modes and self.survey_ready

    def entries(self) -> list[dict]:
        """The menu entries on screen now (children of the last entry of the path)."""
        entries: Iterable[dict] = self.config.menu
        for entry_id in self.state.path:
            entries = next(e for e in entries if e["id"] == entry_id).get("children", [])
        return list(entries)

    def current_entry(self) -> dict | None:
        """The branch whose children are shown, None at the top of the menu."""
        entries: Iterable[dict] = self.config.menu
        entry = None
        for entry_id in self.state.path:
            entry = next(e for e in entries if e["id"] == entry_id)
            entries = entry.get("children", [])
        return entry

    # ------------------------------------------------------------ visitor
    def choose_language(self, language: str) -> None:
        if language not in self.config.languages:
            raise ValueError(f"{language!r} is not one of the site's languages")
        self.state.language = language
        self.state.language_picker = False
        if self.state.screen == "start":
            self.state.screen = self._first_screen()
        self._changed()

    def open_language_picker(self, open_: bool = True) -> None:
        self.state.language_picker = open_
        self._changed()

    def open_entry(self, entry_id: str) -> IssueRequest | None:
        """A tap on a menu entry: a branch opens, a final entry asks for its ticket at once."""
        if self.state.screen != "menu" or self.state.busy:
            return None
        entry = next((e for e in self.entries() if e["id"] == entry_id), None)
        if entry is None:
            return None
        if entry.get("service"):
            return self._issue(entry["service"])
        self.state.path = (*self.state.path, entry_id)
        self.state.notice = None
        self._changed()
        return None

    def unsure(self) -> IssueRequest | None:
        """"I don't know": a ticket for the welcoming and sorting office."""
        if self.state.screen != "menu":
            return None
        return self._issue(self.config.unsure_service)

    def issue_for(self, service: str) -> IssueRequest | None:
        """A ticket straight from the information point's page of a service."""
        if self.state.screen not in ("info", "info_item") or not self.offers_tickets:
            return None
        return self._issue(service)

    def toggle_priority(self, category: str) -> None:
        if category not in self.config.priority_categories:
            raise ValueError(f"{category!r} is not a priority category of this site")
        self.state.priority = None if self.state.priority == category else category
        self._changed()

    def toggle_large_text(self) -> None:
        self.state.large_text = not self.state.large_text
        self._changed()

    def toggle_low_layout(self) -> None:
        self.state.low_layout = not self.state.low_layout
        self._changed()

    def back(self) -> None:
        s = self.state
        if s.busy:
            return
        s.notice = None
        if s.screen == "scan":
            self.close_scan()
            return
        if s.screen == "survey_question":
            s.survey.previous()
            s.screen = "survey_question" if s.survey.step == "question" else "survey"
            self._changed()
            return
        if s.screen == "menu" and s.path:
            s.path = s.path[:-1]
        elif s.screen == "info_item":
            s.screen, s.info_item = "info", None
        elif s.screen == "survey" and self.offers_information and not self.offers_tickets:
            s.screen, s.survey = "info", None
        elif s.screen in ("info", "survey") and self.offers_tickets:
            s.screen = "menu" if self.tickets_available else "unavailable"
        else:
            s.screen, s.path = "start", ()
        self._changed()

    def start_again(self) -> None:
        """The visitor asks to start over: language, matter and priority go; accessibility stays."""
        keep = (self.state.large_text, self.state.low_layout)
        self.state = VisitorState(large_text=keep[0], low_layout=keep[1])
        self._changed()

    def open_tickets(self) -> None:
        if not self.offers_tickets or self.state.busy:
            return
        self.state.screen = "menu" if self.tickets_available else "unavailable"
        self.state.path, self.state.info_item, self.state.notice = (), None, None
        self._changed()

    def open_info(self) -> None:
        if not self.offers_information or self.state.busy:
            return
        self.state.screen, self.state.info_item = "info", None
        self._changed()

    def open_info_item(self, kind: str, item_id: str) -> None:
        if kind not in ("service", "topic"):
            raise ValueError(f"unknown information item kind {kind!r}")
        self.state.screen, self.state.info_item = "info_item", (kind, item_id)
        self._changed()

    def open_survey(self) -> None:
        if self.offers_survey and not self.state.busy:
            self.state.screen, self.state.survey = "survey", SurveyState()
            self._changed()

    def survey_key(self, key: str) -> None:
        """A key of the survey's keypad; the sixth digit of the PIN opens the first question."""
        survey = self.state.survey
        if self.state.screen == "survey" and survey is not None and key == "done" \
                and survey.step in ("done", "refused"):
            self.start_again()
            return
        if self.state.screen == "survey" and survey is not None:
            survey.key(key, self.config.prefixes)
            if survey.step == "question":
                self.state.screen = "survey_question"
            self._changed()

    def survey_scanned(self, ref: str) -> bool:
        """A ticket scanned while the survey asks for it (True: the survey took it)."""
        survey = self.state.survey
        if self.state.screen != "survey" or survey is None or survey.step != "identify":
            return False
        survey.scanned(ref)
        self.touched()  # a scan is the visitor at the kiosk as much as a touch
        self.state.screen = "survey_question"
        self._changed()
        return True

    def survey_answer(self, value: int | None) -> AnswerRequest | None:
        """An answer (1 the best .. 4; None: skipped); after the last question, the request to send."""
        survey = self.state.survey
        if self.state.screen != "survey_question" or survey is None:
            return None
        request = survey.answer(value)
        if survey.step != "question":
            self.state.screen = "survey"
            self._ticket_until = self.clock() + self.config.ticket_screen_s
        self._changed()
        return request

    def survey_answered(self, ok: bool, reason: str | None = None) -> None:
        """The hub's answer: thanks, or why not (``already_answered``, ``not_served``...)."""
        survey = self.state.survey
        if survey is not None and survey.step == "sending":
            survey.answered(ok, reason)
            self._ticket_until = self.clock() + self.config.ticket_screen_s
            self._changed()

    # ------------------------------------------------------------ scanner
    def scanned(self, result: dict, language: str | None = None) -> None:
        """A scan was read (``{}`` while the hub is asked about a ticket, then its answer).

        A ticket's status is shown in the language it was issued in when the
        visitor has not chosen one; the scan screen returns where it came from."""
        s = self.state
        if s.busy:
            return
        if s.screen != "scan":
            s.before_scan = s.screen if s.screen not in ("ticket",) else "start"
        if s.language is None and language in self.config.languages:
            s.language = language
        s.screen, s.scan, s.language_picker = "scan", result, False
        self._ticket_until = self.clock() + self.config.ticket_screen_s
        self._changed()

    def close_scan(self) -> None:
        if self.state.screen == "scan":
            back = self.state.before_scan
            self.state.screen, self.state.scan = back, None
            if back == "start":
                self.state.language, self.state.path = None, ()
            self._changed()

    # ------------------------------------------------------------ the hub and the printer
    def ticket_issued(self, ticket: dict) -> None:
        s = self.state
        s.busy, s.ticket, s.screen, s.notice = False, ticket, "ticket", None
        s.language_picker = False
        s.print_state = "printing"
        self._ticket_until = self.clock() + self.config.ticket_screen_s
        self._changed()

    def ticket_printed(self, ok: bool, fault: str = "") -> None:
        """The printer is done with the ticket on screen; on a fault the ticket stays up longer."""
        if self.state.ticket is None:
            return
        self.state.print_state = "printed" if ok else "fault"
        if not ok:
            self._ticket_until = self.clock() + 2 * self.config.ticket_screen_s
        self._changed()

    def no_printer(self) -> None:
        if self.state.ticket is not None:
            self.state.print_state = "none"
            self._changed()

    def issue_refused(self, reason: str) -> None:
        """The hub answered no (e.g. the centre is closed): say so on the menu."""
        self.state.busy = False
        self.state.notice = reason
        self._changed()

    def issue_failed(self, reason: str) -> None:
        """The hub did not answer: tickets are unavailable until it does."""
        self.state.busy = False
        self.set_tickets_available(False, reason)

    def set_service_status(self, service: str, status: str | None) -> None:
        """A service's retained state said its status: a paused or closed one is shown as not
        available and takes no tap; anything else (open, a status this firmware does not know, a
        cleared state) makes it available, and the hub still decides at the issue."""
        before = self.service_status.get(service)
        if status in ("paused", "closed"):
            self.service_status[service] = status
        else:
            self.service_status.pop(service, None)
        if self.service_status.get(service) != before:
            self._changed()

    def service_unavailable(self, service: str | None) -> str | None:
        """"paused" or "closed" when no ticket of ``service`` may be taken now, else None."""
        return self.service_status.get(service) if service else None

    def entry_unavailable(self, entry: dict) -> str | None:
        """Whether a menu entry leads to no ticket now: its service paused or closed, or, for a
        branch, every service under it ("closed" if any of them is closed for the day, else "paused")."""
        services = list(_services_under(entry))
        found = [self.service_status.get(s) for s in services]
        if not services or None in found:
            return None
        return "closed" if "closed" in found else "paused"

    def set_tickets_available(self, available: bool, reason: str = "") -> None:
        changed = available != self.tickets_available or reason != self.unavailable_reason
        self.tickets_available, self.unavailable_reason = available, ("" if available else reason)
        s = self.state
        if not available and s.screen == "menu" and not s.busy:
            s.screen, changed = "unavailable", True
        elif available and s.screen == "unavailable":
            s.screen, s.path, changed = "menu", (), True
        if changed:
            self._changed()

    # ------------------------------------------------------------ time
    def touched(self) -> None:
        self._last_touch = self.clock()

    def tick(self) -> None:
        """Apply the timeouts: the ticket screen goes back to the start, an idle kiosk resets."""
        now = self.clock()
        s = self.state
        if s.busy:
            return
        ended = s.survey is not None and s.survey.step in ("done", "refused")
        if (s.screen in ("ticket", "scan") or ended) and now >= self._ticket_until:
            self.reset()
        elif s != VisitorState() and now - self._last_touch >= self.config.idle_timeout_s:
            self.reset()

    def reset(self) -> None:
        """The next visitor: language, matter, priority and accessibility modes all go."""
        self.state = VisitorState()
        self._changed()

    # ------------------------------------------------------------ inside
    def _first_screen(self) -> str:
        if self.offers_tickets:
            return "menu" if self.tickets_available else "unavailable"
        return "info"

    def _issue(self, service: str) -> IssueRequest | None:
        s = self.state
        if s.busy:
            return None
        if not self.tickets_available:
            s.screen = "unavailable"
            self._changed()
            return None
        status = self.service_unavailable(service)
        if status is not None:  # its card takes no tap; "I don't know" or an information page may still ask
            s.notice = f"service_{status}"
            self._changed()
            return None
        s.busy, s.notice = True, None
        priority = s.priority is not None and service in self.config.priority_services
        self._changed()
        return IssueRequest(service, self.language, priority)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)


def _services_under(entry: dict):
    """The services a menu entry leads to: its own, or those of every entry under it."""
    if entry.get("service"):
        yield entry["service"]
    for child in entry.get("children") or ():
        yield from _services_under(child)
