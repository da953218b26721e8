"""The layout check's scenarios: the real wall display and the real kiosk in one Kivy process
each, resized through the matrix of panels, languages and screens, every picture checked by
tests/layout_check.py.

Both apps get what their hub would send them from tests/layout_sites.py, straight into
their inputs (the display's message queue, the kiosk's config, content and flow), so one
process walks hundreds of pictures: a window is resized in place, nothing is restarted.
The tests (tests/test_layout.py) run a slice; bench/layout_matrix.py runs it all.

    result = run_scenario("layout_scenarios:display_matrix", {"sizes": [[800, 600]], "languages": ["ar"],
                          "site": "long"}, width=800, height=600)
    result["problems"]   # [] when every text fits
"""

from __future__ import annotations

import time
from pathlib import Path

from kivy_harness import Driver, run_app
from layout_check import check_layout
from layout_sites import LANGUAGES, KIOSK_DIAGONALS, content, display_messages, newest_call_event, site

from contract.topics import Topics


class StubLink:
    """What DisplayApp needs of a DeviceLink when its messages are posted by the scenario."""

    connected = True

    def __init__(self, site_id: str, device_id: str):
        self.topics = Topics(site_id)
        self.device_id = device_id
        self.on_connection_change = None

    def subscribe(self, *_args, **_kwargs) -> None:
        pass

    def start(self) -> "StubLink":
        return self

    def close(self) -> None:
        pass

    def publish_health(self, **_status) -> None:
        pass


def _resize(ui: Driver, width: int, height: int) -> None:
    def resize():
        ui.Window.size = (width, height)
    ui.call(resize)
    ui.wait_until(lambda: tuple(ui.Window.size) == (width, height), what=f"the window at {width}x{height}")


def _record(out: dict, case: str, problems) -> None:
    out["cases"] += 1
    for problem in problems:
        out["problems"].append({"case": case, **problem.as_dict()})


# ------------------------------------------------------------------ the wall display


def display_minimum(app):
    from display import theme

    def minimum(widget, role: str):
        least = theme.MIN_FONT_PX.get(role) if hasattr(theme, "MIN_FONT_PX") else None
        return None if least is None else least * app.root.s
    return minimum


def display_matrix(args: dict) -> dict:
    """Every size of ``args["sizes"]`` (and its portrait turn when ``args["turn"]``), every language: the
    retained picture with the newest call in that language, then the same call live (highlighted)."""
    from display.app import DisplayApp, DisplayOptions
    from display.feed import EVENT
    the_site = site(args.get("site", "example"))
    device = next(d.id for d in the_site.devices if d.role == "display")
    options = DisplayOptions(motion=False, audio=False, data_dir=args["data_dir"], follow_screen=False,
                             highlight_s=3600)
    app = DisplayApp(StubLink(the_site.site.id, device), device, options)
    languages = args.get("languages", LANGUAGES)
    digits = 5 if args.get("site") == "long" else 3
    shots = args.get("shots", {})

    def script(ui: Driver) -> dict:
        out = {"cases": 0, "problems": [], "shots": []}
        minimum = display_minimum(app)
        sizes = []
        for width, height in args["sizes"]:
            sizes.append((width, height))
            if args.get("turn") and width != height and [height, width] not in args["sizes"]:
                sizes.append((height, width))
        seq = 0
        for width, height in sizes:
            _resize(ui, width, height)
            for index, language in enumerate(languages):
                messages = display_messages(the_site, device, language, digits)
                state = messages[-1][1]
                seq += 1
                offline = index == 1  # the offline mark takes room in the header once per size
                for kind, payload in messages:
                    if kind == "link":
                        payload = not offline
                    if kind == "zone_state":
                        payload = dict(payload, seq=seq * 10)
                    ui.call(app._post, kind, payload)
                ui.call(app._post, EVENT, newest_call_event(the_site, state, language, seq * 10 + 1))
                ui.wait_until(lambda: app.root.ids.now.highlighted and not app._rest_pending, what="the live call")
                ui.frames(3)
                case = f"display {args.get('site', 'example')} {width}x{height} {language}" + \
                    (" offline" if offline else "")
                _record(out, case, ui.call(check_layout, ui.Window, minimum))
                name = shots.get(f"{width}x{height}/{language}")
                if name:
                    out["shots"].append(str(ui.screenshot(name)))
        return out

    return run_app(app, script, timeout=args.get("timeout", 3000))


# ------------------------------------------------------------------ the kiosk


class StubConnection:
    """What KioskApp needs of a HubConnection when the scenario hands it the config and content."""

    def __init__(self, site_config: dict, device: dict, packs: dict):
        self.site_config, self.device, self.content = site_config, device, packs
        self.on_config = self.on_content = self.on_availability = None
        self.service_state: dict = {}

    def start(self) -> "StubConnection":
        return self

    def close(self) -> None:
        pass

    def availability(self) -> tuple[bool, str]:
        return True, ""

    def issue(self, request, done) -> None:
        pass

    def report_health(self, **_fields) -> None:
        pass
