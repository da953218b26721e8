"""What each kiosk screen says, in plain Python: no Kivy, no widgets.

A view function takes the visitor's state (``KioskFlow``), the site's public
config (the retained ``config/site`` payload, or None before the first one)
and, for the information point, the content packs, and returns a frozen
dataclass of strings and flags in the visitor's language.  The screens
(kiosk/screens.py) only assign those to their widgets, and compare a view
with the last one they drew to know whether anything changed.  So every
message, fallback and icon is tested here without a window
(tests/test_kiosk_views.py), as display.board does for the wall screen.

Texts: the kiosk's own words through the gettext catalogs (kiosk/i18n.py),
site texts through :func:`typeset.i18n.pick` (the visitor's language,
English, the site's default language, any).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from contract.payloads import wait_range
from typeset.i18n import fallback_languages, pick
from typeset.scripts import is_rtl_language

from .flow import KioskFlow
from .i18n import _, language_name, ntr, tr
from .survey import FACES, QUESTIONS

#: the SOS Immigrant Line when the site file names none
DEFAULT_HELPLINE = "808 257 257"

#: what the menu says when the hub refused a ticket (reason code -> message); None: any other reason
NOTICES = {
    "site_closed": _("The centre is closed now. Please come back during opening hours."),
    "not_priority_eligible": _("This office has no priority tickets. Please take a normal ticket."),
    # issue 17: a supervisor paused or closed the service (its card is shown as not available)
    "service_paused": _("This office gives no tickets for now. Please try again later. If you have a "
                        "ticket, you will still be called."),
    "service_closed": _("This office gives no more tickets today. If you have a ticket, you will still be "
                        "called."),
    None: _("Something went wrong. Please ask at the welcoming desk."),
}

#: what the scan screen says when a scan is not a ticket it can show (hardware.scanner reasons and ours)
SCAN_MESSAGES = {
    "empty": _("Nothing was read. Please scan again."),
    "unreadable": _("The code could not be read. Please scan it again, slowly."),
    "other_site": _("This ticket is from another centre. Please take a ticket here."),
    "damaged_ticket": _("This ticket's code is damaged. Please ask at the reception desk."),
    "appointment_typo": _("This appointment code is not valid. Please check it or ask at the reception desk."),
    "not_ours": _("This is not a ticket or an appointment code of this centre."),
    "appointment": _("Please show your appointment at the welcoming desk: they will check you in."),
    "unknown_ticket": _("This ticket is not known here. Please ask at the welcoming desk."),
    "unavailable": _("Your ticket cannot be checked right now. Please watch the screens or ask at the "
                     "welcoming desk."),
    "refused": _("Something went wrong. Please ask at the welcoming desk."),
}

#: what the ticket screen says of a checked-in appointment, by ``check_in``'s ``appointment.timing``
#: (docs/protocol.md, "Who is called next"); no timing (an appointment without a time): the usual line
APPOINTMENT_NOTES = {
    # an idle counter calls an early appointment before its slot (hub.queues, docs/decisions.md)
    "early": _("Your appointment is at %(time)s. You will be called then, before visitors "
               "without an appointment, or earlier if a counter is free."),
    "due": _("Your appointment is now. You will be called soon, before visitors without an appointment."),
    "late": _("You came after your appointment time (%(time)s). You will be called in order of arrival, "
              "like visitors without an appointment."),
}

#: the short line a paused or closed service's card shows instead of its hint (issue 17)
UNAVAILABLE_HINTS = {
    "paused": _("No tickets for now"),
    "closed": _("Closed for today"),
}

#: the ticket screen's note on the printer, by ``VisitorState.print_state``
PRINT_NOTES = {
    "fault": _("The printer is not working. Please take a photo of your number and of this code."),
    "none": _("Please take a photo of your number and of this code."),
    "printing": _("Printing your ticket…"),
    "printed": _("Take your ticket below the screen."),
}

#: the four legal priority categories, as the pictograms' captions
PRIORITY_LABELS = {"pregnancy": _("Pregnant"), "infant": _("With a baby"), "disability": _("Disability"),
                   "elderly": _("Older person")}

#: pictograms of the content pack's topics (kiosk/icons.py names)
TOPIC_ICONS = {"interpreters": "translate", "rights": "scale_balance", "emergency": "phone_alert",
               "ticket": "ticket_confirmation"}


@dataclass(frozen=True)
class Card:
    """Anything a visitor taps: what it means (``action``, ``value``) and what it shows."""

    action: str
    value: str = ""
    icon: str = ""
    label: str = ""
    hint: str = ""
    #: "card", "primary", "quiet" or "off" (not available: shown, takes no tap; see kiosk/kv/widgets.kv)
    kind: str = "card"
    selected: bool = False
    #: the label's language when it is not the visitor's (a language's own name, a content pack's topic)
    language: str = ""
    #: a card with a line for its hint, shown when the grid has room for it (matters, offices, "I don't know")
    hint_line: bool = False


@dataclass(frozen=True)
class InfoRow:
    """One line of an information page: a pictogram (or none) and a text."""

    icon: str
    text: str
    bold: bool = False
    language: str = ""


@dataclass(frozen=True)
class StartView:
    languages: tuple[Card, ...]
    #: the longest language name: every name gets the same size
    fit_chars: int
    #: "Touch your language" in the site's default language, and in English ("" when the same)
    choose: str
    choose_en: str
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class MenuView:
    title: str
    #: why the last ticket was refused, "" without one
    notice: str
    #: the grid's cards (matters or offices; the priority pictograms while ``choosing_priority``)
    cards: tuple[Card, ...]
    #: the cards that end every page ("I don't know")
    tail: tuple[Card, ...]
    #: the priority pictograms' row (empty in the compact layout: they open in the grid)
    chips: tuple[Card, ...]
    choosing_priority: bool
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class TicketView:
    code: str
    service: str
    #: the service in the site's default language, "" when the visitor reads that already
    service_local: str
    priority: str
    ahead: str
    wait: str
    where: str
    calls: str
    qr: str
    qr_caption: str
    printed_note: str
    #: the ticket may not be on paper: the note is large and in the warning colour
    fault: bool
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class ScanView:
    code: str
    service: str
    message: str
    ahead: str
    wait: str
    where: str
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class UnavailableView:
    title: str
    where: str
    place: str
    helpline: str
    recover: str
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class InfoView:
    title: str
    intro: str
    helpline: str
    #: the content pack's version ("" without a pack)
    version: str
    items: tuple[Card, ...]
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class InfoItemView:
    title: str
    rows: tuple[InfoRow, ...]
    #: "Take a ticket for this service", or None when tickets cannot be taken here now
    issue: Card | None
    nav: tuple[Card, ...]


# ------------------------------------------------------------------ site lookups
def service_of(site: Mapping | None, service_id: str) -> dict:
    """A service of the site config by id ({} when unknown)."""
    return next((s for s in (site or {}).get("services", ()) if s.get("id") == service_id), {})


def counter_of(site: Mapping | None, counter_id: str | None) -> dict:
    return next((c for c in (site or {}).get("counters", ()) if c.get("id") == counter_id), {})


def helpline_of(site: Mapping | None) -> str:
    return ((site or {}).get("kiosk") or {}).get("helpline") or DEFAULT_HELPLINE


def content_for(content: Mapping[str, dict], language: str, default: str) -> dict | None:
    """The content pack to show: the visitor's language, else English, else the site's default, else any."""
    for code in fallback_languages(language, default):
        if code in content:
            return content[code]
    return next(iter(content.values()), None)


def back_icon(language: str) -> str:
    """The back arrow points to where reading starts: right for right-to-left languages."""
    return "back_rtl" if is_rtl_language(language) else "back"


# ------------------------------------------------------------------ the nav bar
def nav(flow: KioskFlow, screen: str) -> tuple[Card, ...]:
    """The nav bar's buttons on ``screen``; every screen ends with the two accessibility toggles."""
    lang, state = flow.language, flow.state

    def common(back: bool = True) -> list[Card]:
        items = [Card("back", icon=back_icon(lang), label=tr(lang, "Back"))] if back else []
        return items + [Card("home", icon="home_screen", label=tr(lang, "Start again")),
                        Card("language", icon="language", label=tr(lang, "Language"))]

    language = Card("language", icon="language", label=tr(lang, "Language"))
    information = [Card("info", icon="information", label=tr(lang, "Information"))] \
        if flow.offers_information else []
    survey = [Card("survey", icon="survey", label=tr(lang, "Your opinion"))] if flow.offers_survey else []
    items = {
        "start": [],
        "menu": common() + information + survey,
        "unavailable": common(back=False) + information + survey,
        "ticket": [Card("home", icon="home_screen", label=tr(lang, "Done")), language],
        "scan": [Card("scan_done", icon=back_icon(lang), label=tr(lang, "Done")), language],
        "info": common() + ([Card("tickets", icon="tickets", label=tr(lang, "Take a ticket"))]
                            if flow.offers_tickets else []) + survey,
        "info_item": common() + survey,
        "survey": common(),
        "survey_question": common(),
    }[screen]
    return tuple(items) + (
        Card("large_text", icon="large_text", label=tr(lang, "Large text"), selected=state.large_text),
        Card("low_layout", icon="low_layout", label=tr(lang, "Lower buttons"), selected=state.low_layout))


def turn_card(kind: str, language: str) -> Card:
    """The "Previous" ("prev") or "More" ("next") card of a paged grid; its arrow follows the reading."""
    forward = kind == "next"
    rtl = is_rtl_language(language)
    return Card(kind, icon="back_rtl" if forward != rtl else "back", kind="quiet",
                label=tr(language, "More") if forward else tr(language, "Previous"))


# ------------------------------------------------------------------ the screens
def language_cards(languages, chosen: str | None = None) -> tuple[Card, ...]:
    """Every language as its own name, in its own script (no flags)."""
    return tuple(Card("language", value=code, label=language_name(code), language=code, selected=code == chosen)
                 for code in languages)


def start_view(flow: KioskFlow) -> StartView:
    default = flow.config.default_language
    choose = tr(default, "Touch your language")
    english = tr("en", "Touch your language")
    cards = language_cards(flow.config.languages)
    return StartView(languages=cards, fit_chars=max((len(c.label) for c in cards), default=4),
                     choose=choose, choose_en=english if english != choose else "", nav=nav(flow, "start"))


def menu_view(flow: KioskFlow, compact: bool = False, choosing_priority: bool = False) -> MenuView:
    """Matters, then offices; the priority pictograms in their row or, ``compact``, in the grid."""
    lang, default, state = flow.language, flow.config.default_language, flow.state
    categories = flow.config.priority_categories
    pictograms = tuple(Card("priority", value=c, icon=c, label=tr(lang, PRIORITY_LABELS[c]),
                            selected=state.priority == c) for c in categories)
    choosing = compact and choosing_priority
    if choosing:  # the four pictograms and "Back" on one page
        cards = pictograms
        tail: tuple[Card, ...] = (Card("priority_done", icon=back_icon(lang), label=tr(lang, "Back"),
                                       kind="quiet"),)
    else:
        cards = tuple(_unless_unavailable(flow, flow.entry_unavailable(e),
                                          Card("entry", value=e["id"], icon=e.get("icon", ""),
                                               label=pick(e["label"], lang, default),
                                               hint=pick(e.get("hint"), lang, default), hint_line=True))
                      for e in flow.entries())
        tail = (_unless_unavailable(flow, flow.service_unavailable(flow.config.unsure_service),
                                    Card("unsure", icon="unsure", kind="primary", label=tr(lang, "I don't know"),
                                         hint=tr(lang, "We will help you find the right office"), hint_line=True)),)
        if compact:
            tail = (Card("priority_open", icon="priority", label=tr(lang, "Priority service"),
                         selected=state.priority is not None),) + tail
    branch = flow.current_entry()
    notice = tr(lang, NOTICES.get(state.notice, NOTICES[None])) if state.notice else ""
    return MenuView(title=pick(branch["label"], lang, default) if branch else tr(lang, "What do you need?"),
                    notice=notice, cards=cards, tail=tail, chips=() if compact else pictograms,
                    choosing_priority=choosing, nav=nav(flow, "menu"))


def _unless_unavailable(flow: KioskFlow, status: str | None, card: Card) -> Card:
    """A menu card as it is, or, when its service is paused or closed (``status``), shown as not
    available: the quiet "off" look, the short reason instead of its hint, no tap (issue 17)."""
    if status is None:
        return card
    return Card(card.action, card.value, card.icon, card.label, tr(flow.language, UNAVAILABLE_HINTS[status]),
                kind="off", language=card.language, hint_line=True)


def waiting_lines(ticket: Mapping, service: Mapping, lang: str, default: str) -> tuple[str, str, str]:
    """People ahead, the estimated wait and where to wait, as the visitor reads them."""
    ahead = ticket.get("people_ahead")
    if ahead is None:
        people = ""
    elif ahead == 0:
        people = tr(lang, "No one is ahead of you")
    else:
        people = ntr(lang, "%(n)d person ahead of you", "%(n)d people ahead of you", ahead)
    area = pick(service.get("waiting_area"), lang, default)
    where = tr(lang, "Please wait in: %(place)s", place=area) if area else ""
    return people, wait_text(ticket, lang) if ahead else "", where


def wait_text(ticket: Mapping, lang: str) -> str:
    """The estimated wait as a visitor reads it: "About 20–35 minutes"; "Up to 35 minutes" when the
    range starts at 0 (the turn may come at any moment); the hub's one number when it sends no range
    ("About 25 minutes"); "" without any estimate.  The noun agrees with the last number said."""
    span = wait_range(ticket)
    if span and span[0] == 0:
        return ntr(lang, "Up to %(n)d minute", "Up to %(n)d minutes", span[1])
    if span:
        return ntr(lang, "About %(low)d–%(n)d minute", "About %(low)d–%(n)d minutes", span[1], low=span[0])
    wait = ticket.get("estimated_wait_min")
    return ntr(lang, "About %(n)d minute", "About %(n)d minutes", wait) if wait is not None else ""


def ticket_view(flow: KioskFlow, site: Mapping | None) -> TicketView:
    """The code very large, the service in the visitor's language and the site's, the wait, the QR."""
    lang, default, state = flow.language, flow.config.default_language, flow.state
    ticket = state.ticket or {}
    service = service_of(site, ticket.get("service", ""))
    name = pick(service.get("name"), lang, default) or ticket.get("service", "")
    local = pick(service.get("name"), default, default)
    ahead, wait, where = waiting_lines(ticket, service, lang, default)
    if (ticket.get("appointment") or {}).get("timing") in ("early", "due"):
        ahead = wait = ""  # called at its slot, not in the walk-ins' order the estimate counts
    return TicketView(
        code=ticket.get("code", ""), service=name, service_local=local if local != name else "",
        priority=tr(lang, "Priority ticket") if ticket.get("priority") else "",
        ahead=ahead, wait=wait, where=where,
        calls=appointment_note(ticket.get("appointment") or {}, lang)
        or tr(lang, "Watch the screens: your number will be called."),
        qr=ticket.get("qr") or "", qr_caption=tr(lang, "Take a photo of this code to keep your number."),
        printed_note=tr(lang, PRINT_NOTES.get(state.print_state, PRINT_NOTES["printed"])),
        fault=state.print_state in ("fault", "none"), nav=nav(flow, "ticket"))


def appointment_note(appointment: Mapping, lang: str) -> str:
    """When a checked-in appointment is called, as the visitor reads it ("" for a walk-in's ticket)."""
    note = APPOINTMENT_NOTES.get(appointment.get("timing"))
    return tr(lang, note, time=appointment.get("time") or "") if note else ""


def scan_view(flow: KioskFlow, site: Mapping | None) -> ScanView:
    """Where a scanned ticket stands (people ahead, or the counter it is called to), or why a scan is not one."""
    lang, default = flow.language, flow.config.default_language
    scan = flow.state.scan or {}
    ticket = scan.get("ticket") or {}
    service = service_of(site, ticket.get("service", ""))
    lines = ("", "", "")
    if not scan:
        message = tr(lang, "Checking your ticket…")
    elif "message" in scan:
        message = tr(lang, SCAN_MESSAGES.get(scan["message"], SCAN_MESSAGES["refused"]))
    elif ticket.get("status") == "waiting":
        message, lines = "", waiting_lines(ticket, service, lang, default)
    elif ticket.get("status") == "called":
        counter = counter_of(site, ticket.get("counter"))
        name = pick(counter.get("name"), lang, default) or str(ticket.get("counter_number") or "")
        message = tr(lang, "Your number has been called. Please go to: %(counter)s", counter=name)
    else:
        message = tr(lang, "This ticket is no longer waiting. Please take a new ticket or ask at the "
                           "welcoming desk.")
    return ScanView(code=ticket.get("code", ""),
                    service=pick(service.get("name"), lang, default) if ticket else "",
                    message=message, ahead=lines[0], wait=lines[1], where=lines[2], nav=nav(flow, "scan"))


def unavailable_view(flow: KioskFlow, site: Mapping | None) -> UnavailableView:
    """Tickets cannot be issued now: say so plainly and where to go instead (the welcoming office)."""
    lang, default = flow.language, flow.config.default_language
    unsure = service_of(site, flow.config.unsure_service)
    office = pick(unsure.get("office"), lang, default) or tr(lang, "Welcoming desk")
    return UnavailableView(
        title=tr(lang, "Tickets are not available right now."),
        where=tr(lang, "Please go to: %(office)s. Or ask a mediator: they will help you.", office=office),
        place=pick(unsure.get("waiting_area"), lang, default),
        helpline=tr(lang, "SOS Immigrant Line: %(number)s", number=helpline_of(site)),
        recover=tr(lang, "This screen will work again by itself."), nav=nav(flow, "unavailable"))


def service_icon(flow: KioskFlow, service_id: str) -> str:
    """The icon of the menu entry that issues this service's tickets (else a neutral one)."""
    def walk(entries):
        for entry in entries:
            if entry.get("service") == service_id:
                return entry.get("icon")
            found = walk(entry.get("children", []))
            if found:
                return found
        return None
    return walk(flow.config.menu) or ("unsure" if service_id == flow.config.unsure_service else "information")


def info_view(flow: KioskFlow, site: Mapping | None, content: Mapping[str, dict]) -> InfoView:
    """The information point: every service and topic of the content pack, the helpline, the pack's version."""
    lang, default = flow.language, flow.config.default_language
    payload = content_for(content, lang, default)
    title = tr(lang, "Information")
    if not payload:
        return InfoView(title=title, intro=tr(lang, "Information is not available yet. Please ask at the "
                                                    "welcoming desk."),
                        helpline=tr(lang, "SOS Immigrant Line: %(number)s", number=helpline_of(site)),
                        version="", items=(), nav=nav(flow, "info"))
    pack = payload["pack"]
    helpline = pack["helpline"]
    numbers = helpline["number"] + (f" · {helpline['mobile']}" if helpline.get("mobile") else "")
    items = tuple(Card("service", value=info["service"], icon=service_icon(flow, info["service"]),
                       label=pick(service_of(site, info["service"]).get("name"), lang, default) or info["service"])
                  for info in pack["services"])
    items += tuple(Card("topic", value=topic["id"], icon=TOPIC_ICONS.get(topic["id"], "information"),
                        label=topic["title"], language=payload["language"])
                   for topic in pack.get("topics", []))
    return InfoView(title=title, intro=pack["intro"], helpline=f"{helpline['name']}: {numbers}",
                    version=tr(lang, "Information version %(version)s", version=payload["version"]),
                    items=items, nav=nav(flow, "info"))


def info_item_view(flow: KioskFlow, site: Mapping | None, content: Mapping[str, dict]) -> InfoItemView:
    """One service (what it does, where, when, what to bring) with a button for its ticket, or one topic."""
    lang, default = flow.language, flow.config.default_language
    payload = content_for(content, lang, default) or {"pack": {"services": [], "topics": []}}
    pack, content_lang = payload["pack"], payload.get("language", lang)
    kind, item_id = flow.state.info_item or ("", "")
    title, rows, issue = "", [], None
    if kind == "service":
        title = pick(service_of(site, item_id).get("name"), lang, default) or item_id
        info = next((s for s in pack["services"] if s["service"] == item_id), None)
        if info is not None:
            rows = [InfoRow("what", info["what"], language=content_lang),
                    InfoRow("where", info["where"], bold=True, language=content_lang),
                    InfoRow("hours", info["hours"], language=content_lang)]
            if info.get("documents"):
                rows.append(InfoRow("bring", tr(lang, "What to bring:"), bold=True, language=lang))
                rows += [InfoRow("", "• " + doc, language=content_lang) for doc in info["documents"]]
            status = flow.service_unavailable(item_id)
            if status is not None and flow.offers_tickets:
                rows.append(InfoRow("unavailable", tr(lang, UNAVAILABLE_HINTS[status]), bold=True, language=lang))
            elif flow.offers_tickets and flow.tickets_available:
                issue = Card("issue", value=item_id, icon="tickets", kind="primary",
                             label=tr(lang, "Take a ticket for this service"))
    elif kind == "topic":
        topic = next((x for x in pack.get("topics", []) if x["id"] == item_id), None)
        if topic:
            title = topic["title"]
            rows = [InfoRow(TOPIC_ICONS.get(item_id, "information"), topic["text"], language=content_lang)]
    return InfoItemView(title=title, rows=tuple(rows), issue=issue, nav=nav(flow, "info_item"))


# ------------------------------------------------------------------ the survey (issue 14)
#: what the survey says when the hub did not take the answers (reason code -> message); None: any other
SURVEY_REFUSALS = {
    "already_answered": _("The survey of this ticket has already been answered. Thank you!"),
    "not_served": _("The survey is for visitors who were served today. Please answer after your visit."),
    "unknown_ticket": _("This number and PIN are not those of a ticket of today. Please check them on your "
                        "ticket."),
    "unavailable": _("Your answers cannot be sent right now. Please try again later."),
    None: _("Something went wrong. Please ask at the welcoming desk."),
}


@dataclass(frozen=True)
class SurveyView:
    title: str
    #: what to do now, or the survey's end (thanks, or why not)
    prompt: str
    code_label: str
    code: str
    pin_label: str
    #: the PIN as dots and dashes: typed digits are not shown to whoever stands behind
    pin: str
    #: which field the keypad types into ("code", "pin"), "" when the keypad is gone
    field: str
    keys: tuple[Card, ...]
    nav: tuple[Card, ...]


@dataclass(frozen=True)
class SurveyQuestionView:
    progress: str
    question: str
    #: the four points, the best first, each with its pictogram; then "Skip"
    answers: tuple[Card, ...]
    nav: tuple[Card, ...]


def survey_view(flow: KioskFlow, scanner: bool = False) -> SurveyView:
    """Naming the ticket (a scan, or its number and survey PIN on a keypad), then the end of the survey."""
    lang = flow.language
    survey = flow.state.survey
    step = survey.step if survey else "identify"
    keys: tuple[Card, ...] = ()
    if step == "identify":
        prompt = tr(lang, "Scan your ticket, or type its number and the survey PIN printed on it.") if scanner \
            else tr(lang, "Type the number and the survey PIN printed on your ticket.")
        digits = tuple(Card("key", value=d, label=d, language="en") for d in "1234567890")
        if survey.field == "code":
            keys = tuple(Card("key", value=p, label=p, language="en") for p in flow.config.prefixes) + digits \
                + (Card("key", value="erase", icon="erase", label=tr(lang, "Erase"), kind="quiet"),
                   Card("key", value="next", icon="back" if is_rtl_language(lang) else "back_rtl",
                        label=tr(lang, "Next"), kind="primary" if survey.can_go_on else "quiet"))
        else:
            keys = digits + (Card("key", value="erase", icon="erase", label=tr(lang, "Erase"), kind="quiet"),)
    elif step == "sending":
        prompt = tr(lang, "Sending your answers…")
    elif step == "done":
        prompt = tr(lang, "Thank you for your answers!")
    else:
        prompt = tr(lang, SURVEY_REFUSALS.get(survey.reason, SURVEY_REFUSALS[None]))
    if step in ("done", "refused"):  # the end: one way out (the idle time-out also takes it), or a retry
        done = Card("key", value="done", icon="home_screen", label=tr(lang, "Done"), kind="primary")
        again = Card("key", value="again", icon=back_icon(lang), label=tr(lang, "Back"), kind="quiet")
        keys = (again, done) if step == "refused" and survey.reason == "unknown_ticket" else (done,)
    return SurveyView(title=tr(lang, "Your opinion"), prompt=prompt,
                      code_label=tr(lang, "Ticket number") if step == "identify" else "",
                      code=survey.code if survey and step == "identify" else "",
                      pin_label=tr(lang, "Survey PIN") if step == "identify" else "",
                      pin=("●" * len(survey.pin) + "–" * (6 - len(survey.pin))) if survey and step == "identify"
                      else "", field=survey.field if survey and step == "identify" else "",
                      keys=keys, nav=nav(flow, "survey"))


def survey_question_view(flow: KioskFlow) -> SurveyQuestionView:
    """One question of the seed's survey on its four-point scale, a pictogram each, no midpoint."""
    lang = flow.language
    survey = flow.state.survey
    question, scale = QUESTIONS[survey.question]
    answers = tuple(Card("answer", value=str(point), icon=face, label=tr(lang, words))
                    for point, (face, words) in enumerate(zip(FACES, scale), start=1))
    answers += (Card("answer", value="skip", icon="skip", label=tr(lang, "Skip this question"), kind="quiet"),)
    return SurveyQuestionView(
        progress=tr(lang, "Question %(n)d of %(total)d", n=survey.index + 1, total=len(QUESTIONS)),
        question=tr(lang, question), answers=answers, nav=nav(flow, "survey_question"))
