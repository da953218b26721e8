"""Issue 17 on the kiosk: a service a supervisor paused or closed is shown as not available (the
card stays, in the quiet "off" look, with a short reason instead of its hint, and takes no tap),
in every kiosk language.  The views and the flow without Kivy; then a real offscreen window against
the real broker and hub, the supervisor's ``service_state`` sent as ``supervisor.console``, a
screenshot of the menu in Portuguese and in Arabic under build/kiosk/<lang>/."""

from __future__ import annotations

import pytest
from kiosk_centre import MEDIUM_PANEL, kiosk_device_file, kiosk_site_dict, start_centre
from kivy_harness import run_app, run_scenario
from test_kiosk_flow import cnai_flow

from kiosk import views
from kiosk.i18n import tr
from kiosk.views import NOTICES, UNAVAILABLE_HINTS

LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]


def flow_at_menu(lang: str):
    """The CNAI kiosk's flow on its menu in ``lang``."""
    flow, _ = cnai_flow()
    flow.choose_language(lang)
    assert flow.screen == "menu"
    return flow


# ------------------------------------------------------------------------ no Kivy: views and flow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_paused_or_closed_service_is_an_off_card_with_its_reason_in_every_language(lang):
    flow = flow_at_menu(lang)
    entries = {e["id"]: e for e in flow.entries()}
    leaf = next(e for e in entries.values() if e.get("service"))
    flow.set_service_status(leaf["service"], "paused")
    cards = {c.value: c for c in views.menu_view(flow).cards}
    off = cards[leaf["id"]]
    assert (off.kind, off.hint) == ("off", tr(lang, UNAVAILABLE_HINTS["paused"]))
    assert off.hint != UNAVAILABLE_HINTS["paused"] or lang == "en", "translated"
    assert all(c.kind == "card" for v, c in cards.items() if v != leaf["id"])
    assert flow.open_entry(leaf["id"]) is None, "no request leaves the kiosk for it"
    assert views.menu_view(flow).notice == tr(lang, NOTICES["service_paused"])
    flow.set_service_status(leaf["service"], "closed")
    assert {c.value: c for c in views.menu_view(flow).cards}[leaf["id"]].hint == tr(lang, UNAVAILABLE_HINTS["closed"])
    flow.set_service_status(leaf["service"], "open")
    assert {c.value: c for c in views.menu_view(flow).cards}[leaf["id"]].kind == "card"
    assert flow.open_entry(leaf["id"]) is not None, "open again: the ticket is asked for"


def test_a_branch_is_off_only_when_every_service_under_it_is_and_unsure_follows_its_service():
    flow = flow_at_menu("en")
    branch = next(e for e in flow.entries() if e.get("children"))
    services = [c["service"] for c in branch["children"]]
    flow.set_service_status(services[0], "closed")
    assert flow.entry_unavailable(branch) is None or len(services) == 1
    for s in services:
        flow.set_service_status(s, "paused")
    flow.set_service_status(services[0], "closed")
    assert flow.entry_unavailable(branch) == "closed"
    flow.set_service_status(flow.config.unsure_service, "paused")
    assert views.menu_view(flow).tail[0].kind == "off"
    assert flow.unsure() is None and flow.state.notice == "service_paused"
    for unknown in (None, "", "frozen", 7):  # a cleared state or a status this firmware does not know
        flow.set_service_status(flow.config.unsure_service, unknown)
        assert flow.service_unavailable(flow.config.unsure_service) is None


def test_the_hubs_refusal_of_a_paused_service_is_said_in_plain_words():
    flow = flow_at_menu("pt")
    leaf = next(e for e in flow.entries() if e.get("service"))
    assert flow.open_entry(leaf["id"]) is not None
    flow.issue_refused("service_closed")  # the hub knew before the kiosk's retained state did
    assert views.menu_view(flow).notice == tr("pt", NOTICES["service_closed"])


# ------------------------------------------------------------------------ a real window (child side)
def unavailable_services(args: dict) -> dict:
    from kiosk.launch import make_kiosk
    app = make_kiosk(args["device"], configure=False, animations=False)
    lang = args["language"]

    def script(ui) -> dict:
        ui.wait_until(lambda: app.tickets_available and app.site_config is not None, timeout=20, what="the hub")
        ui.wait_until(lambda: len(app.flow.service_status) == 3, timeout=20, what="the services' states")
        ui.tap(ui.find(lambda w: getattr(w, "code", None) == lang and hasattr(w, "trigger_action"),
                       what="the language"))
        ui.wait_until(lambda: app.root.manager.current == "menu", what="the menu")
        ui.screenshot(f"kiosk/{lang}/menu-service-unavailable")
        cards = ui.call(lambda: {w.value or w.action: (w.kind, w.hint, w.show_hint) for w in app.root.walk()
                                 if type(w).__name__ == "MenuCard"})
        off = ui.find(lambda w: getattr(w, "value", None) == "health" and hasattr(w, "trigger_action"),
                      what="the health card")
        ui.tap(off)
        ui.frames(10)
        after_off = ui.call(lambda: (app.root.manager.current, app.flow.state.busy, app.flow.state.ticket))
        ui.tap(ui.find(lambda w: getattr(w, "value", None) == "residence" and hasattr(w, "trigger_action"),
                       what="an open service"))
        ui.wait_until(lambda: app.root.manager.current == "ticket", timeout=10, what="the ticket screen")
        return {"cards": cards, "after_off": after_off, "ticket": ui.call(lambda: app.flow.state.ticket["code"])}

    return run_app(app, script)


@pytest.mark.broker
@pytest.mark.parametrize("lang", ["pt", "ar"])
def test_the_kiosk_shows_a_paused_and_a_closed_service_as_not_available(tmp_path, lang):
    centre, _ = start_centre(tmp_path, kiosk_site_dict(MEDIUM_PANEL))
    try:
        supervisor = centre.operator("supervisor.console")
        for service, status in (("health", "paused"), ("education", "closed"), ("triage", "paused")):
            supervisor.request("service_state", service=service, status=status,
                               reason="issue 17 test: not today", staff="maria.silva")
        result = run_scenario("test_kiosk_service_state:unavailable_services",
                              {"device": str(kiosk_device_file(centre, tmp_path)), "language": lang},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
    finally:
        centre.close()
    cards = {k: tuple(v) for k, v in result["cards"].items()}
    assert cards["health"] == ("off", tr(lang, UNAVAILABLE_HINTS["paused"]), True)
    assert cards["school"] == ("off", tr(lang, UNAVAILABLE_HINTS["closed"]), True)
    assert cards["unsure"][0] == "off", "\"I don't know\" leads to the paused welcoming office"
    assert cards["residence"][0] == "card"
    assert tuple(result["after_off"]) == ("menu", False, None), "a tap on the off card asks for nothing"
    assert result["ticket"].startswith("M")
