"""The demo with a screen (issue 20): where its windows go, and its counter desk, which is the real
counter firmware on gpiozero MockFactory pins (simulator/desk.py), pressed through its pins against
the real hub and broker, its LCD and light read back.  No Kivy here: the window only draws DeskRig."""

from __future__ import annotations

import time

import pytest
from sites import small_site, small_site_dict

from simulator.desk import DeskRig
from simulator.windows import arrange


def _overlap(a, b) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


@pytest.mark.parametrize("screen", [(1920, 1080), (2560, 1440), (1366, 768), (1280, 720)])
def test_the_windows_stand_side_by_side_on_the_screen(screen):
    places = arrange(*screen)
    windows = [places.kiosk, places.wall, places.desk]
    for place in windows:
        assert place.x >= 0 and place.y >= 0
        assert place.x + place.width <= screen[0] and place.y + place.height <= screen[1]
    assert not any(_overlap(a, b) for i, a in enumerate(windows) for b in windows[i + 1:])
    assert abs(places.wall.width / places.wall.height - 16 / 9) < 0.01
    if screen[0] >= 1920:
        assert (places.kiosk.width, places.kiosk.height) == (800, 480)  # a 7" Raspberry Pi panel
    assert places.wall.env()["KCFG_GRAPHICS_POSITION"] == "custom"


@pytest.fixture
def site():
    data = small_site_dict()
    for device in data["devices"]:
        if device["id"] == "counter-1":
            device["small_display"] = {"kind": "lcd_i2c", "i2c_address": 0x27, "columns": 16, "rows": 2}
            device["pins"] = {"hold_s": 0.4, "debounce_ms": 5, "repeat_guard_ms": 50}
    return small_site(data)


def _until(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.broker
def test_the_desk_calls_and_finishes_through_its_pins(centre):
    code = centre.link("kiosk-1").request("issue_ticket", service="reception", language="en")["ticket"]["code"]
    rig = DeskRig(centre.link("counter-1", start=False)).start()
    try:
        _until(lambda: rig.look().ready and rig.look().lcd[0].strip())
        assert rig.auto_next()  # a short press of NEXT on its mock pin, as the demo's clerk does
        look = _until(lambda: (lambda seen: seen if seen.lcd[0].startswith(code) else None)(rig.look()))
        assert look.pattern == "serving" and look.light == (False, True, False)  # green, steady
        rig.press("next")  # a person holds NEXT: finish
        time.sleep(0.6)
        rig.release("next")
        look = _until(lambda: (lambda seen: seen if "----" in seen.lcd[0] else None)(rig.look()))
        assert not rig.auto_next()  # a person used the desk: the automatic clerk keeps away
    finally:
        rig.close()
