"""The Kivy kiosk as a visitor uses it: real offscreen windows, real touches, real broker and hub.

Each scenario runs in its own process (tests/kivy_harness.py) against the CNAI
Lisboa site and its content pack (tests/kiosk_centre.py).  The child taps
through the screens, saves a screenshot of each under build/kiosk/<lang>/,
and returns what a visitor would read; the test checks that against the site
file, the hub's queues and the printer's byte stream.  Printed tickets are
also drawn as PNGs under build/kiosk/tickets/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from kiosk_centre import KIOSK, MEDIUM_PANEL, SMALL_PANEL, kiosk_device_file, kiosk_site_dict, start_centre
from kivy_harness import BUILD_DIR, run_app, run_scenario

from kiosk.i18n import ntr, tr
from kiosk.sizing import Sizes
from typeset.i18n import pick

pytestmark = pytest.mark.broker

LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]
SHOTS = BUILD_DIR / "kiosk"


# ---------------------------------------------------------------------------
# child side: helpers used inside the kiosk process
# ---------------------------------------------------------------------------


def _start_app(args: dict):
    from kiosk.launch import make_kiosk
    return make_kiosk(args["device"], configure=False, animations=False,
                      render_dir=args.get("render_dir"))


def _screen(app) -> str:
    return app.root.manager.current


def _by(attr: str, value):
    return lambda w: getattr(w, attr, None) == value and hasattr(w, "trigger_action")


def _texts(ui, screen_name: str) -> dict:
    """The words on a screen, by widget id, as the visitor reads them."""
    def read():
        screen = ui.app.root.manager.get_screen(screen_name)
        return {key: getattr(w, "source_text", getattr(w, "text", "")) for key, w in screen.ids.items()
                if hasattr(w, "source_text")}
    return ui.call(read)


def _ready(ui, app) -> None:
    ui.wait_until(lambda: app.tickets_available and app.site_config is not None, timeout=20,
                  what="the hub's config and tickets available")


def _tap(ui, attr: str, value, counter: list | None = None) -> None:
    ui.tap(ui.find(_by(attr, value), what=f"a button with {attr}={value!r}"))
    if counter is not None:
        counter.append(value)


def _goto_entry(ui, app, entry_id: str, counter: list, attr: str = "value") -> None:
    """Tap the card of an entry, turning pages with the "Previous" / "More" cards when needed."""
    for _ in range(12):  # back to the first page
        if ui.find_all(_by(attr, entry_id)) or not ui.find_all(_by("action", "prev")):
            break
        ui.tap(ui.find(_by("action", "prev"), what="the Previous card"))
    for _ in range(12):
        found = ui.find_all(_by(attr, entry_id))
        if found:
            ui.tap(found[0])
            counter.append(entry_id)
            return
        ui.tap(ui.find(_by("action", "next"), what=f"the More card (looking for {entry_id})"))
    raise AssertionError(f"no card for {entry_id}")


def _wait_ticket(ui, app) -> dict:
    ui.wait_until(lambda: _screen(app) == "ticket", timeout=10, what="the ticket screen")
    ui.wait_until(lambda: app.flow.state.print_state != "printing", timeout=10, what="the printer to finish")
    return ui.call(lambda: dict(app.flow.state.ticket))


def ticket_paths(args: dict) -> dict:
    """Three tickets in one language: matter → office, a top-level matter with priority, "I don't know"."""
    app = _start_app(args)
    lang = args["language"]
    shots = f"kiosk/{lang}"

    def script(ui) -> dict:
        out = {"tickets": []}
        _ready(ui, app)
        if args.get("start_shot"):
            ui.screenshot("kiosk/start")
        # 1. language, matter, office: three taps
        taps: list = []
        _tap(ui, "code", lang, taps)
        ui.wait_until(lambda: _screen(app) == "menu", what="the menu")
        ui.screenshot(f"{shots}/menu")
        out["menu_title"] = _texts(ui, "menu")["title"]
        out["rtl_grid"] = ui.call(lambda: app.root.manager.get_screen("menu").ids.cards.orientation)
        out["back_x"] = ui.call(lambda: next(w.center_x / app.root.width for w in ui.Window.children[0].walk()
                                             if getattr(w, "action", "") == "back"))
        _goto_entry(ui, app, args["matter"], taps)
        ui.screenshot(f"{shots}/offices")
        _goto_entry(ui, app, args["office"], taps)
        ticket = _wait_ticket(ui, app)
        ui.screenshot(f"{shots}/ticket")
        out["tickets"].append({"ticket": ticket, "taps": taps, "screen": _texts(ui, "ticket"),
                               "print": app.flow.state.print_state,
                               "qr": ui.call(lambda: app.root.manager.get_screen("ticket").ids.qr.payload)})
        # the language can change on the ticket screen itself
        _tap(ui, "action", "language")
        ui.screenshot(f"{shots}/language-picker")
        _tap(ui, "code", "pt")
        ui.wait_until(lambda: app.lang == "pt" and _screen(app) == "ticket", what="Portuguese on the ticket screen")
        out["ticket_in_pt"] = _texts(ui, "ticket")["service"]
        _tap(ui, "action", "home")
        ui.wait_until(lambda: _screen(app) == "start", what="the start screen")
        # 2. a top-level matter with a priority category: two taps (plus the picture)
        taps = []
        _tap(ui, "code", lang, taps)
        _tap(ui, "value", "pregnancy")
        ui.screenshot(f"{shots}/menu-priority")
        _goto_entry(ui, app, "health", taps)
        ticket = _wait_ticket(ui, app)
        ui.screenshot(f"{shots}/ticket-priority")
        out["tickets"].append({"ticket": ticket, "taps": taps, "screen": _texts(ui, "ticket"),
                               "print": app.flow.state.print_state})
        _tap(ui, "action", "home")
        # 3. "I don't know"
        taps = []
        _tap(ui, "code", lang, taps)
        _tap(ui, "action", "unsure", taps)
        ticket = _wait_ticket(ui, app)
        ui.screenshot(f"{shots}/ticket-unsure")  # people ahead from the languages before: the wait's range
        out["tickets"].append({"ticket": ticket, "taps": taps, "screen": _texts(ui, "ticket"),
                               "print": app.flow.state.print_state})
        return out

    return run_app(app, script)


def _page_lines(ui, app) -> list[str]:
    """The lines of the information page on screen, top to bottom."""
    body = app.root.manager.get_screen("info_item").ids.body
    return ui.call(lambda: [w.source_text for w in body.walk(restrict=True)
                            if hasattr(w, "source_text") and w.source_text])


def information_point(args: dict) -> dict:
    app = _start_app(args)
    lang = args["language"]
    shots = f"kiosk/{lang}"

    def script(ui) -> dict:
        _ready(ui, app)
        ui.wait_until(lambda: lang in app.connection.content, what="the content pack")
        _tap(ui, "code", lang)
        _tap(ui, "action", "info")
        ui.wait_until(lambda: _screen(app) == "info", what="the information point")
        ui.screenshot(f"{shots}/info")
        listing = _texts(ui, "info")
        _goto_entry(ui, app, args["service"], [])
        ui.wait_until(lambda: _screen(app) == "info_item", what="the service's page")
        ui.screenshot(f"{shots}/info-service")
        lines = _page_lines(ui, app)
        title = _texts(ui, "info_item")["title"]
        _tap(ui, "action", "back")
        _goto_entry(ui, app, "ticket", [])
        ui.screenshot(f"{shots}/info-topic")
        topic = _page_lines(ui, app)
        _tap(ui, "action", "back")
        _goto_entry(ui, app, args["service"], [])
        _tap(ui, "action", "issue")
        ticket = _wait_ticket(ui, app)
        return {"listing": listing, "title": title, "lines": lines, "topic": topic, "ticket": ticket,
                "shown_version": listing["version"]}

    return run_app(app, script)


def accessibility(args: dict) -> dict:
    app = _start_app(args)
    lang = args["language"]
    shots = f"kiosk/{lang}"

    def targets(ui) -> list:
        def measure():
            from kivy.uix.behaviors import ButtonBehavior
            out = []
            for root in list(ui.Window.children):
                for w in root.walk():
                    if isinstance(w, ButtonBehavior) and w.opacity > 0 and w.height > 0 and w.width > 0:
                        screen = w
                        while screen is not None and screen.__class__.__name__[-6:] != "Screen":
                            screen = screen.parent
                        if screen is None or screen.manager is None or screen.manager.current_screen is screen:
                            out.append({"kind": type(w).__name__, "w": w.width, "h": w.height,
                                        "top": w.to_window(w.x, w.top)[1]})
            return out
        return ui.call(measure)

    def script(ui) -> dict:
        out = {}
        _ready(ui, app)
        out["normal_targets"] = targets(ui)
        _tap(ui, "action", "large_text")
        ui.screenshot(f"{shots}/start-large-text")
        out["large"] = ui.call(lambda: {"bg": list(app.c_bg), "text": list(app.c_text), "font": app.f_body})
        _tap(ui, "action", "large_text")
        out["normal"] = ui.call(lambda: {"bg": list(app.c_bg), "text": list(app.c_text), "font": app.f_body})
        _tap(ui, "action", "low_layout")
        ui.screenshot(f"{shots}/start-low")
        out["low_start"] = targets(ui)
        _goto_entry(ui, app, lang, [], attr="code")
        ui.wait_until(lambda: _screen(app) == "menu", what="the menu")
        ui.screenshot(f"{shots}/menu-low")
        out["low_menu"] = targets(ui)
        _tap(ui, "action", "large_text")
        ui.screenshot(f"{shots}/menu-low-large")
        out["low_large_menu"] = targets(ui)
        out["compact"] = compact = ui.call(lambda: app.root.manager.get_screen("menu").compact)
        if compact:  # no room for the pictograms' row: they open in the card grid
            _tap(ui, "action", "priority_open")
            ui.screenshot(f"{shots}/menu-low-priority")
            out["low_priority"] = targets(ui)
        _goto_entry(ui, app, "disability", [])
        _goto_entry(ui, app, "health", [])
        ticket = _wait_ticket(ui, app)
        ui.screenshot(f"{shots}/ticket-low-large")
        out["ticket"] = ticket["code"]
        out["priority"] = ticket["priority"]
        out["window"] = ui.call(lambda: [ui.Window.width, ui.Window.height])
        return out

    return run_app(app, script)


def idle_timeout(args: dict) -> dict:
    app = _start_app(args)

    def script(ui) -> dict:
        _ready(ui, app)
        _tap(ui, "code", "uk")
        _tap(ui, "action", "large_text")
        _goto_entry(ui, app, "work", [])
        ui.wait_until(lambda: app.flow.state.path == ("work",), what="the offices of Work")
        before = ui.call(lambda: (app.lang, app.large_text))
        ui.wait_until(lambda: _screen(app) == "start", timeout=10, what="the idle timeout")
        after = ui.call(lambda: (app.flow.state.language, app.large_text, app.flow.state.path))
        _tap(ui, "code", "hi")
        _goto_entry(ui, app, "health", [])
        ticket = _wait_ticket(ui, app)
        ui.wait_until(lambda: _screen(app) == "start", timeout=10, what="the ticket screen's timeout")
        return {"before": before, "after": after, "ticket": ticket["code"]}

    return run_app(app, script)


def printer_fault(args: dict) -> dict:
    app = _start_app(args)

    def script(ui) -> dict:
        _ready(ui, app)
        _tap(ui, "code", args["language"])
        _goto_entry(ui, app, "residence", [])
        ticket = _wait_ticket(ui, app)
        ui.screenshot(f"kiosk/{args['language']}/ticket-printer-fault")
        screen = ui.call(lambda: app.root.manager.get_screen("ticket"))
        return {"ticket": ticket, "print": app.flow.state.print_state, "note": ui.call(lambda: screen.printed_note),
                "code_shown": _texts(ui, "ticket")["code"], "qr": ui.call(lambda: screen.ids.qr.payload)}

    return run_app(app, script)


def hub_down(args: dict) -> dict:
    """The hub stops, comes back, then freezes (requests time out) and thaws; the kiosk recovers each time."""
    import os
    import signal
    import subprocess
    import sys
    app = _start_app(args)
    lang = args["language"]
    hub = {"pid": args["hub_pid"]}

    def start_hub():
        proc = subprocess.Popen([sys.executable, "-m", "hub.main", "--device", args["hub_device"]],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        hub["pid"] = proc.pid
        Path(args["pid_file"]).write_text(str(proc.pid))

    def script(ui) -> dict:
        out = {}
        _ready(ui, app)
        _tap(ui, "code", lang)
        ui.wait_until(lambda: _screen(app) == "menu", what="the menu")
        os.kill(hub["pid"], signal.SIGTERM)  # a clean stop: the hub says it is offline
        ui.wait_until(lambda: _screen(app) == "unavailable", timeout=15, what="tickets unavailable")
        ui.screenshot(f"kiosk/{lang}/unavailable")
        out["reason_stopped"] = app.flow.unavailable_reason
        out["unavailable"] = _texts(ui, "unavailable")
        _tap(ui, "action", "info")  # the information point still works from the cache
        out["info_while_down"] = _texts(ui, "info")["version"]
        _tap(ui, "action", "back")
        start_hub()
        ui.wait_until(lambda: _screen(app) == "menu", timeout=20, what="the menu again after the hub restarted")
        _goto_entry(ui, app, "health", [])
        out["after_restart"] = _wait_ticket(ui, app)["code"]
        _tap(ui, "action", "home")
        _tap(ui, "code", lang)
        os.kill(hub["pid"], signal.SIGSTOP)  # frozen: presence still says online, requests time out
        try:
            _goto_entry(ui, app, "family", [])
            ui.wait_until(lambda: app.busy, what="the one-moment layer")
            ui.screenshot(f"kiosk/{lang}/waiting-for-hub")
            ui.wait_until(lambda: _screen(app) == "unavailable", timeout=15, what="unavailable after a timeout")
            out["reason_frozen"] = app.flow.unavailable_reason
        finally:
            os.kill(hub["pid"], signal.SIGCONT)
        ui.wait_until(lambda: _screen(app) == "menu", timeout=20, what="the menu once the hub answers again")
        _goto_entry(ui, app, "school", [])
        out["after_thaw"] = _wait_ticket(ui, app)["code"]
        out["health"] = ui.call(lambda: app.connection.health.parts)
        return out

    return run_app(app, script)


def scanning(args: dict) -> dict:
    """A serial scanner on a pty: tickets show their status, anything else a plain message."""
    from hardware.scanner.mock import PtyScanner
    scanner = PtyScanner(args["scanner_link"])
    app = _start_app(args)

    def read(ui, name: str) -> dict:
        ui.wait_until(lambda: _screen(app) == "scan" and app.flow.state.scan, what="the scan screen")
        ui.screenshot(f"kiosk/scan/{name}")
        texts = _texts(ui, "scan")
        texts["language"] = app.lang
        ui.tap(ui.find(_by("action", "scan_done"), what="Done"))
        ui.wait_until(lambda: _screen(app) == "start", what="back to the start")
        return texts

    def script(ui) -> dict:
        _ready(ui, app)
        ui.wait_until(lambda: app.scanner is not None and app.scanner.status.state.value == "ok", timeout=15,
                      what="the scanner connected")
        out = {}
        for name, text in args["scans"].items():
            scanner.scan(text)
            out[name] = read(ui, name)
        return out

    try:
        return run_app(app, script)
    finally:
        scanner.close()


def checking_in(args: dict) -> dict:
    """A scanned appointment code checks the visitor in: the ticket screen, printed; a second scan
    of the same code shows the same ticket."""
    from hardware.scanner.mock import PtyScanner
    scanner = PtyScanner(args["scanner_link"])
    app = _start_app(args)

    def script(ui) -> dict:
        _ready(ui, app)
        ui.wait_until(lambda: app.scanner is not None and app.scanner.status.state.value == "ok", timeout=15,
                      what="the scanner connected")
        out = []
        for attempt in range(2):
            scanner.scan(args["code"])
            ticket = _wait_ticket(ui, app)
            ui.screenshot(f"kiosk/check-in/{attempt + 1}")
            out.append({"ticket": ticket, "screen": _texts(ui, "ticket")})
            ui.wait_until(lambda: _screen(app) == "start", timeout=15, what="back to the start")
        return {"visits": out}

    try:
        return run_app(app, script)
    finally:
        scanner.close()


# ---------------------------------------------------------------------------
# parent side: the tests
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cnai(tmp_path_factory):
    """The CNAI centre with kiosk-01 on a 10" panel printing to a file."""
    folder = tmp_path_factory.mktemp("kiosk-ui")
    printer = folder / "printer.bin"
    data = kiosk_site_dict(MEDIUM_PANEL, printer={"connector": "file", "path": str(printer)})
    centre, site_file = start_centre(folder, data)
    yield {"centre": centre, "folder": folder, "printer": printer, "data": data,
           "device": str(kiosk_device_file(centre, folder))}
    centre.close()


def _site_text(cnai, kind: str, item_id: str, key: str, lang: str) -> str:
    item = next(x for x in cnai["data"][kind] if x["id"] == item_id)
    return pick(item[key], lang, "pt")


PATHS = {  # language -> (matter, office): different offices so every menu branch is walked somewhere
    "pt": ("work", "work-conditions"), "en": ("work", "work-jobs"), "fr": ("social", "social-number"),
    "es": ("social", "social-help"), "uk": ("documents", "documents-registry"),
    "ru": ("documents", "documents-nationality"), "ar": ("legal", "legal-advice"),
    "hi": ("legal", "legal-consumers"), "ne": ("work", "work-jobs"), "bn": ("documents", "documents-nationality"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_from_the_start_screen_to_printed_tickets(cnai, lang):
    centre = cnai["centre"]
    matter, office = PATHS[lang]
    result = run_scenario("test_kiosk_ui:ticket_paths",
                          {"device": cnai["device"], "language": lang, "matter": matter, "office": office,
                           "start_shot": lang == "pt", "render_dir": str(SHOTS / "tickets" / lang)},
                          tmp_path=cnai["folder"] / lang, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
    assert result["menu_title"] == tr(lang, "What do you need?")
    if lang == "ar":
        assert result["rtl_grid"] == "rl-tb" and result["back_x"] > 0.5  # mirrored: back is on the right
    else:
        assert result["rtl_grid"] == "lr-tb" and result["back_x"] < 0.5
    office_service = next(c["service"] for e in cnai["data"]["kiosk"]["menu"] if e["id"] == matter
                          for c in e["children"] if c["id"] == office)
    wanted = [(office_service, False, [lang, matter, office]), ("health", True, [lang, "health"]),
              ("triage", False, [lang, "unsure"])]
    printed = cnai["printer"].read_bytes()
    model = centre.hub.engine.model
    for got, (service, priority, taps) in zip(result["tickets"], wanted):
        ticket, screen = got["ticket"], got["screen"]
        assert (ticket["service"], ticket["priority"], ticket["language"]) == (service, priority, lang)
        assert got["taps"] == taps and len(taps) <= 3
        # what the visitor reads: the code, the service in their language and in Portuguese, the wait, where
        assert screen["code"] == ticket["code"]
        assert screen["service"] == _site_text(cnai, "services", service, "name", lang)
        pt_name = _site_text(cnai, "services", service, "name", "pt")
        assert screen["service_local"] == ("" if lang == "pt" else pt_name)
        ahead = ticket["people_ahead"]
        assert screen["ahead"] == (tr(lang, "No one is ahead of you") if ahead == 0 else
                                   ntr(lang, "%(n)d person ahead of you", "%(n)d people ahead of you", ahead))
        assert screen["where"] == tr(lang, "Please wait in: %(place)s",
                                     place=_site_text(cnai, "services", service, "waiting_area", lang))
        # the wait: the reply's own range, low first ("About 3–54 minutes", "Up to 9 minutes")
        low, high = ticket["estimated_wait_low_min"], ticket["estimated_wait_high_min"]
        if not ahead:
            assert screen["wait"] == ""
        elif low:
            assert screen["wait"] == ntr(lang, "About %(low)d–%(n)d minute", "About %(low)d–%(n)d minutes", high,
                                         low=low) and f"{low}–{high}" in screen["wait"]
        else:
            assert screen["wait"] == ntr(lang, "Up to %(n)d minute", "Up to %(n)d minutes", high)
        assert screen["priority"] == (tr(lang, "Priority ticket") if priority else "")
        assert got["print"] == "printed"
        # the hub has it waiting, the printer got it (code, QR, cut), and it was drawn for people to look at
        assert model.by_ref[ticket["ref"]].status == "waiting"
        assert ticket["code"].encode() in printed and ticket["qr"].encode() in printed
        assert (SHOTS / "tickets" / lang / f"{ticket['code']}.png").exists()
    assert result["tickets"][0]["qr"] == result["tickets"][0]["ticket"]["qr"]
    assert b"\x1dV" in printed  # the cut
    assert result["ticket_in_pt"] == _site_text(cnai, "services", office_service, "name", "pt")
    for name in ("menu", "offices", "ticket", "language-picker", "menu-priority", "ticket-priority", "ticket-unsure"):
        assert (SHOTS / lang / f"{name}.png").exists()


@pytest.mark.parametrize("lang,service", [("pt", "immigration"), ("en", "housing"), ("uk", "social-security"),
                                          ("ar", "family-reunification"), ("hi", "employment")])
def test_the_information_point_shows_the_hubs_content_pack(cnai, lang, service):
    pack = cnai["centre"].content.packs[lang]
    result = run_scenario("test_kiosk_ui:information_point",
                          {"device": cnai["device"], "language": lang, "service": service},
                          tmp_path=cnai["folder"] / f"info-{lang}", width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
    info = next(s for s in pack.services if s.service == service)
    assert result["listing"]["intro"] == pack.intro
    assert result["shown_version"] == tr(lang, "Information version %(version)s", version=pack.version)
    assert result["title"] == _site_text(cnai, "services", service, "name", lang)
    lines = result["lines"]
    assert info.what in lines and info.where in lines and info.hours in lines
    assert all("• " + doc in lines for doc in info.documents)
    ticket_topic = next(t for t in pack.topics if t.id == "ticket")  # the longest topic, and the privacy promise
    assert result["topic"] == [ticket_topic.text]
    assert result["ticket"]["service"] == service and result["ticket"]["language"] == lang
    cached = json.loads((cnai["folder"] / "kiosk-state" / "kiosk-cache" / KIOSK / "content" / f"{lang}.json")
                        .read_text(encoding="utf-8"))
    assert (cached["version"], cached["digest"]) == (pack.version, pack.digest())


@pytest.mark.parametrize("lang", ["pt", "ar"])
def test_large_text_high_contrast_and_the_low_layout_on_a_7_inch_panel(tmp_path, lang):
    data = kiosk_site_dict(SMALL_PANEL)
    centre, _ = start_centre(tmp_path, data)
    try:
        result = run_scenario("test_kiosk_ui:accessibility",
                              {"device": str(kiosk_device_file(centre, tmp_path)), "language": lang},
                              tmp_path=tmp_path, width=SMALL_PANEL[0], height=SMALL_PANEL[1])
    finally:
        centre.close()
    width, height = result["window"]
    fifteen_mm = Sizes.for_screen(width, height, SMALL_PANEL[2]).mm(15)
    for name in ("normal_targets", "low_start", "low_menu", "low_large_menu", "low_priority"):
        assert result[name], name
        for target in result[name]:
            assert target["w"] >= fifteen_mm - 0.5 and target["h"] >= fifteen_mm - 0.5, (name, target)
    assert result["compact"] and result["priority"]  # a 7" panel: pictograms in the grid, still one tap
    for name in ("low_start", "low_menu", "low_large_menu", "low_priority"):  # all within reach from a wheelchair
        assert all(t["top"] <= height / 2 + 1 for t in result[name]), (name, result[name])
    assert result["large"]["bg"][:3] == [0, 0, 0] and result["large"]["text"][:3] == [1, 1, 1]
    assert result["large"]["font"] > result["normal"]["font"]
    assert result["ticket"]


def test_idle_timeout_resets_language_and_accessibility_and_the_ticket_screen_times_out(tmp_path):
    data = kiosk_site_dict(MEDIUM_PANEL, idle_timeout_s=1.5, ticket_screen_s=1.0)
    centre, _ = start_centre(tmp_path, data)
    try:
        result = run_scenario("test_kiosk_ui:idle_timeout", {"device": str(kiosk_device_file(centre, tmp_path))},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
    finally:
        centre.close()
    assert result["before"] == ["uk", True]
    assert result["after"] == [None, False, []]
    assert result["ticket"].startswith("U")


def test_a_printer_fault_shows_the_ticket_on_screen_and_reports_it(tmp_path):
    from mqtt_helpers import Inbox, topic_is
    data = kiosk_site_dict(MEDIUM_PANEL, printer={"connector": "file", "path": "/nonexistent/printer.bin"})
    centre, _ = start_centre(tmp_path, data)
    try:
        watcher = centre.monitor()  # read only: never the hub's login
        health = Inbox()
        watcher.subscribe(watcher.topics.health(KIOSK), health)
        result = run_scenario("test_kiosk_ui:printer_fault",
                              {"device": str(kiosk_device_file(centre, tmp_path)), "language": "uk"},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
        health.wait_for(topic_is(watcher.topics.health(KIOSK), lambda p: p and p.get("last_print") not in
                                 (None, "ok")))
        assert centre.hub.engine.model.by_ref[result["ticket"]["ref"]].status == "waiting"
    finally:
        centre.close()
    assert result["print"] == "fault"
    assert result["code_shown"] == result["ticket"]["code"] and result["qr"] == result["ticket"]["qr"]
    assert result["note"] == tr("uk", "The printer is not working. Please take a photo of your number "
                                      "and of this code.")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_hub_down_says_where_to_go_and_recovers_by_itself(tmp_path, lang):
    data = kiosk_site_dict(MEDIUM_PANEL)
    centre, site_file = start_centre(tmp_path, data, hub_in_process=False)
    pid_file = tmp_path / "hub.pid"
    try:
        result = run_scenario("test_kiosk_ui:hub_down",
                              {"device": str(kiosk_device_file(centre, tmp_path)), "language": lang,
                               "hub_pid": centre.hub_process.pid, "pid_file": str(pid_file),
                               "hub_device": str(centre.workdir / "hub-device.toml")},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
    finally:
        if pid_file.exists():
            import os
            import signal
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass
        centre.close()
    assert result["reason_stopped"] == "hub_offline"
    assert result["reason_frozen"] == "timeout"
    shown = result["unavailable"]
    assert shown["title"] == tr(lang, "Tickets are not available right now.")
    office = _site_text({"data": data}, "services", "triage", "office", lang)
    assert shown["where"] == tr(lang, "Please go to: %(office)s. Or ask a mediator: they will help you.",
                                office=office)
    assert shown["place"] == _site_text({"data": data}, "services", "triage", "waiting_area", lang)
    assert result["info_while_down"]
    assert result["after_restart"].startswith("U") and result["after_thaw"].startswith("E")
    assert result["health"]["tickets"] == "ok"


def test_scanned_tickets_show_their_status_and_other_codes_a_plain_message(tmp_path):
    from hardware.scanner import new_appointment_code
    link = tmp_path / "scanner"
    data = kiosk_site_dict(MEDIUM_PANEL, scanner={"kind": "serial", "serial_port": str(link), "baudrate": 9600})
    centre, _ = start_centre(tmp_path, data)
    try:
        desk = centre.link("counter-02")  # desk 2 serves welcoming & sorting
        waiting = desk.request("issue_ticket", service="immigration", language="ar")["ticket"]
        called = desk.request("issue_ticket", service="triage", language="uk")["ticket"]
        desk.request("call_next")
        scans = {"waiting": waiting["qr"], "called": called["qr"], "appointment": new_appointment_code(),
                 "other_site": "OSS1:cnai-porto:2026-01-01:A001:abcdefghijklmnop", "garbage": "hello world"}
        result = run_scenario("test_kiosk_ui:scanning", {"device": str(kiosk_device_file(centre, tmp_path)),
                                                          "scanner_link": str(link), "scans": scans},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1])
    finally:
        centre.close()
    shown = result["waiting"]  # nobody chose a language: the ticket's own (Arabic)
    assert shown["language"] == "ar" and shown["code"] == waiting["code"]
    assert shown["service"] == _site_text({"data": data}, "services", "immigration", "name", "ar")
    assert shown["where"] == tr("ar", "Please wait in: %(place)s",
                                place=_site_text({"data": data}, "services", "immigration", "waiting_area", "ar"))
    shown = result["called"]
    assert shown["language"] == "uk" and shown["code"] == called["code"]
    assert shown["message"] == tr("uk", "Your number has been called. Please go to: %(counter)s",
                                  counter=_site_text({"data": data}, "counters", "desk-02", "name", "uk"))
    from kiosk.views import SCAN_MESSAGES
    for name, reason in (("appointment", "appointment"), ("other_site", "other_site"), ("garbage", "not_ours")):
        assert result[name]["message"] == tr("pt", SCAN_MESSAGES[reason]), name
        assert result[name]["code"] == ""


def test_a_scanned_appointment_checks_the_visitor_in_and_prints_the_ticket(tmp_path):
    from hardware.scanner import new_appointment_code
    from hub.clock import SiteTime
    from siteconf import parse_site
    link = tmp_path / "scanner"
    printer = tmp_path / "printer.bin"
    data = kiosk_site_dict(MEDIUM_PANEL, scanner={"kind": "serial", "serial_port": str(link), "baudrate": 9600},
                           printer={"connector": "file", "path": str(printer)}, ticket_screen_s=1.0)
    site = parse_site(data)
    day = SiteTime(site.site.timezone, site.site.service_day_starts).service_day(time.time())
    code = new_appointment_code()
    (tmp_path / "appointments.toml").write_text(
        f'[[appointments]]\ncode = "{code}"\nday = "{day}"\nservice = "immigration"\ntime = "10:30"\n',
        encoding="utf-8")
    centre, _ = start_centre(tmp_path, data, hub_in_process=False)
    try:
        result = run_scenario("test_kiosk_ui:checking_in", {"device": str(kiosk_device_file(centre, tmp_path)),
                                                             "scanner_link": str(link), "code": code},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1], timeout=120)
    finally:
        centre.close()
    first, second = result["visits"]
    assert first["ticket"]["service"] == "immigration" and first["ticket"]["code"].startswith("M")
    assert second["ticket"]["code"] == first["ticket"]["code"], "a second scan shows the same ticket"
    assert first["ticket"]["code"].encode() in printer.read_bytes()
