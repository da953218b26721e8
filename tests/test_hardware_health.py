"""Printer and scanner faults reach the hub's broker as the device's retained health report.

Real broker and hub (``centre``), the kiosk's own DeviceLink, a serial printer
and a serial scanner on pseudo-terminals with pretend devices at the far end.
"""

from __future__ import annotations

import pytest

from hardware.health import HealthReport
from hardware.printer import PrinterFault, TicketPrinter, ticket_layout
from hardware.printer.mock import PtyPrinter
from hardware.scanner import open_scanner
from hardware.scanner.mock import PtyScanner
from mqttlink.link import DeviceLink
from siteconf.slices import public_config

from mqtt_helpers import Inbox

KIOSK = "kiosk-1"


def health_is(printer: str, scanner: str):
    return lambda topic, payload: payload.get("printer") == printer and payload.get("scanner") == scanner


@pytest.mark.broker
def test_faults_are_reported_together_and_recoveries_too(centre):
    link: DeviceLink = centre.link(KIOSK)
    inbox = Inbox()
    link.subscribe(link.topics.health(KIOSK), inbox)
    ticket = link.request("issue_ticket", service="reception", language="en")["ticket"]
    layout = ticket_layout(ticket, public_config(centre.site))
    with PtyPrinter() as paper, PtyScanner() as wand:
        printer = TicketPrinter({"connector": "serial", "serial_port": paper.port, "status_poll_s": 0.05},
                                status_timeout_s=0.2)
        scanner = open_scanner({"kind": "serial", "serial_port": wand.port}, reconnect_s=0.05)
        HealthReport(link.publish_health).watch_printer(printer).watch_scanner(scanner)
        with printer, scanner:
            inbox.wait_for(health_is("ok", "ok"))
            paper.set_mode("paper_out")
            inbox.wait_for(health_is("paper_out", "ok"))
            with pytest.raises(PrinterFault) as fault:
                printer.print_ticket(layout)
            assert fault.value.reason == "paper_out"
            wand.unplug()
            inbox.wait_for(health_is("paper_out", "disconnected"))
            paper.set_mode("online")
            wand.plug()
            inbox.wait_for(health_is("ok", "ok"))
            printer.print_ticket(layout)
            assert paper.wait_for_cuts(1)
    reports = [p for _, p in inbox.messages]
    assert all(p["device"] == KIOSK and p["type"] == "health" for p in reports)
    # one report per change, never a repeat of the same state
    pairs = [(p["printer"], p["scanner"]) for p in reports]
    assert all(a != b for a, b in zip(pairs, pairs[1:]))

    # retained: whoever looks later (a technician's tool) sees the last state
    later = Inbox()
    second = centre.monitor()  # a technician's tool: read only, never the kiosk's login
    second.subscribe(second.topics.health(KIOSK), later)
    _, last = later.wait_for(lambda topic, payload: True)
    assert (last["printer"], last["scanner"]) == pairs[-1]
