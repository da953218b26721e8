"""``onestop-kiosk``: the ticket dispenser and information point.

The Kivy touchscreen app comes with the kiosk issue (see
docs/architecture.md); until then this runs the kiosk's core in a terminal:
it reads the menu from the hub's retained site config, and each typed
number issues a ticket for that matter.  ``LANG`` picks the language.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

from mqttlink.bootstrap import DEFAULT_DEVICE_FILE, open_link
from mqttlink.link import LinkError, RequestRefused


def leaves(menu: list[dict]) -> list[dict]:
    out = []
    for entry in menu:
        out += [entry] if entry.get("service") else leaves(entry.get("children", []))
    return out


def pick(text: dict, language: str, default: str) -> str:
    return text.get(language) or text.get("en") or text[default]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=DEFAULT_DEVICE_FILE)
    parser.add_argument("--language", default=os.environ.get("LANG", "pt")[:2])
    args = parser.parse_args(argv)
    device, link = open_link(args.device, "kiosk")
    config: dict = {}
    ready = threading.Event()

    def on_config(topic, payload):
        if payload:
            config.update(payload)
            ready.set()

    link.subscribe(link.topics.site_config(), on_config)
    link.start()
    try:
        if not ready.wait(30):
            print("tickets are unavailable: the hub does not answer", flush=True)
            return 1
        default = config["site"]["default_language"]
        language = args.language if args.language in config["site"]["languages"] else default
        entries = leaves(config["kiosk"]["menu"])
        for number, entry in enumerate(entries, 1):
            print(f"{number:>2}  {pick(entry['label'], language, default)}", flush=True)
        for line in sys.stdin:
            if not line.strip().isdigit() or not 1 <= int(line) <= len(entries):
                print(f"type 1-{len(entries)}", flush=True)
                continue
            entry = entries[int(line) - 1]
            try:
                ticket = link.request("issue_ticket", service=entry["service"], language=language)["ticket"]
            except (RequestRefused, LinkError) as exc:
                print(f"tickets are unavailable: {exc}", flush=True)
                continue
            print(f"TICKET {ticket['code']}  {ticket['people_ahead']} ahead, about "
                  f"{ticket['estimated_wait_min']} min  {ticket['qr']}", flush=True)
    finally:
        link.close()
    return 0
