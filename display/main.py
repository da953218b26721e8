"""``onestop-display``: the wall display of one zone.

Until the Kivy wall screen lands (see docs/architecture.md), this runs the
display's headless core: it follows its zone's retained state and live events
and prints every call, as the simulated centre does.
"""

from __future__ import annotations

import argparse
import threading

from mqttlink.bootstrap import DEFAULT_DEVICE_FILE, open_link


def format_call(event: dict) -> str:
    call = event["data"]
    again = " (again)" if event["event"] == "ticket_recalled" else ""
    return f"{call['code']} -> counter {call['counter_number']}{again} [{call['language']}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-display", description="Wall display (headless core).")
    parser.add_argument("--device", default=DEFAULT_DEVICE_FILE)
    args = parser.parse_args(argv)
    device, link = open_link(args.device, "display")
    zone: dict = {}
    ready = threading.Event()

    def on_slice(topic, payload):
        if payload:
            zone["id"] = payload["device"]["zone"]
            ready.set()

    def on_event(topic, event):
        if event and event.get("event") in ("ticket_called", "ticket_recalled"):
            print(format_call(event), flush=True)

    link.subscribe(link.topics.device_config(device.device_id), on_slice)
    link.start()
    try:
        ready.wait()
        link.subscribe(link.topics.zone_events(zone["id"]), on_event)
        print(f"{device.device_id}: showing zone {zone['id']}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return 0
