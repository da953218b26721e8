"""Wall-display scenarios that run inside a Kivy child process (tests/kivy_harness.py).

Each function takes the args dict from the test: the broker's port, the site
id, the display's and the counters' credentials, the data folder and the
options.  The display is the real DisplayApp on a real DeviceLink; the
counters that call tickets are real DeviceLinks in the same process (their
own broker logins), so everything the display sees went through Mosquitto
and the hub.  Kivy is imported only inside the functions.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from kivy_harness import Driver, run_app

from mqttlink.link import DeviceLink
from siteconf.device import Timing

FAST = Timing(request_timeout_s=3.0, request_expiry_s=5.0, reconnect_min_s=0.05, reconnect_max_s=0.3)


def link_for(args: dict, device_id: str, start: bool = True) -> DeviceLink:
    link = DeviceLink(args["site_id"], device_id, args["passwords"][device_id], host="127.0.0.1", port=args["port"],
                      role=args.get("roles", {}).get(device_id, "counter"), timing=FAST)
    if start:
        link.start()
        assert link.wait_connected(5), f"{device_id} could not connect"
    return link


def make_app(args: dict):
    from display.announce.timing import AnnounceTiming
    from display.app import DisplayApp, DisplayOptions
    timing = AnnounceTiming(**args.get("timing", {})) if args.get("timing") else AnnounceTiming()
    options = DisplayOptions(motion=args.get("motion", False), highlight_s=args.get("highlight_s", 30.0),
                             audio=args.get("audio", False), data_dir=args["data_dir"], timing=timing,
                             follow_screen=False, trace=args.get("trace"))
    return DisplayApp(link_for(args, args["display"], start=False), args["display"], options)


# ----------------------------------------------------------- what a person sees


def read(app) -> dict:
    """What the screen shows, read from the widgets (call on the main thread)."""
    root = app.root
    now = root.ids.now
    rows = [(r.code, r.counter_number) for r in root._call_rows if r.opacity and r.code]
    services = [(r.prefix, r.name, r.waiting, r.estimate) for r in root._service_rows if r.opacity]
    return {"code": now.ids.code.text, "counter": now.ids.counter.source_text,
            "visitor_counter": now.ids.visitor_counter.source_text, "badge": now.badge,
            "highlighted": now.highlighted, "previous": rows, "services": services,
            "offline_visible": root.ids.offline.opacity > 0, "offline_text": root.ids.offline.text,
            "site": root.site_name, "clock": root.ids.clock.text,
            "ticker_items": len(root.ids.ticker.items)}


def texts(ui: Driver) -> dict:
    return ui.call(read, ui.app)


def every_service_page(ui: Driver) -> list[tuple]:
    """The waiting list's rows on every page, turned as the page timer turns them (then back to the first)."""
    def turn_all(app):
        root = app.root
        rows = root._service_rows
        total = len(root.view.services) if root.view is not None else 0
        pages = max(1, -(-total // max(1, len(rows))))
        seen = []
        for _ in range(pages):
            seen += [(r.prefix, r.name, r.waiting, r.estimate) for r in rows if r.opacity]
            root._next_page(0)
        return {"seen": seen, "pages": pages, "paging": root._page_event is not None or pages == 1}
    return ui.call(turn_all, ui.app)


def wait_for_code(ui: Driver, code: str, timeout: float = 10.0) -> dict:
    """Wait until ``code`` is the newest call on screen, and the frames after it (the list of
    previous calls and the waiting counts follow the newest call by one frame)."""
    ui.wait_until(lambda: ui.app.root.ids.now.ids.code.text == code, timeout, f"{code} on screen")
    ui.wait_until(lambda: not ui.app._rest_pending, timeout, "the rest of the picture")
    ui.frames(2)
    return texts(ui)


# ------------------------------------------------------------------ scenarios


def layout_screenshots(args: dict) -> dict:
    """The retained picture (calls in several scripts), then a live call highlighted; screenshots of both."""
    app = make_app(args)

    def script(ui: Driver) -> dict:
        ui.wait_until(lambda: app.board.has_state and app.board.config.site_name, 15, "the retained state")
        ui.wait_until(lambda: not app.board.offline, 10, "the hub online")
        seen = wait_for_code(ui, args["expect_top"])
        ui.screenshot(f"display/{args['name']}-retained")
        counter = link_for(args, args["live_counter"])
        reply = counter.request("call_next")
        live = wait_for_code(ui, reply["ticket"]["code"])
        ui.screenshot(f"display/{args['name']}-new-call")
        counter.close()
        return {"retained": seen, "live": live, "live_code": reply["ticket"]["code"],
                "pages": every_service_page(ui)}

    return run_app(app, script)


def call_appears_and_survives_restart(args: dict) -> dict:
    """A counter's call appears on screen, highlighted; the result says what the screen showed."""
    app = make_app(args)

    def script(ui: Driver) -> dict:
        ui.wait_until(lambda: app.board.has_state, 15, "the retained state")
        before = texts(ui)
        counter = link_for(args, args["counter"])
        sent = time.monotonic()
        reply = counter.request("call_next")
        after = wait_for_code(ui, reply["ticket"]["code"])
        shown_s = time.monotonic() - sent
        ui.screenshot(f"display/{args['name']}")
        counter.close()
        return {"before": before, "after": after, "code": reply["ticket"]["code"], "shown_s": shown_s}

    return run_app(app, script)


def retained_after_restart(args: dict) -> dict:
    """A display started after the calls draws them at once from retained state."""
    app = make_app(args)

    def script(ui: Driver) -> dict:
        started = time.monotonic()
        seen = wait_for_code(ui, args["expect_top"], timeout=15)
        drawn_s = time.monotonic() - started
        ui.screenshot(f"display/{args['name']}")
        return {"seen": seen, "drawn_s": drawn_s}

    return run_app(app, script)


def broker_outage(args: dict) -> dict:
    """Offline mark while the broker is down (the test stops it), recovery with no call missing.

    Steps are synchronised with the test through files in ``args["sync"]``."""
    app = make_app(args)
    sync = Path(args["sync"])

    def signal(name: str, data: dict | None = None) -> None:
        (sync / f"{name}.json").write_text(json.dumps(data or {}))

    def wait_file(name: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        path = sync / f"{name}.json"
        while not path.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"the test did not signal {name} within {timeout} s")
            time.sleep(0.02)
        return json.loads(path.read_text())

    def script(ui: Driver) -> dict:
        ui.wait_until(lambda: app.board.has_state and not app.board.offline, 15, "online with state")
        counter = link_for(args, args["counter"])
        first = counter.request("call_next")["ticket"]["code"]
        wait_for_code(ui, first)
        signal("ready")
        wait_file("broker-stopped")
        ui.wait_until(lambda: read(app)["offline_visible"], 15, "the offline mark")
        offline = texts(ui)
        ui.screenshot(f"display/{args['name']}-offline")
        wait_file("broker-started")
        # the counter calls as soon as it is back, maybe before the display has reconnected
        ui.wait_until(lambda: counter.connected, 15, "the counter reconnected")
        second = counter.request("call_next")["ticket"]["code"]
        ui.wait_until(lambda: not read(app)["offline_visible"], 15, "the offline mark gone")
        wait_for_code(ui, second)
        third = counter.request("call_next")["ticket"]["code"]
        recovered = wait_for_code(ui, third)
        ui.screenshot(f"display/{args['name']}-recovered")
        counter.close()
        return {"first": first, "second": second, "third": third, "offline": offline, "recovered": recovered}

    return run_app(app, script)


def announcements(args: dict) -> dict:
    """Quick calls by a counter while SDL's disk driver records what is played."""
    app = make_app(args)

    def script(ui: Driver) -> dict:
        ui.wait_until(lambda: app.board.has_state and not app.board.offline, 15, "online with state")
        counter = link_for(args, args["counter"])
        calls = []
        for _ in range(args["calls"]):
            sent = time.monotonic()
            calls.append({"code": counter.request("call_next")["ticket"]["code"], "sent": sent})
        wait_for_code(ui, calls[-1]["code"])
        expected_parts = args["expected_parts"]
        ui.wait_until(lambda: app.player is not None and len(app.player.history) >= expected_parts
                      and "ended" in app.player.history[-1] and app.player.idle, 90, "every announcement played")
        time.sleep(0.5)  # the disk driver writes the last buffers
        counter.close()
        history = ui.call(lambda: [dict(h) for h in app.player.history])
        return {"calls": calls, "history": history, "synthesised": app.player.speech.synthesised}

    return run_app(app, script)
