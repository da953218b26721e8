"""A network ticket printer (python-escpos' Network class) against a pretend printer
listening on a loopback port, answering the real status queries."""

from __future__ import annotations

import pytest

from hardware.printer import PrinterFault, PrinterState, TicketPrinter, ticket_layout
from hardware.printer import stream
from hardware.printer.mock import TcpPrinter
from siteconf.slices import public_config

from device_helpers import Recorder
from test_printer_serial import TICKET


@pytest.fixture
def layout(site):
    return ticket_layout(TICKET, public_config(site))


def watched(config: dict, recorder: Recorder) -> TicketPrinter:
    """A started printer whose status changes go to ``recorder``."""
    printer = TicketPrinter(config, status_timeout_s=0.2)
    printer.add_status_listener(recorder.status)
    return printer.start()


def network_printer(fake: TcpPrinter, recorder: Recorder) -> TicketPrinter:
    return watched({"connector": "network", "host": fake.host, "port": fake.port, "status_poll_s": 0.05}, recorder)


def test_network_printer_prints_and_reports_paper_out(layout):
    recorder = Recorder()
    with TcpPrinter() as fake, network_printer(fake, recorder) as printer:
        recorder.wait_state("ok")
        future = printer.print_ticket_async(layout)
        assert future.result(timeout=5).status.state is PrinterState.OK
        assert fake.wait_for_cuts(1)
        assert stream.qr_payloads(bytes(fake.received)) == [TICKET["qr"]]
        fake.set_mode("paper_out")
        recorder.wait_state("paper_out")
        with pytest.raises(PrinterFault) as fault:
            printer.print_ticket_async(layout).result(timeout=5)
        assert fault.value.reason == "paper_out"


def test_nobody_listening_is_an_io_error():
    recorder = Recorder()
    with TcpPrinter() as fake:
        port = fake.port
    printer = watched({"connector": "network", "host": "127.0.0.1", "port": port, "status_poll_s": 0.05}, recorder)
    try:
        recorder.wait_state("io_error")
        assert "127.0.0.1" in printer.status.detail
    finally:
        printer.close()


def test_usb_printer_that_is_not_plugged_in_is_an_io_error_naming_it():
    """The real pyusb/libusb lookup on this machine's bus, which has no Epson printer."""
    recorder = Recorder()
    config = {"connector": "usb", "usb_vendor": 0x04B8, "usb_product": 0x0202, "profile": "TM-T20II",
              "status_poll_s": 0.05}
    with watched(config, recorder) as printer:
        recorder.wait_state("io_error")
        assert "04b8:0202" in printer.status.detail
