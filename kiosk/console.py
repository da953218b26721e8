"""``onestop-kiosk --console``: the kiosk in a terminal, without a screen.

For a technician at a kiosk without its touchscreen, and for tests of the
role processes: it reads the menu from the hub's retained site config, and
each typed number issues a ticket for that matter.  ``--language`` (default
``LANG``) picks the language.
"""

from __future__ import annotations

import sys
import threading

from contract.payloads import wait_range
from mqttlink.bootstrap import open_link
from mqttlink.link import LinkError, RequestRefused
from typeset.i18n import pick



def leaves(menu: list[dict]) -> list[dict]:
    out = []
    for entry in menu:
        out += [entry] if entry.get("service") else leaves(entry.get("children", []))
    return out


def wait_words(ticket: dict) -> str:
    """The estimated wait for the terminal: "about 20–35 min", "up to 35 min", or the one number of
    a hub that sends no range."""
    span = wait_range(ticket)
    if span:
        return f"up to {span[1]} min" if span[0] == 0 else f"about {span[0]}–{span[1]} min"
    return f"about {ticket.get('estimated_wait_min')} min"


def run_console(device_file: str, language: str) -> int:
    device, link = open_link(device_file, "kiosk")
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
        language = language if language in config["site"]["languages"] else default
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
            print(f"TICKET {ticket['code']}  {ticket['people_ahead']} ahead, {wait_words(ticket)}  {ticket['qr']}",
                  flush=True)
    finally:
        link.close()
    return 0
