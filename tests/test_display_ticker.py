"""Issue 17 on the wall: the supervisor's ticker message of the day (``ticker_message`` →
``state.zone``'s ``ticker``) is shown beside the site file's messages, before each of them, and
goes when it is cleared; a paused or closed service says so in the waiting list.  The board model without a screen, then a real offscreen display against
the real broker and hub, the message sent as ``supervisor.console``; its screenshot is saved as
build/display/ticker-supervisor.png."""

from __future__ import annotations

import sqlite3

import pytest
from display_scenarios import make_app, texts
from kivy_harness import run_app, run_scenario
from test_display_board import board, state
from test_display_ui import scenario_args

MESSAGE = "Piso 1 fecha às 13h · First floor closes at 1 pm · يغلق الطابق الأول"


def with_ticker(seq: int, ticker: object) -> dict:
    payload = state(seq, [])
    payload["ticker"] = ticker
    return payload


def test_the_supervisors_message_comes_before_each_site_message_and_goes_when_cleared():
    model, _ = board()
    site_lines = model.view().ticker
    assert site_lines == (("pt", "Olá"), ("uk", "Привіт"))
    model.on_zone_state(with_ticker(1, {"text": MESSAGE, "since": "2026-03-10T09:00:00+00:00"}))
    assert model.view().ticker == (("pt", MESSAGE), ("pt", "Olá"), ("uk", "Привіт"))
    two = dict(model.config.__dict__, ticker=(("pt", "Olá"), ("uk", "Привіт"), ("pt", "Bem-vindo"), ("ar", "أهلا")))
    model.config = type(model.config)(**two)
    assert model.view().ticker == (("pt", MESSAGE), ("pt", "Olá"), ("uk", "Привіт"),
                                   ("pt", MESSAGE), ("pt", "Bem-vindo"), ("ar", "أهلا"))
    model.config = type(model.config)(**dict(two, ticker=()))
    assert model.view().ticker == (("pt", MESSAGE),), "alone when the site file has no ticker"
    model.on_zone_state(with_ticker(2, None))
    assert model.view().ticker == ()


@pytest.mark.parametrize("hostile", [{"text": 42}, {"text": ""}, {"text": "   "}, "text", [MESSAGE], {}])
def test_a_ticker_that_is_not_a_message_shows_nothing_of_it(hostile):
    model, _ = board()
    model.on_zone_state(with_ticker(1, hostile))
    assert model.view().ticker == (("pt", "Olá"), ("uk", "Привіт"))


def test_another_zones_state_does_not_change_the_ticker():
    model, _ = board()
    other = with_ticker(1, {"text": MESSAGE})
    other["zone"] = "first"
    model.on_zone_state(other)
    assert model.supervisor_message is None


# ------------------------------------------------------------------------ a real window (child side)
def ticker_follows(args: dict) -> dict:
    app = make_app(args)

    def script(ui) -> dict:
        ui.wait_until(lambda: app.root is not None and app.root.view is not None and app.root.view.has_state,
                      timeout=20, what="the zone's state")
        ui.wait_until(lambda: any(text == args["message"] for _, text in app.root.ids.ticker.items), timeout=20,
                      what="the supervisor's message on the ticker")
        ui.screenshot(f"display/{args['name']}")
        shown = ui.call(lambda: [list(item) for item in app.root.ids.ticker.items])
        return {"items": shown, "screen": texts(ui)}

    return run_app(app, script)


@pytest.mark.broker
def test_the_wall_shows_the_supervisors_message_sent_through_the_broker(centre, tmp_path):
    supervisor = centre.operator("supervisor.console")
    centre.link("kiosk-1").request("issue_ticket", service="reception", language="pt")
    supervisor.request("service_state", service="reception", status="paused", reason="counter 1 at lunch",
                       staff="maria.silva")
    result = supervisor.request("ticker_message", zone="ground", text=MESSAGE, staff="maria.silva")
    assert result["zones"] == ["ground"]
    shown = run_scenario("test_display_ticker:ticker_follows",
                         scenario_args(centre, tmp_path, name="ticker-supervisor", message=MESSAGE),
                         tmp_path=tmp_path, width=1280, height=720)
    assert shown["items"][0] == ["pt", MESSAGE]
    assert shown["screen"]["ticker_items"] == len(shown["items"])
    assert shown["screen"]["services"][0][2:] == ["1", "Sem senhas"], "paused, its one visitor still waits"
    with sqlite3.connect(centre.database) as db:
        entry = db.execute("SELECT who, staff, action, outcome FROM audit").fetchall()
    assert entry == [("supervisor.console", "maria.silva", "service_state", "ok"),
                     ("supervisor.console", "maria.silva", "ticker_message", "ok")]


def test_a_paused_or_closed_service_says_so_in_the_waiting_list_instead_of_its_wait():
    from display.wording import estimate_text
    model, _ = board()
    payload = state(1, [])
    payload["services"] = [{"service": "triage", "waiting": 4, "estimated_wait_min": 15,
                            "estimated_wait_low_min": 10, "estimated_wait_high_min": 20, "status": "paused"}]
    model.on_zone_state(payload)
    line = model.view().services[0]
    assert (line.status, line.waiting) == ("paused", 4), "its visitors still wait and are still called"
    assert estimate_text(line, "pt") == "Sem senhas" and estimate_text(line, "en") == "No tickets"
    payload["services"][0]["status"] = "closed"
    model.on_zone_state(payload)
    assert estimate_text(model.view().services[0], "pt") == "Encerrado"
    for other in ("open", None, "weird", 3):
        payload["services"][0]["status"] = other
        model.on_zone_state(payload)
        assert estimate_text(model.view().services[0], "en") == "10–20 min"
