"""The wall display as a real Kivy window (offscreen SDL, one process per scenario)
fed by the real hub through a real Mosquitto: calls appear, a restarted display
draws the retained state at once, a broker outage shows the offline mark and
recovers with no call missing.  Screenshots land in build/display/."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from contact_sheet import make_contact_sheet
from kivy_harness import BUILD_DIR, run_scenario
from PIL import Image
from sites import example_site_in_a_hurry

from display import theme
from simulator.centre import LocalCentre

SMALL = {"display": "display-ground", "counter": "counter-1"}


def scenario_args(centre: LocalCentre, tmp_path: Path, **extra) -> dict:
    roles = {d.id: d.role for d in centre.site.devices}
    return {"port": centre.port, "site_id": centre.site.site.id, "passwords": dict(centre.credentials.passwords),
            "roles": roles, "data_dir": str(tmp_path / "display-data"), **SMALL, **extra}


def issue(centre: LocalCentre, *languages: str, service: str = "reception", kiosk: str = "kiosk-1") -> list[str]:
    link = centre.link(kiosk)
    return [link.request("issue_ticket", service=service, language=lang)["ticket"]["code"] for lang in languages]


def test_a_counters_call_appears_on_the_wall_screen_highlighted(centre, tmp_path):
    issue(centre, "en", "pt")
    result = run_scenario("display_scenarios:call_appears_and_survives_restart",
                          scenario_args(centre, tmp_path, name="small-call-appears"), tmp_path=tmp_path,
                          width=1280, height=720)
    assert result["before"]["code"] == "" and result["before"]["badge"] == "Senha · Ticket"
    after = result["after"]
    assert result["code"] == "A001" and after["code"] == "A001"
    assert after["counter"] == "Balcão 1"
    assert after["visitor_counter"] == "Counter 1"  # the visitor chose English at the kiosk
    assert after["highlighted"] and after["badge"] == "NOVA CHAMADA · NEW CALL"
    assert after["services"][0][:3] == ["A", "Acolhimento e triagem", "1"]
    assert after["site"] == "Test centre" and not after["offline_visible"]
    shot = Image.open(BUILD_DIR / "display/small-call-appears.png")
    assert shot.size == (1280, 720)
    # the highlight is visible in the picture: the panel is amber, not the navy background
    amber = theme.rgba(theme.AMBER)
    pixel = shot.convert("RGB").getpixel((700, 90))
    assert all(abs(p / 255 - a) < 0.05 for p, a in zip(pixel, amber[:3])), pixel


def test_a_restarted_display_draws_the_retained_calls_at_once(centre, tmp_path):
    issue(centre, "pt", "en", "pt")
    counter = centre.link("counter-1")
    for _ in range(3):
        counter.request("call_next")
    result = run_scenario("display_scenarios:retained_after_restart",
                          scenario_args(centre, tmp_path, name="small-retained", expect_top="A003"),
                          tmp_path=tmp_path, width=1280, height=720)
    seen = result["seen"]
    assert seen["code"] == "A003" and [r[0] for r in seen["previous"]] == ["A002", "A001"]
    assert not seen["highlighted"]  # an old call is not "new" for a display that just started
    # a second start (a reboot) finds the same picture, now also from its own memory on disk
    again = run_scenario("display_scenarios:retained_after_restart",
                         scenario_args(centre, tmp_path, name="small-retained-again", expect_top="A003"),
                         tmp_path=tmp_path, width=1280, height=720)
    assert again["seen"]["code"] == "A003"
    assert (tmp_path / "display-data" / "last-picture.json").exists()


def test_broker_outage_shows_offline_and_recovers_with_no_call_missing(centre, tmp_path):
    issue(centre, *["pt"] * 4)
    sync = tmp_path / "sync"
    sync.mkdir()
    box: dict = {}

    def run():
        try:
            box["result"] = run_scenario("display_scenarios:broker_outage",
                                         scenario_args(centre, tmp_path, name="small-outage", sync=str(sync)),
                                         tmp_path=tmp_path, width=1280, height=720)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not (sync / "ready.json").exists() and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (sync / "ready.json").exists(), box.get("error")
        centre.broker.stop()
        (sync / "broker-stopped.json").write_text("{}")
        time.sleep(1.0)  # the display is offline now (the scenario checks the mark)
        centre.broker.start()
        (sync / "broker-started.json").write_text("{}")
    finally:
        thread.join(120)
    if "error" in box:
        raise box["error"]
    result = box["result"]
    assert result["offline"]["offline_visible"] and result["offline"]["offline_text"] == "Sem ligação · Offline"
    assert result["offline"]["code"] == result["first"]  # the last picture is kept
    recovered = result["recovered"]
    assert not recovered["offline_visible"]
    shown = [recovered["code"]] + [row[0] for row in recovered["previous"]]
    assert shown[:3] == [result["third"], result["second"], result["first"]]  # none missing, in order


# ------------------------------------------------------------------ layouts

LAYOUTS = [("landscape-1920x1080", 1920, 1080), ("landscape-1280x720", 1280, 720),
           ("portrait-1080x1920", 1080, 1920), ("portrait-720x1280", 720, 1280)]


@pytest.fixture(scope="module")
def cnai_centre(tmp_path_factory):
    """The CNAI Lisboa example (ten languages) with calls in several scripts on the ground floor."""
    site = example_site_in_a_hurry()
    centre = LocalCentre(site, tmp_path_factory.mktemp("cnai")).start()
    kiosk = centre.link("kiosk-01")
    services = ["triage", "immigration", "information", "social-security"]
    languages = ["uk", "ar", "hi", "bn", "ne", "pt", "en", "ru", "fr", "es"]
    for i, language in enumerate(languages * 2):
        kiosk.request("issue_ticket", service=services[i % len(services)], language=language)
    # the live calls of the four layouts (counter 7 serves health): Arabic, Ukrainian, Hindi, Russian visitors
    for language in ("ar", "uk", "hi", "ru"):
        kiosk.request("issue_ticket", service="health", language=language)
    counters = [d.id for d in site.devices if d.role == "counter" and site.counter(d.counter).zone == "ground"]
    codes = []
    for device in counters[:6]:
        ticket = centre.link(device).request("call_next")["ticket"]
        codes.append(ticket["code"])
    centre.test_info = {"top": codes[-1], "live_counter": counters[6]}
    yield centre
    centre.close()


@pytest.mark.parametrize("name, width, height", LAYOUTS)
def test_every_layout_shows_calls_in_several_scripts(cnai_centre, tmp_path, name, width, height):
    args = scenario_args(cnai_centre, tmp_path, display="display-ground", name=name,
                         expect_top=cnai_centre.test_info["top"], live_counter=cnai_centre.test_info["live_counter"])
    result = run_scenario("display_scenarios:layout_screenshots", args, tmp_path=tmp_path, width=width,
                          height=height)
    expected_top, cnai_centre.test_info["top"] = cnai_centre.test_info["top"], result["live_code"]
    retained, live = result["retained"], result["live"]
    assert retained["code"] == expected_top and not retained["highlighted"]
    assert retained["visitor_counter"]  # the top call's visitor chose a non-Portuguese language
    assert live["code"] == result["live_code"] and live["highlighted"]
    assert live["previous"][0][0] == retained["code"]
    assert len(live["previous"]) >= 3 and len(live["services"]) >= 4
    # every service of the zone on some page of the waiting list, and the pages turn by themselves
    pages = result["pages"]
    assert pages["paging"]
    ground = {s.prefix for s in cnai_centre.site.services if s.zone == "ground"}
    assert {row[0] for row in pages["seen"]} == ground
    assert retained["ticker_items"] == 40  # 4 messages x 10 languages
    for kind in ("retained", "new-call"):
        shot = Image.open(BUILD_DIR / f"display/{name}-{kind}.png")
        assert shot.size == (width, height)
    sheet = make_contact_sheet(BUILD_DIR / "display", CONTACT_ROWS, BUILD_DIR / "display" / "contact-sheet.png")
    assert sheet is not None and sheet.exists()


CONTACT_ROWS = [
    [(f"{name}-{kind}", f"{name}, {label}") for kind, label in (("retained", "after a restart"),
                                                               ("new-call", "new call highlighted"))]
    for name in ("landscape-1920x1080", "landscape-1280x720")
] + [[(f"{name}-{kind}", f"{name.split('-')[1]} {label}") for name in ("portrait-1080x1920", "portrait-720x1280")
      for kind, label in (("retained", "restart"), ("new-call", "new call"))]] + [
    [("small-outage-offline", "broker stopped: offline mark, last picture kept"),
     ("small-outage-recovered", "broker back: recovered, no call missing")]]
