"""``onestop-display --console``: the display's core in a terminal.

It follows the same feed and board model as the wall screen and prints every
call it would announce; the simulated centre and the role tests use it where
there is no screen.
"""

from __future__ import annotations

import threading

from display.board import BoardModel, CallToAnnounce
from display.feed import DEVICE, EVENT, HUB, LINK, SITE, ZONE_STATE, ZoneFeed
from mqttlink.link import DeviceLink


def format_call(call: CallToAnnounce) -> str:
    again = " (again)" if call.recall else ""
    return f"{call.code} -> counter {call.counter_number}{again} [{call.language}]"


def run_console(link: DeviceLink, device_id: str) -> int:
    board = BoardModel(device_id)
    lock = threading.Lock()

    def post(kind: str, payload) -> None:
        with lock:
            if kind == DEVICE:
                zone = board.on_device_config(payload)
                if zone:
                    print(f"{device_id}: showing zone {zone}", flush=True)
            elif kind == SITE:
                board.on_site_config(payload)
            elif kind == ZONE_STATE:
                board.on_zone_state(payload)
            elif kind == EVENT:
                for call in board.on_event(payload):
                    print(format_call(call), flush=True)
            elif kind == HUB:
                was = board.offline
                board.on_hub_presence(payload)
                if board.offline != was:
                    print(f"{device_id}: {'offline' if board.offline else 'online'}", flush=True)
            elif kind == LINK:
                board.on_link(bool(payload))

    ZoneFeed(link, device_id, post)
    link.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    return 0
