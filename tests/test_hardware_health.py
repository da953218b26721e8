"""Printer and scanner faults reach the hub's broker as the device's retained health report.

Real broker and hub (``centre``), the kiosk's own DeviceLink, a serial printer
and a serial scanner on pseudo-terminals with pretend devices at the far end.
"""

from __future__ import annotations

import time

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


def test_the_report_waits_for_the_broker_and_says_it_all_again_when_it_is_back(tmp_path):
    """One reporter for every device: parts merged, sent only on a change and only while
    connected, the whole report again after a reconnect; a closed device's late change is ignored."""
    from hardware.printer import PrinterState, PrinterStatus

    sent: list[dict] = []
    connected = [False]
    printer = TicketPrinter({"connector": "file", "path": str(tmp_path / "no" / "lp0"), "status_poll_s": 0.05})
    health = HealthReport(lambda **parts: sent.append(parts), connected=lambda: connected[0])
    health.watch_printer(printer).update(tickets="ok")
    assert sent == []  # the broker is away: nothing queued up behind it
    connected[0] = True
    health.publish()
    assert sent == [{"printer": "unknown", "printer_detail": "not checked yet", "tickets": "ok"}]
    health.update(tickets="ok")
    assert len(sent) == 1  # no change, no message
    with printer:  # its first poll finds no such file
        deadline = time.monotonic() + 5
        while sent[-1]["printer"] != "io_error":
            assert time.monotonic() < deadline, sent
            time.sleep(0.01)
    assert sent[-1]["tickets"] == "ok" and "lp0" in sent[-1]["printer_detail"]
    printer._set_status(PrinterStatus(PrinterState.OK, "late"))  # as a job finishing after close() would
    assert sent[-1]["printer"] == "io_error"  # a closed (replaced) printer says nothing more
