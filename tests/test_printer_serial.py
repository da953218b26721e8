"""A serial ticket printer on a pseudo-terminal with a pretend printer at the far end.

``PtyPrinter`` answers the real ESC/POS status queries (DLE EOT) as a printer
that is online, near the end of its paper, out of paper, with its cover open,
silent, or not reading at all; the driver under test is the real one
(python-escpos' Serial class over pyserial).
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from hardware.printer import PrinterFault, PrinterState, TicketPrinter, ticket_layout
from hardware.printer import stream
from hardware.printer.mock import PtyPrinter
from siteconf.slices import public_config

from device_helpers import Recorder

TICKET = {"code": "B023", "service": "immigration", "status": "waiting", "priority": False, "language": "en",
          "service_day": "2026-03-10", "issued_at": "2026-03-10T09:02:00+00:00", "people_ahead": 3,
          "estimated_wait_min": 20, "qr": "OSS1:test-centre:2026-03-10:B023:abcdefghijklmnopqr"}


@pytest.fixture
def layout(site):
    return ticket_layout(TICKET, public_config(site))


@pytest.fixture
def fake():
    with PtyPrinter() as printer:
        yield printer


def serial_printer(fake, changes: Recorder | None = None, poll=0.05, **kwargs) -> TicketPrinter:
    config = {"connector": "serial", "serial_port": fake.port, "baudrate": 9600, "status_poll_s": poll}
    printer = TicketPrinter(config, status_timeout_s=0.2, **kwargs)
    if changes is not None:
        printer.add_status_listener(changes.status)
    return printer.start()


def test_online_printer_gets_the_whole_ticket(fake, layout):
    with serial_printer(fake) as printer:
        result = printer.print_ticket(layout)
        assert result.status.state is PrinterState.OK
        assert fake.wait_for_cuts(1)
    data = fake.take()
    assert stream.unknown_commands(data) == []
    assert stream.qr_payloads(data) == [TICKET["qr"]]
    assert stream.cut_count(data) == 1
    assert "\nB023\n" in stream.decoded_text(data)
    # the printer was asked before and after: DLE EOT 1 and 4 around the ticket
    queries = [c.data[0] for c in stream.commands(data, "DLE EOT")]
    assert queries[:2] == [1, 4] and queries[-2:] == [1, 4]


@pytest.mark.parametrize("mode, state", [("paper_out", "paper_out"), ("cover_open", "cover_open"),
                                         ("offline", "offline"), ("silent", "no_answer")])
def test_fault_refuses_before_printing_anything(fake, layout, mode, state):
    changes = Recorder()
    fake.set_mode(mode)
    with serial_printer(fake, changes) as printer:
        changes.wait_state(state)
        with pytest.raises(PrinterFault) as fault:
            printer.print_ticket(layout)
    assert fault.value.reason == state
    assert fault.value.printed is False
    assert stream.cut_count(fake.take()) == 0
    assert stream.commands(fake.received, "GS ( k") == []


def test_near_end_still_prints_and_is_reported(fake, layout):
    changes = Recorder()
    with serial_printer(fake, changes) as printer:
        changes.wait_state("ok")
        fake.set_mode("near_end")
        changes.wait_state("paper_near_end")
        result = printer.print_ticket(layout)
        assert result.status.state is PrinterState.PAPER_NEAR_END
        assert fake.wait_for_cuts(1)


def test_status_changes_are_polled_and_reported_once_each(fake):
    changes = Recorder()
    with serial_printer(fake, changes):
        changes.wait_state("ok")
        for mode, state in [("near_end", "paper_near_end"), ("paper_out", "paper_out"), ("silent", "no_answer"),
                            ("online", "ok")]:
            fake.set_mode(mode)
            changes.wait_state(state)
    assert changes.states == ["ok", "paper_near_end", "paper_out", "no_answer", "ok"]


def test_paper_running_out_during_the_ticket_is_a_fault_after_printing(fake, layout):
    """The printer takes the ticket, then reports paper end: the visitor may hold half a ticket."""
    with serial_printer(fake, poll=30) as printer:
        printer.check_status()
        original = fake._command

        def run_out_at_the_cut(master, command, now):
            original(master, command, now)
            if command.name == "GS V":
                fake.set_mode("paper_out")

        fake._command = run_out_at_the_cut
        with pytest.raises(PrinterFault) as fault:
            printer.print_ticket(layout)
    assert fault.value.reason == "paper_out"
    assert fault.value.printed is True


def test_unplugged_printer_is_an_io_error_and_comes_back(fake, layout):
    changes = Recorder()
    with serial_printer(fake, changes) as printer:
        changes.wait_state("ok")
        fake.unplug()
        changes.wait_state("io_error")
        with pytest.raises(PrinterFault) as fault:
            printer.print_ticket(layout)
        assert fault.value.reason == "io_error"
        fake.plug()
        changes.wait_state("ok")
        printer.print_ticket(layout)
        assert fake.wait_for_cuts(1)


def test_a_printer_that_stops_reading_never_blocks_the_caller(fake):
    """More bytes than the pty buffer holds, to a printer that reads nothing: the write times out."""
    with serial_printer(fake, poll=30) as printer:
        printer.check_status()
        fake.jam_after(6 + 64)  # answers the two status queries, takes 64 bytes, then stops
        started = time.monotonic()
        with pytest.raises(PrinterFault) as fault:
            printer.print_bytes(b"\x1b@" + b"x" * 200_000, timeout_s=0.5)
        assert time.monotonic() - started < 2.0
        assert printer.status.state is PrinterState.NO_ANSWER
    assert fault.value.reason == "timeout"
    assert fault.value.printed is True


def test_a_driver_stuck_in_open_makes_callers_fail_fast(tmp_path, layout):
    """A device file whose open() blocks (here a FIFO nobody reads) keeps the worker busy:
    the first caller gets a fault after the stuck job's deadline, later ones at once,
    and printing works again when the device does."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    changes = Recorder()
    printer = TicketPrinter({"connector": "file", "path": str(fifo), "status_poll_s": 0.1}, status_timeout_s=0.1)
    printer.add_status_listener(changes.status)
    printer.start()
    try:
        with pytest.raises(PrinterFault) as first:
            printer.print_ticket(layout, timeout_s=0.3)
        assert first.value.reason == "busy"
        assert changes.states[-1] == "no_answer"
        started = time.monotonic()
        with pytest.raises(PrinterFault):
            printer.print_ticket(layout, timeout_s=0.3)
        assert time.monotonic() - started < 0.5
        received = []
        reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
        reader.start()
        changes.wait_state("unmonitored")
        printer.print_ticket(layout)
    finally:
        printer.close()
        reader.join(timeout=5)
    assert stream.qr_payloads(received[0]) == [TICKET["qr"]]


def test_close_is_idempotent_and_later_prints_fail_cleanly(fake, layout):
    printer = serial_printer(fake)
    wait_for_state(printer, "ok")
    assert repr(printer) == f"<TicketPrinter serial {fake.port} ok>"
    printer.close()
    printer.close()
    assert printer.closed and repr(printer) == f"<TicketPrinter serial {fake.port} closed>"
    with pytest.raises(PrinterFault):
        printer.print_ticket(layout)
    assert repr(TicketPrinter({"connector": "none"})) == "<TicketPrinter none disabled>"


def wait_for_state(printer: TicketPrinter, state: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while printer.status.state.value != state:
        assert time.monotonic() < deadline, f"the printer stays {printer.status.state.value}"
        time.sleep(0.01)


def test_every_status_listener_hears_each_change_and_a_failing_one_stops_none(fake):
    first, second = Recorder(), Recorder()
    printer = TicketPrinter({"connector": "serial", "serial_port": fake.port, "status_poll_s": 0.05},
                            status_timeout_s=0.2)
    printer.add_status_listener(first.status)
    printer.add_status_listener(lambda status: 1 / 0)  # logged; the next listener still hears
    printer.add_status_listener(second.status)
    with printer:
        first.wait_state("ok")
        fake.set_mode("paper_out")
        first.wait_state("paper_out")
        second.wait_state("paper_out")
    assert first.states == second.states


def test_a_ticket_made_beforehand_is_printed_asynchronously_as_it_was_made(fake, layout):
    """The kiosk makes the bytes before its screen draws, then prints them without waiting."""
    from hardware.printer.escpos_writer import ticket_bytes

    with serial_printer(fake) as printer:
        data = ticket_bytes(layout, printer.media)
        result = printer.print_ticket_async(layout, data=data).result(timeout=10)
        assert result.bytes_sent == len(data)
        assert fake.wait_for_cuts(1)
    assert data in bytes(fake.received)


def test_printer_that_never_answers_status_can_be_used_without_queries(fake, layout):
    """Some printers do not implement DLE EOT: with status_queries = false they print
    unmonitored (faults show only as write errors) instead of being refused as no_answer."""
    fake.set_mode("silent")
    config = {"connector": "serial", "serial_port": fake.port, "status_poll_s": 0.05, "status_queries": False}
    with TicketPrinter(config, status_timeout_s=0.2) as printer:
        result = printer.print_ticket(layout)
        assert result.status.state is PrinterState.UNMONITORED
        assert fake.wait_for(lambda: stream.cut_count(bytes(fake.received)) == 1)
    assert fake.status_queries == 0
