"""Kiosk scenarios run inside an arm64 device tree by the rehearsal (tests/test_pi_rehearsal.py).

Copied with ``kivy_harness.py`` into the tree's ``/opt/rehearsal`` and run by the firmware's own
virtual environment under qemu, as the kiosk's service user: the real kiosk (its device file, its
link over TLS to the hub's tree, its File printer) in an offscreen window, tapped by a script.
Only the standard library and the firmware are importable there.
"""

from __future__ import annotations

import time


def _by(attr: str, value):
    return lambda w: getattr(w, attr, None) == value and hasattr(w, "trigger_action")


def issue_one_ticket(args: dict) -> dict:
    """The language, then "I don't know": a ticket of the welcoming office, printed to the file."""
    started = time.monotonic()
    from kiosk.launch import make_kiosk
    printer = {"connector": "file", "path": args["printer_file"]} if args.get("printer_file") else None
    app = make_kiosk(args["device"], configure=False, animations=False, printer_override=printer)
    built = time.monotonic()

    def script(ui) -> dict:
        first_frame = time.monotonic()
        ui.wait_until(lambda: app.tickets_available and app.site_config is not None, timeout=300,
                      what="the hub's config and tickets available")
        ready = time.monotonic()
        ui.tap(ui.find(_by("code", args.get("language", "pt")), what="the language"))
        ui.tap(ui.find(_by("action", "unsure"), what="I don't know", timeout=120))
        ui.wait_until(lambda: app.flow.state.ticket is not None, timeout=120, what="the ticket screen")
        ui.wait_until(lambda: app.flow.state.print_state != "printing", timeout=120, what="the printer")
        ticket = ui.call(lambda: dict(app.flow.state.ticket))
        return {"code": ticket["code"], "service": ticket["service"], "ref": ticket.get("ref"),
                "print": app.flow.state.print_state,
                "import_and_build_s": round(built - started, 1), "first_frame_s": round(first_frame - started, 1),
                "ready_s": round(ready - started, 1), "ticket_s": round(time.monotonic() - started, 1)}

    from kivy_harness import run_app
    return run_app(app, script)
