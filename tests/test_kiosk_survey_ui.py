"""The survey at a kiosk as a visitor answers it (issue 14): a real offscreen window, real touches,
a real broker and hub, a serial scanner on a pty.

One kiosk process (``kiosk-01`` set up like the example's survey kiosk: information and survey) walks
through: a scanned ticket answered in Arabic, a typed number and PIN answered in Portuguese, the same
ticket again (refused: already answered), a ticket still waiting (refused: not served), an idle visitor
(the kiosk starts over); then, for the contact sheet and the eye, the survey's screens in all ten
languages (saved under build/kiosk/survey/<lang>/).  The hub's database is checked afterwards.
"""

from __future__ import annotations

import sqlite3

import pytest
from kiosk_centre import MEDIUM_PANEL, kiosk_device_file, kiosk_site_dict, start_centre
from kivy_harness import run_scenario
from test_kiosk_ui import LANGUAGES, _by, _ready, _screen, _start_app, _texts

from kiosk.i18n import tr
from kiosk.survey import QUESTIONS
from kiosk.views import SURVEY_REFUSALS

pytestmark = pytest.mark.broker


# ---------------------------------------------------------------------------
# child side
# ---------------------------------------------------------------------------

#: waits (s): generous, as the suite shares two cores with other Kivy windows
WAIT_S = 30
#: the screens of the ten languages' walk that are pictured (a screenshot costs a second or more of
#: CPU); the rest are read, not pictured
PICTURES = {"pt": (1,), "ar": (1,), "en": (2,), "fr": (3,), "es": (4,), "uk": (1,), "ru": (3,), "hi": (2, "end"),
            "ne": (4,), "bn": (3,)}


def _tap(ui, attr: str, value) -> None:
    ui.tap(ui.find(_by(attr, value), timeout=WAIT_S, what=f"a button with {attr}={value!r}"))


def surveying(args: dict) -> dict:
    from kivy_harness import run_app

    from hardware.scanner.mock import PtyScanner
    scanner = PtyScanner(args["scanner_link"])
    app = _start_app(args)

    def open_survey(ui, lang: str) -> None:
        ui.wait_until(lambda: _screen(app) == "start", timeout=WAIT_S, what="the start screen")
        _tap(ui, "code", lang)
        _tap(ui, "action", "survey")
        ui.wait_until(lambda: _screen(app) == "survey", timeout=WAIT_S, what="the survey")

    def type_ticket(ui, code: str, pin: str) -> None:
        prefix = code.rstrip("0123456789")
        for key in [prefix, *code[len(prefix):], "next", *pin]:
            _tap(ui, "value", key)

    def answer(ui, values, shots: str | None = None, pictures=(1, 2, 3, 4, "end")) -> dict:
        ui.wait_until(lambda: _screen(app) == "survey_question", what="the first question",
                      timeout=WAIT_S)
        seen = []
        for n, value in enumerate(values, start=1):
            ui.wait_until(lambda: app.flow.state.survey.index == n - 1, timeout=WAIT_S, what=f"question {n}")
            if shots and n in pictures:
                ui.screenshot(f"{shots}/question-{n}", timeout=WAIT_S)
            seen.append(_texts(ui, "survey_question"))
            _tap(ui, "value", value)
        ui.wait_until(lambda: app.flow.state.survey.step in ("done", "refused"), timeout=WAIT_S, what="the hub's answer")
        if shots and "end" in pictures:
            ui.screenshot(f"{shots}/end", timeout=WAIT_S)
        return {"questions": seen, "end": _texts(ui, "survey")}

    def script(ui) -> dict:
        out = {}
        _ready(ui, app)
        ui.wait_until(lambda: app.scanner is not None and app.scanner.status.state.value == "ok", timeout=15,
                      what="the scanner connected")
        # 1. Arabic, by scanning the served ticket's QR code
        open_survey(ui, "ar")
        ui.screenshot("kiosk/survey/answered/ar/identify")
        out["ar_identify"] = _texts(ui, "survey")
        scanner.scan(args["scanned"]["qr"])
        out["ar"] = answer(ui, ["1", "2", "skip", "4"], shots="kiosk/survey/answered/ar")
        out["ar_rtl"] = ui.call(lambda: app.rtl)
        ui.wait_until(lambda: _screen(app) == "start", timeout=WAIT_S, what="the end of the survey timing out")
        # 2. Portuguese, by typing the number and the PIN printed on the ticket
        typed = args["typed"]
        open_survey(ui, "pt")
        ui.screenshot("kiosk/survey/answered/pt/identify")
        type_ticket(ui, typed["code"], typed["survey_pin"])
        out["pt"] = answer(ui, ["1", "1", "3", "2"], shots="kiosk/survey/answered/pt")
        # 3. the same ticket again: already answered
        open_survey(ui, "pt")
        type_ticket(ui, typed["code"], typed["survey_pin"])
        out["again"] = answer(ui, ["4", "4", "4", "4"])
        # 4. a ticket still waiting: not served
        waiting = args["waiting"]
        open_survey(ui, "pt")
        type_ticket(ui, waiting["code"], waiting["survey_pin"])
        out["unserved"] = answer(ui, ["2", "skip", "skip", "skip"])
        # 5. every language's survey screens, for the eye (a scanned ticket nobody has: refused)
        for lang in LANGUAGES:
            open_survey(ui, lang)
            ui.screenshot(f"kiosk/survey/{lang}/identify", timeout=WAIT_S)
            scanner.scan(args["nobodys"][lang])  # each its own (a scanner drops a repeated code)
            out[f"unknown_{lang}"] = answer(ui, ["skip", "1", "2", "3"], shots=f"kiosk/survey/{lang}",
                                            pictures=PICTURES.get(lang, (1, 2, 3, 4)))["end"]
        # 6. a visitor who walks away half way: the idle timeout starts the kiosk over
        open_survey(ui, "pt")
        type_ticket(ui, waiting["code"], "12")
        ui.wait_until(lambda: _screen(app) == "start", timeout=2 * WAIT_S, what="the idle reset")
        out["after_idle"] = ui.call(lambda: [app.flow.state.survey, app.flow.state.language])
        return out

    try:
        return run_app(app, script, timeout=300)
    finally:
        scanner.close()


# ---------------------------------------------------------------------------
# parent side
# ---------------------------------------------------------------------------


def test_a_visitor_answers_the_survey_by_scan_and_by_pin_once_and_only_after_being_served(tmp_path):
    link = tmp_path / "scanner"
    data = kiosk_site_dict(MEDIUM_PANEL, scanner={"kind": "serial", "serial_port": str(link), "baudrate": 9600},
                           modes=["information", "survey"], ticket_screen_s=3, idle_timeout_s=20)
    centre, _ = start_centre(tmp_path, data)
    try:
        desk = centre.link("counter-02")  # desk 2 serves welcoming & sorting (prefix A)
        scanned = desk.request("issue_ticket", service="triage", language="ar")["ticket"]
        typed = desk.request("issue_ticket", service="triage", language="pt")["ticket"]
        desk.request("call_next")
        desk.request("call_next")
        desk.request("finish")
        waiting = desk.request("issue_ticket", service="triage", language="pt")["ticket"]
        result = run_scenario("test_kiosk_survey_ui:surveying",
                              {"device": str(kiosk_device_file(centre, tmp_path)), "scanner_link": str(link),
                               "scanned": scanned, "typed": typed, "waiting": waiting,
                               "nobodys": {lang: scanned["qr"].replace(scanned["ref"], "abcdefghij"[n] * 26)
                                           for n, lang in enumerate(LANGUAGES)}},
                              tmp_path=tmp_path, width=MEDIUM_PANEL[0], height=MEDIUM_PANEL[1], timeout=300)
        with sqlite3.connect(centre.database) as db:
            answers = sorted(db.execute("SELECT service_day, service, hours, space, kindness, mediator "
                                        "FROM survey_answers").fetchall(), key=lambda r: r[2:])
            marked = dict(db.execute("SELECT code, survey_answered FROM tickets").fetchall())
    finally:
        centre.close()
    day = scanned["service_day"]
    # the answers as tapped, with the service and day only; the two served tickets marked, no other
    assert answers == [(day, "triage", 1, 1, 3, 2), (day, "triage", 1, 2, None, 4)]
    assert marked == {scanned["code"]: 1, typed["code"]: 1, waiting["code"]: 0}
    # what the visitor read: the prompt without a scanner word? this kiosk has one
    assert result["ar_identify"]["prompt"] == tr("ar", "Scan your ticket, or type its number and the survey PIN "
                                                       "printed on it.")
    assert result["ar_rtl"] is True
    assert [q["question"] for q in result["ar"]["questions"]] == [tr("ar", q) for q, _ in QUESTIONS.values()]
    assert result["ar"]["end"]["prompt"] == tr("ar", "Thank you for your answers!")
    assert [q["question"] for q in result["pt"]["questions"]] == [tr("pt", q) for q, _ in QUESTIONS.values()]
    assert result["pt"]["questions"][3]["progress"] == tr("pt", "Question %(n)d of %(total)d", n=4, total=4)
    assert result["pt"]["end"]["prompt"] == tr("pt", "Thank you for your answers!")
    assert result["again"]["end"]["prompt"] == tr("pt", SURVEY_REFUSALS["already_answered"])
    assert result["unserved"]["end"]["prompt"] == tr("pt", SURVEY_REFUSALS["not_served"])
    assert result["after_idle"] == [None, None]
    for lang in LANGUAGES:
        assert result[f"unknown_{lang}"]["prompt"] == tr(lang, SURVEY_REFUSALS["unknown_ticket"]), lang
