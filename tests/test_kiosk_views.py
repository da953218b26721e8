"""What every kiosk screen says, without a window: kiosk/views.py from the flow, the site and the language.

The CNAI Lisboa site file and its content pack, the kiosk's real catalogs; the
Kivy screens only assign these views (tests/test_kiosk_ui.py drives them).
"""

from __future__ import annotations

import dataclasses

import pytest

from kiosk import views
from hub.clock import FakeClock
from kiosk.flow import KioskConfig, KioskFlow
from kiosk.i18n import KIOSK_LANGUAGES, language_name, ntr, tr
from siteconf import EXAMPLE_SITE, load_site
from siteconf.content import load_content
from siteconf.slices import device_slice, public_config
from typeset.i18n import pick
from typeset.bidi_lines import visual_runs
from typeset.scripts import split_runs

SITE = load_site(EXAMPLE_SITE)
CONFIG = public_config(SITE)
CONTENT = {language: pack.payload() for language, pack in load_content(SITE, EXAMPLE_SITE).packs.items()}
#: languages in four scripts and both directions
SEVERAL = ["pt", "en", "uk", "ar", "hi"]
#: languages whose script is not Latin: a translated text never equals its English source
NOT_LATIN = ["uk", "ru", "ar", "hi", "ne", "bn"]
TOGGLES = ["large_text", "low_layout"]


def flow_for(language: str | None = None, device: str = "kiosk-01", site: dict = CONFIG) -> KioskFlow:
    flow = KioskFlow(KioskConfig.from_payloads(site, device_slice(SITE, device)["device"]), FakeClock(1000.0))
    if language:
        flow.choose_language(language)
    return flow


def service(service_id: str) -> dict:
    return next(s for s in CONFIG["services"] if s["id"] == service_id)


def ticket(service_id: str = "immigration", **fields) -> dict:
    return {"code": "M023", "service": service_id, "people_ahead": 3, "estimated_wait_min": 25,
            "qr": "OSS1:cnai-lisboa:2026-05-12:M023:abcdefghijklmnopqrstuvwxyz012345", "priority": False,
            "language": "pt", **fields}


def actions(nav) -> list[str]:
    return [item.action for item in nav]


def strings(view) -> list[str]:
    """Every text of a view, nested cards and rows included."""
    out = []
    for field in dataclasses.fields(view):
        value = getattr(view, field.name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, str) and field.name not in ("code", "qr"):
                out.append(item)
            elif dataclasses.is_dataclass(item):
                out += [getattr(item, f) for f in ("label", "hint", "text") if getattr(item, f, "")]
    return [s for s in out if s]


# ------------------------------------------------------------------ start
def test_the_start_screen_names_every_language_in_itself_and_asks_in_the_sites_language_and_english():
    view = views.start_view(flow_for())
    assert [(c.value, c.label, c.language) for c in view.languages] == \
        [(code, language_name(code), code) for code in SITE.site.languages]
    assert [c.label for c in view.languages][6] == "العربية"
    assert view.fit_chars == max(len(language_name(code)) for code in SITE.site.languages)
    assert view.choose == tr("pt", "Touch your language") != view.choose_en == "Touch your language"
    assert actions(view.nav) == TOGGLES
    assert [c.label for c in view.nav] == [tr("pt", "Large text"), tr("pt", "Lower buttons")]


def test_on_an_english_site_the_start_screen_asks_once():
    site = {**CONFIG, "site": {**CONFIG["site"], "default_language": "en"}}
    view = views.start_view(flow_for(site=site))
    assert view.choose == "Touch your language" and view.choose_en == ""


def test_the_language_picker_marks_the_visitors_language():
    cards = views.language_cards(SITE.site.languages, "uk")
    assert [c.value for c in cards if c.selected] == ["uk"]


# ------------------------------------------------------------------ menu
@pytest.mark.parametrize("lang", SEVERAL)
def test_the_menu_shows_the_matters_in_the_visitors_language_and_i_dont_know_on_every_page(lang):
    flow = flow_for(lang)
    view = views.menu_view(flow)
    assert view.title == tr(lang, "What do you need?") and view.notice == ""
    assert [(c.action, c.value, c.icon, c.label, c.hint) for c in view.cards] == [
        ("entry", e["id"], e["icon"], pick(e["label"], lang, "pt"), pick(e["hint"], lang, "pt"))
        for e in CONFIG["kiosk"]["menu"]]
    assert all(c.hint_line for c in view.cards)
    (unsure,) = view.tail
    assert (unsure.action, unsure.kind, unsure.label, unsure.hint) == (
        "unsure", "primary", tr(lang, "I don't know"), tr(lang, "We will help you find the right office"))
    assert [(c.value, c.label) for c in view.chips] == [
        ("pregnancy", tr(lang, "Pregnant")), ("infant", tr(lang, "With a baby")),
        ("disability", tr(lang, "Disability")), ("elderly", tr(lang, "Older person"))]
    assert actions(view.nav) == ["back", "home", "language", "info"] + TOGGLES
    assert view.nav[0].icon == ("back_rtl" if lang == "ar" else "back")
    assert [c.label for c in view.nav[:4]] == [tr(lang, "Back"), tr(lang, "Start again"), tr(lang, "Language"),
                                               tr(lang, "Information")]


def test_a_matter_shows_its_offices_under_its_own_name():
    flow = flow_for("ar")
    flow.open_entry("work")
    view = views.menu_view(flow)
    work = next(e for e in CONFIG["kiosk"]["menu"] if e["id"] == "work")
    assert view.title == work["label"]["ar"]
    assert [c.value for c in view.cards] == ["work-conditions", "work-jobs"]
    assert [c.label for c in view.cards] == [c["label"]["ar"] for c in work["children"]]


@pytest.mark.parametrize("lang", SEVERAL)
@pytest.mark.parametrize("reason,message", [*[(k, v) for k, v in views.NOTICES.items() if k],
                                            ("invalid_fields", views.NOTICES[None])])
def test_a_refused_ticket_says_why_on_the_menu(lang, reason, message):
    flow = flow_for(lang)
    flow.open_entry("health")
    flow.issue_refused(reason)
    assert views.menu_view(flow).notice == tr(lang, message)


def test_the_chosen_priority_picture_is_marked_and_the_compact_layout_opens_them_in_the_grid():
    flow = flow_for("hi")
    flow.toggle_priority("infant")
    assert [c.value for c in views.menu_view(flow).chips if c.selected] == ["infant"]
    compact = views.menu_view(flow, compact=True)
    assert compact.chips == () and not compact.choosing_priority
    assert [(c.action, c.label, c.selected) for c in compact.tail] == [
        ("priority_open", tr("hi", "Priority service"), True), ("unsure", tr("hi", "I don't know"), False)]
    choosing = views.menu_view(flow, compact=True, choosing_priority=True)
    assert choosing.choosing_priority
    assert [(c.action, c.value, c.selected) for c in choosing.cards] == [
        ("priority", "pregnancy", False), ("priority", "infant", True), ("priority", "disability", False),
        ("priority", "elderly", False)]
    assert [(c.action, c.kind, c.label) for c in choosing.tail] == [("priority_done", "quiet", tr("hi", "Back"))]
    assert not any(c.hint_line for c in choosing.cards + choosing.tail)


def test_a_missing_site_text_falls_back_to_english_then_the_sites_language():
    menu = [dict(e) for e in CONFIG["kiosk"]["menu"]]
    menu[0] = {**menu[0], "label": {"pt": "Residência", "en": "Residence"}, "hint": {"pt": "Só em português"}}
    site = {**CONFIG, "kiosk": {**CONFIG["kiosk"], "menu": menu}}
    card = views.menu_view(flow_for("uk", site=site)).cards[0]
    assert (card.label, card.hint) == ("Residence", "Só em português")


# ------------------------------------------------------------------ ticket
@pytest.mark.parametrize("lang", SEVERAL)
def test_the_ticket_screen_in_the_visitors_language_and_portuguese(lang):
    flow = flow_for(lang)
    flow.open_entry("residence")
    flow.ticket_issued(ticket(language=lang, estimated_wait_low_min=18, estimated_wait_high_min=34))
    view = views.ticket_view(flow, CONFIG)
    name = service("immigration")["name"]
    assert (view.code, view.service, view.service_local) == ("M023", name[lang], "" if lang == "pt" else name["pt"])
    assert view.ahead == ntr(lang, "%(n)d person ahead of you", "%(n)d people ahead of you", 3)
    assert view.wait == ntr(lang, "About %(low)d–%(n)d minute", "About %(low)d–%(n)d minutes", 34, low=18)
    assert "18–34" in view.wait and "25" not in view.wait  # the range, not the point
    assert view.where == tr(lang, "Please wait in: %(place)s", place=service("immigration")["waiting_area"][lang])
    assert view.priority == "" and view.qr == ticket()["qr"]
    assert view.calls == tr(lang, "Watch the screens: your number will be called.")
    assert view.qr_caption == tr(lang, "Take a photo of this code to keep your number.")
    assert actions(view.nav) == ["home", "language"] + TOGGLES
    assert view.nav[0].label == tr(lang, "Done")


@pytest.mark.parametrize("lang", SEVERAL + ["ne", "bn"])
def test_a_checked_in_visitor_reads_when_their_appointment_is_called(lang):
    notes, queue_lines = {}, {}
    for timing in ("early", "due", "late", None):
        flow = flow_for(lang)
        flow.ticket_issued(ticket(language=lang, appointment={"code": "APT-7KQ2-M9XD", "service": "immigration",
                                                              "time": "10:30", "timing": timing}))
        view = views.ticket_view(flow, CONFIG)
        notes[timing], queue_lines[timing] = view.calls, (view.ahead, view.wait)
    # the walk-ins' queue says nothing of when an appointment on time is called: no people ahead, no wait
    assert queue_lines["early"] == queue_lines["due"] == ("", "")
    assert queue_lines["late"] == queue_lines[None] != ("", "")
    assert notes[None] == tr(lang, "Watch the screens: your number will be called."), "no slot: a walk-in's line"
    assert "10:30" in notes["early"] and "10:30" in notes["late"] and "10:30" not in notes["due"]
    assert len(set(notes.values())) == 4, "each case says something else"
    if lang in NOT_LATIN:
        assert not any(note.startswith("Your") or note.startswith("You ") for note in notes.values())


@pytest.mark.parametrize("lang", SEVERAL)
def test_the_ticket_screen_says_what_the_printer_did(lang):
    flow = flow_for(lang)
    flow.open_entry("health")
    flow.ticket_issued(ticket("health"))
    notes = {}
    for step in ("printing", "printed", "fault", "none"):
        if step == "printed":
            flow.ticket_printed(True)
        elif step == "fault":
            flow.ticket_printed(False, "paper_out")
        elif step == "none":
            flow.no_printer()
        view = views.ticket_view(flow, CONFIG)
        notes[step] = (view.printed_note, view.fault)
    assert notes == {
        "printing": (tr(lang, "Printing your ticket…"), False),
        "printed": (tr(lang, "Take your ticket below the screen."), False),
        "fault": (tr(lang, "The printer is not working. Please take a photo of your number and of this code."),
                  True),
        "none": (tr(lang, "Please take a photo of your number and of this code."), True)}


def test_nobody_ahead_gives_no_wait_and_a_priority_ticket_says_so():
    flow = flow_for("uk")
    flow.open_entry("health")
    flow.ticket_issued(ticket("health", people_ahead=0, estimated_wait_min=0, priority=True))
    view = views.ticket_view(flow, CONFIG)
    assert (view.ahead, view.wait) == (tr("uk", "No one is ahead of you"), "")
    assert view.priority == tr("uk", "Priority ticket")
    assert views.waiting_lines({"code": "A1"}, {}, "uk", "pt") == ("", "", "")


def _wait(lang: str, **fields) -> str:
    return views.ticket_view(_issued(lang, **fields), CONFIG).wait


def _issued(lang: str, **fields) -> KioskFlow:
    flow = flow_for(lang)
    flow.open_entry("residence")
    flow.ticket_issued(ticket(language=lang, **fields))
    return flow


RANGE = {"estimated_wait_min": 19, "estimated_wait_low_min": 12, "estimated_wait_high_min": 27}


@pytest.mark.parametrize("lang", KIOSK_LANGUAGES)
def test_the_wait_is_the_hubs_range_and_up_to_when_it_starts_at_zero(lang):
    """What a visitor reads: the reply's low and high ends, low first, an en dash between; a range from 0
    says only its high end; the point (19) is not shown."""
    wait = _wait(lang, **RANGE)
    assert wait == ntr(lang, "About %(low)d–%(n)d minute", "About %(low)d–%(n)d minutes", 27, low=12)
    assert "12–27" in wait and "19" not in wait
    soon = _wait(lang, estimated_wait_min=2, estimated_wait_low_min=0, estimated_wait_high_min=9)
    assert soon == ntr(lang, "Up to %(n)d minute", "Up to %(n)d minutes", 9)
    assert "9" in soon and "0" not in soon and "2" not in soon
    # an older hub's one number (25) is said as before, and differently from both
    assert _wait(lang) == ntr(lang, "About %(n)d minute", "About %(n)d minutes", 25)
    assert len({wait, soon, _wait(lang)}) == 3


def test_the_wait_in_words_as_each_language_agrees_with_its_last_number():
    assert _wait("en", **RANGE) == "About 12–27 minutes"
    assert _wait("en", estimated_wait_low_min=0, estimated_wait_high_min=9) == "Up to 9 minutes"
    assert _wait("en", estimated_wait_low_min=0, estimated_wait_high_min=1) == "Up to 1 minute"
    assert _wait("pt", **RANGE) == "Cerca de 12–27 minutos"
    assert _wait("ru", estimated_wait_low_min=18, estimated_wait_high_min=21) == "Примерно 18–21 минута"
    assert _wait("ru", estimated_wait_low_min=18, estimated_wait_high_min=23) == "Примерно 18–23 минуты"
    assert _wait("uk", **RANGE) == "Приблизно 12–27 хвилин"
    assert _wait("uk", estimated_wait_low_min=0, estimated_wait_high_min=21) == "До 21 хвилини"
    assert _wait("ar", estimated_wait_low_min=4, estimated_wait_high_min=9) == "حوالي 4–9 دقائق"
    assert _wait("ar", **RANGE) == "حوالي 12–27 دقيقة"
    assert _wait("ar", estimated_wait_low_min=0, estimated_wait_high_min=2) == "حتى دقيقتين"
    assert _wait("hi", **RANGE) == "लगभग 12–27 मिनट"


@pytest.mark.parametrize("fields", [{}, {"estimated_wait_low_min": None, "estimated_wait_high_min": None},
                                    {"estimated_wait_low_min": 30, "estimated_wait_high_min": 30},
                                    {"estimated_wait_low_min": 12}, {"estimated_wait_low_min": -1,
                                                                     "estimated_wait_high_min": 9}])
def test_without_a_usable_range_the_wait_is_the_hubs_one_number(fields):
    """A hub older than the range sends only ``estimated_wait_min``: the kiosk says it as before."""
    assert _wait("en", **fields) == "About 25 minutes"
    assert _wait("uk", **fields) == "Приблизно 25 хвилин"
    assert _wait("en", estimated_wait_min=None, **fields) == ""


def test_the_wait_is_the_same_on_the_scan_screen_and_none_when_nobody_is_ahead():
    scan = scanned("en", {"ticket": ticket(status="waiting", **RANGE)})
    assert scan.wait == "About 12–27 minutes"
    assert _wait("en", people_ahead=0, estimated_wait_min=0, estimated_wait_low_min=0,
                 estimated_wait_high_min=1) == ""


def test_an_arabic_range_is_drawn_low_to_high_left_to_right():
    runs = visual_runs(_wait("ar", **RANGE), True)
    assert "12–27" in "".join(run.text for run in runs)  # the runs left to right, each as it is drawn


def test_a_ticket_for_a_service_the_config_does_not_know_shows_its_id():
    flow = flow_for("en")
    flow.open_entry("health")
    flow.ticket_issued(ticket("gone"))
    view = views.ticket_view(flow, CONFIG)
    assert (view.service, view.service_local, view.where) == ("gone", "", "")


# ------------------------------------------------------------------ scan
def scanned(lang: str | None, result: dict, ticket_language: str | None = None) -> views.ScanView:
    flow = flow_for(lang)
    flow.scanned(result, language=ticket_language)
    return views.scan_view(flow, CONFIG)


@pytest.mark.parametrize("lang", SEVERAL)
def test_a_scanned_waiting_ticket_shows_where_it_stands(lang):
    view = scanned(lang, {"ticket": ticket(status="waiting")})
    assert (view.code, view.service, view.message) == ("M023", service("immigration")["name"][lang], "")
    assert (view.ahead, view.wait, view.where) == views.waiting_lines(ticket(), service("immigration"), lang, "pt")
    assert actions(view.nav) == ["scan_done", "language"] + TOGGLES
    assert view.nav[0].icon == ("back_rtl" if lang == "ar" else "back")


@pytest.mark.parametrize("lang", SEVERAL)
def test_a_scanned_called_ticket_names_its_counter(lang):
    desk = next(c for c in CONFIG["counters"] if c["id"] == "desk-02")
    view = scanned(lang, {"ticket": ticket(status="called", counter="desk-02", counter_number=desk["number"])})
    assert view.message == tr(lang, "Your number has been called. Please go to: %(counter)s",
                              counter=desk["name"][lang])
    assert (view.ahead, view.wait, view.where) == ("", "", "")
    unknown = scanned(lang, {"ticket": ticket(status="called", counter="desk-99", counter_number=99)})
    assert unknown.message == tr(lang, "Your number has been called. Please go to: %(counter)s", counter="99")


def test_a_scanned_ticket_in_another_state_and_the_question_on_its_way():
    assert scanned("en", {"ticket": ticket(status="done")}).message == (
        "This ticket is no longer waiting. Please take a new ticket or ask at the welcoming desk.")
    checking = scanned("uk", {})
    assert (checking.message, checking.code, checking.service) == (tr("uk", "Checking your ticket…"), "", "")


def test_nobody_chose_a_language_so_the_scan_speaks_the_tickets():
    view = scanned(None, {"ticket": ticket(status="waiting", language="ar")}, ticket_language="ar")
    assert view.service == service("immigration")["name"]["ar"]


@pytest.mark.parametrize("lang", SEVERAL)
@pytest.mark.parametrize("reason", sorted(views.SCAN_MESSAGES))
def test_every_scan_message_in_the_visitors_language(lang, reason):
    view = scanned(lang, {"message": reason})
    assert view.message == tr(lang, views.SCAN_MESSAGES[reason])
    assert (view.code, view.service, view.ahead) == ("", "", "")


def test_an_unknown_scan_reason_is_a_plain_something_went_wrong():
    assert scanned("ar", {"message": "cosmic_ray"}).message == tr("ar", views.SCAN_MESSAGES["refused"])


# ------------------------------------------------------------------ unavailable
@pytest.mark.parametrize("lang", SEVERAL)
def test_tickets_unavailable_says_where_to_go_and_the_helpline(lang):
    flow = flow_for(lang)
    flow.set_tickets_available(False, "hub_offline")
    view = views.unavailable_view(flow, CONFIG)
    triage = service("triage")
    assert view.title == tr(lang, "Tickets are not available right now.")
    assert view.where == tr(lang, "Please go to: %(office)s. Or ask a mediator: they will help you.",
                            office=triage["office"][lang])
    assert view.place == triage["waiting_area"][lang]
    assert view.helpline == tr(lang, "SOS Immigrant Line: %(number)s", number="808 257 257")
    assert view.recover == tr(lang, "This screen will work again by itself.")
    assert actions(view.nav) == ["home", "language", "info"] + TOGGLES


def test_before_any_config_tickets_unavailable_still_says_something():
    flow = KioskFlow(KioskConfig(menu=(), unsure_service="", languages=KIOSK_LANGUAGES, default_language="pt"))
    view = views.unavailable_view(flow, None)
    assert view.where == tr("pt", "Please go to: %(office)s. Or ask a mediator: they will help you.",
                            office=tr("pt", "Welcoming desk"))
    assert view.place == "" and views.DEFAULT_HELPLINE in view.helpline


# ------------------------------------------------------------------ information point
@pytest.mark.parametrize("lang", SEVERAL)
def test_the_information_point_lists_the_content_packs_services_and_topics(lang):
    flow = flow_for(lang)
    flow.open_info()
    view = views.info_view(flow, CONFIG, CONTENT)
    pack = CONTENT[lang]["pack"]
    assert (view.title, view.intro) == (tr(lang, "Information"), pack["intro"])
    assert view.helpline == f"{pack['helpline']['name']}: 808 257 257 · 218 106 191"
    assert view.version == tr(lang, "Information version %(version)s", version=CONTENT[lang]["version"])
    services = [c for c in view.items if c.action == "service"]
    assert [(c.value, c.label) for c in services] == [
        (s["service"], service(s["service"])["name"][lang]) for s in pack["services"]]
    icons = {c.value: c.icon for c in services}
    assert icons["immigration"] == "passport" and icons["triage"] == "unsure"
    topics = [c for c in view.items if c.action == "topic"]
    assert [(c.value, c.label, c.language) for c in topics] == [(t["id"], t["title"], lang) for t in pack["topics"]]
    assert topics[-1].icon == "ticket_confirmation"
    assert actions(view.nav) == ["back", "home", "language", "tickets"] + TOGGLES


def test_the_information_point_falls_back_to_english_then_says_it_has_nothing():
    flow = flow_for("hi")
    without_hindi = {k: v for k, v in CONTENT.items() if k != "hi"}
    view = views.info_view(flow, CONFIG, without_hindi)
    assert view.intro == CONTENT["en"]["pack"]["intro"]
    assert {c.language for c in view.items if c.action == "topic"} == {"en"}
    assert views.content_for({"fr": CONTENT["fr"]}, "hi", "pt") is CONTENT["fr"]
    empty = views.info_view(flow, CONFIG, {})
    assert empty.intro == tr("hi", "Information is not available yet. Please ask at the welcoming desk.")
    assert (empty.items, empty.version) == ((), "")
    assert empty.helpline == tr("hi", "SOS Immigrant Line: %(number)s", number="808 257 257")


@pytest.mark.parametrize("lang", SEVERAL)
def test_a_services_page_says_what_where_when_and_what_to_bring_with_its_ticket_button(lang):
    flow = flow_for(lang)
    flow.open_info()
    flow.open_info_item("service", "triage")
    view = views.info_item_view(flow, CONFIG, CONTENT)
    info = next(s for s in CONTENT[lang]["pack"]["services"] if s["service"] == "triage")
    assert view.title == service("triage")["name"][lang]
    assert [(r.icon, r.text, r.bold, r.language) for r in view.rows] == [
        ("what", info["what"], False, lang), ("where", info["where"], True, lang), ("hours", info["hours"], False, lang),
        ("bring", tr(lang, "What to bring:"), True, lang)] + [("", "• " + d, False, lang) for d in info["documents"]]
    assert view.issue == views.Card("issue", value="triage", icon="tickets", kind="primary",
                                    label=tr(lang, "Take a ticket for this service"))
    assert actions(view.nav) == ["back", "home", "language"] + TOGGLES


def test_no_ticket_button_while_tickets_are_unavailable_or_on_an_information_kiosk():
    flow = flow_for("pt")
    flow.open_info()
    flow.open_info_item("service", "health")
    flow.set_tickets_available(False, "timeout")
    assert views.info_item_view(flow, CONFIG, CONTENT).issue is None
    info_only = flow_for("pt", device="kiosk-03")
    info_only.open_info_item("service", "health")
    assert views.info_item_view(info_only, CONFIG, CONTENT).issue is None
    assert actions(views.info_view(info_only, CONFIG, CONTENT).nav) == ["back", "home", "language"] + TOGGLES


def test_a_topic_page_and_an_item_the_pack_does_not_have():
    flow = flow_for("ar")
    flow.open_info_item("topic", "ticket")
    view = views.info_item_view(flow, CONFIG, CONTENT)
    topic = next(t for t in CONTENT["ar"]["pack"]["topics"] if t["id"] == "ticket")
    assert view.title == topic["title"]
    assert view.rows == (views.InfoRow("ticket_confirmation", topic["text"], language="ar"),)
    assert view.issue is None
    flow.open_info_item("topic", "nope")
    assert views.info_item_view(flow, CONFIG, CONTENT).rows == ()
    flow.open_info_item("service", "nope")
    nothing = views.info_item_view(flow, CONFIG, CONTENT)
    assert (nothing.title, nothing.rows, nothing.issue) == ("nope", (), None)


# ------------------------------------------------------------------ every screen, every language
def every_view(lang: str) -> dict:
    flow = flow_for(lang)
    out = {"start": views.start_view(flow), "menu": views.menu_view(flow)}
    flow.issue_refused("site_closed")
    out["menu-notice"] = views.menu_view(flow)
    out["menu-compact"] = views.menu_view(flow, compact=True, choosing_priority=True)
    flow.open_entry("health")
    flow.ticket_issued(ticket("health", priority=True))
    out["ticket"] = views.ticket_view(flow, CONFIG)
    flow.scanned({"ticket": ticket(status="called", counter="desk-01", counter_number=1)})
    out["scan"] = views.scan_view(flow, CONFIG)
    flow.set_tickets_available(False, "timeout")
    out["unavailable"] = views.unavailable_view(flow, CONFIG)
    flow.open_info_item("service", "immigration")
    out["info"] = views.info_view(flow, CONFIG, CONTENT)
    out["info_item"] = views.info_item_view(flow, CONFIG, CONTENT)
    return out


@pytest.mark.parametrize("lang", KIOSK_LANGUAGES)
def test_every_screen_in_every_language_is_drawable_by_typeset(lang):
    for name, view in every_view(lang).items():
        for text in strings(view):
            split_runs(text)  # UnsupportedTextError for a character no installed font has


@pytest.mark.parametrize("lang", NOT_LATIN)
def test_no_english_is_left_on_any_screen_in_another_script(lang):
    """(The start screen speaks the site's language and English to whoever comes next; the ticket
    shows its service in Portuguese too.)"""
    english = {name: set(strings(view)) for name, view in every_view("en").items()}
    portuguese = {name: set(strings(view)) for name, view in every_view("pt").items()}
    for name, view in every_view(lang).items():
        if name != "start":
            leftover = set(strings(view)) & english[name] - portuguese[name]
            assert not leftover, (lang, name, leftover)


def test_paging_cards_point_where_reading_goes():
    assert views.turn_card("next", "pt") == views.Card("next", icon="back_rtl", kind="quiet", label=tr("pt", "More"))
    assert views.turn_card("prev", "pt").icon == "back"
    assert views.turn_card("next", "ar") == views.Card("next", icon="back", kind="quiet", label=tr("ar", "More"))
    assert views.turn_card("prev", "ar").label == tr("ar", "Previous")


def test_views_are_values_so_a_screen_redraws_only_what_changed():
    flow = flow_for("uk")
    assert views.menu_view(flow) == views.menu_view(flow)
    before = views.menu_view(flow)
    flow.toggle_priority("elderly")
    after = views.menu_view(flow)
    assert after.cards == before.cards and after.chips != before.chips
    hash(after)
