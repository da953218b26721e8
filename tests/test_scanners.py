"""Scanners: what a scan means, serial scanners on a pty, wedge scanners from evdev events.

The serial scanner under test is the real driver (pyserial) reading a
pseudo-terminal; the pretend scanner writes at the far end.  The wedge
scanner under test is the real driver fed real ``evdev.InputEvent`` objects
through a fake device with evdev's read interface (there is no /dev/uinput).
"""

from __future__ import annotations

import pytest
from evdev import InputEvent, ecodes
from pydantic import ValidationError

from contract.qr import TicketQR, new_ref
from hardware.scanner import (REASONS, AppointmentScan, ScanParser, ScannerState, TicketScan, UnknownScan,
                              appointment_code, new_appointment_code, open_scanner)
from hardware.scanner.keymap import KeyDecoder
from hardware.scanner.mock import MockInputBus, PtyScanner, key_events
from hardware.scanner.parse import ALPHABET

from device_helpers import Recorder

SITE = "test-centre"
TICKET_QR = TicketQR(SITE, "2026-03-10", "A023", new_ref()).encode()


def attach(scanner) -> Recorder:
    recorder = Recorder()
    scanner.on_scan(recorder.scan)
    scanner.on_status(recorder.status)
    scanner.start()
    return recorder


# --------------------------------------------------------------------------- parsing

def test_ticket_qr_of_this_site_is_a_ticket_scan():
    scan = ScanParser(SITE).parse(TICKET_QR + "\r")
    assert isinstance(scan, TicketScan)
    assert scan.qr.code == "A023" and scan.qr.site == SITE


@pytest.mark.parametrize("text, reason", [
    (TicketQR("other-centre", "2026-03-10", "A023", new_ref()).encode(), "other_site"),
    ("OSS1:test-centre:2026-03-10:A023", "damaged_ticket"),
    ("5601234567890", "not_ours"),
    ("https://example.org/a", "not_ours"),
    ("APTITUDE", "not_ours"),
    ("", "empty"),
    ("   ", "empty"),
    ("A0\x0723", "unreadable"),
    ("A0\ufffd23", "unreadable"),
    ("APT-12", "appointment_typo"),
])
def test_garbage_gets_a_reason_and_a_friendly_message(text, reason):
    scan = ScanParser(SITE).parse(text)
    assert isinstance(scan, UnknownScan)
    assert scan.reason == reason
    assert scan.message == REASONS[reason] and scan.message.endswith(".")


def test_appointment_codes_are_read_forgivingly():
    code = appointment_code("7K3MQ9X")
    assert code.startswith("APT-7K3M-Q9X") and len(code) == 13
    body = code[4:].replace("-", "")
    parser = ScanParser(SITE)
    for variant in (code, code.lower(), "APT" + body, f"apt {body[:4]} {body[4:]}",
                    code.replace("0", "O").replace("1", "I")):
        scan = parser.parse(variant)
        assert isinstance(scan, AppointmentScan), variant
        assert scan.code == code


def test_every_single_misread_symbol_of_an_appointment_code_is_caught():
    parser = ScanParser(SITE)
    for _ in range(20):
        code = new_appointment_code()
        symbols = code[4:].replace("-", "")
        for position in range(8):
            for other in ALPHABET:
                if other == symbols[position]:
                    continue
                wrong = symbols[:position] + other + symbols[position + 1:]
                scan = parser.parse(f"APT-{wrong[:4]}-{wrong[4:]}")
                assert isinstance(scan, UnknownScan) and scan.reason == "appointment_typo", wrong


def test_appointment_body_must_be_seven_symbols():
    with pytest.raises(ValueError):
        appointment_code("7K3MQ9")
    with pytest.raises(ValueError):
        appointment_code("7K3MQ9U")  # U is not in Crockford base32


# --------------------------------------------------------------------------- serial

@pytest.fixture
def serial_fake():
    with PtyScanner() as fake:
        yield fake


def test_serial_scans_arrive_parsed_with_any_line_ending(serial_fake):
    code = new_appointment_code()
    scanner = open_scanner({"kind": "serial", "serial_port": serial_fake.port}, parser=ScanParser(SITE),
                           reconnect_s=0.05)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        serial_fake.scan(TICKET_QR)                     # CR LF
        serial_fake.scan(code, end=b"\r")               # CR only
        serial_fake.scan("5601234567890", end=b"\n")    # LF only
        serial_fake.scan(b"\xff\xfe garbage")           # not UTF-8
        scans = seen.wait_scans(4)
    assert isinstance(scans[0], TicketScan) and scans[0].qr.code == "A023"
    assert isinstance(scans[1], AppointmentScan) and scans[1].code == code
    assert isinstance(scans[2], UnknownScan) and scans[2].reason == "not_ours"
    assert isinstance(scans[3], UnknownScan) and scans[3].reason == "unreadable"
    assert len(scans) == 4


def test_serial_line_split_across_reads_is_one_scan(serial_fake):
    import os

    scanner = open_scanner({"kind": "serial", "serial_port": serial_fake.port}, parser=ScanParser(SITE))
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        os.write(serial_fake._port.master, TICKET_QR[:10].encode())
        os.write(serial_fake._port.master, TICKET_QR[10:].encode() + b"\r\n")
        scans = seen.wait_scans(1)
    assert [s.raw for s in scans] == [TICKET_QR]


def test_unplugged_serial_scanner_reports_and_reconnects(serial_fake):
    scanner = open_scanner({"kind": "serial", "serial_port": serial_fake.port}, parser=ScanParser(SITE),
                           reconnect_s=0.05)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        serial_fake.unplug()
        seen.wait_state("disconnected")
        assert scanner.status.state is ScannerState.DISCONNECTED
        assert serial_fake.port in scanner.status.detail
        serial_fake.plug()
        seen.wait_state("ok")
        serial_fake.scan(TICKET_QR)
        assert isinstance(seen.wait_scans(1)[0], TicketScan)
    assert seen.states == ["ok", "disconnected", "ok"]


def test_missing_serial_port_at_start_is_disconnected_not_a_crash(tmp_path):
    scanner = open_scanner({"kind": "serial", "serial_port": str(tmp_path / "ttyACM9")}, reconnect_s=0.05)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("disconnected")


# --------------------------------------------------------------------------- HID (evdev)

@pytest.fixture
def bus():
    return MockInputBus()


def hid_scanner(bus, **kwargs):
    return open_scanner({"kind": "hid", "hid_device": bus.path}, open_device=bus.open,
                        list_devices=bus.list_devices, parser=ScanParser(SITE), reconnect_s=0.05, **kwargs)


def test_wedge_scanner_keystrokes_become_scans(bus):
    code = new_appointment_code()
    scanner = hid_scanner(bus)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        assert bus.current().grabbed, "the scanner's keystrokes must not reach the kiosk's screen"
        bus.type(TICKET_QR)
        bus.type(code)
        bus.type("Hello, World! 5+5=10")
        scans = seen.wait_scans(3)
    assert isinstance(scans[0], TicketScan) and scans[0].raw == TICKET_QR
    assert isinstance(scans[1], AppointmentScan) and scans[1].code == code
    assert scans[2].raw == "Hello, World! 5+5=10" and scans[2].reason == "not_ours"
    assert bus.opened[-1].closed


def test_key_decoder_handles_shift_caps_lock_and_unknown_keys():
    decoder = KeyDecoder()

    def feed(events):
        out = [decoder.feed(e) for e in events]
        return [text for text in out if text is not None]

    def press(code):
        return [InputEvent(0, 0, ecodes.EV_KEY, code, 1), InputEvent(0, 0, ecodes.EV_KEY, code, 0)]

    assert feed(key_events("aB:?")) == ["aB:?"]
    # Caps Lock turns letters upper case, not digits; Shift turns them back
    events = press(ecodes.KEY_CAPSLOCK) + key_events("ab1", enter=False)
    events += [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 1)] + press(ecodes.KEY_C)
    events += [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 0)] + press(ecodes.KEY_CAPSLOCK)
    events += press(ecodes.KEY_D) + press(ecodes.KEY_ENTER)
    assert feed(events) == ["AB1cd"]
    # a key with no character (F5) makes the scan unreadable instead of silently shorter
    text = feed(press(ecodes.KEY_A) + press(ecodes.KEY_F5) + press(ecodes.KEY_KPENTER))
    assert text == ["a\ufffd"]
    assert ScanParser().parse(text[0]).reason == "unreadable"


def test_unplugged_wedge_scanner_reports_and_reconnects(bus):
    scanner = hid_scanner(bus)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        first = bus.current()
        bus.unplug()
        seen.wait_state("disconnected")
        assert "No such device" in scanner.status.detail or "No such file" in scanner.status.detail
        bus.plug()
        seen.wait_state("ok")
        assert bus.current() is not first
        bus.type(TICKET_QR)
        assert isinstance(seen.wait_scans(1)[0], TicketScan)
    assert seen.states == ["ok", "disconnected", "ok"]
    assert all(device.closed for device in bus.opened)


def test_wedge_scanner_found_by_name(bus):
    scanner = open_scanner({"kind": "hid", "hid_device": bus.name}, open_device=bus.open,
                           list_devices=bus.list_devices, reconnect_s=0.05)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        bus.type("APT")
        assert seen.wait_scans(1)[0].raw == "APT"


# --------------------------------------------------------------------------- config

def test_no_scanner_configured_is_disabled_and_closes_twice():
    scanner = open_scanner({"kind": "none"})
    scanner.start()
    assert scanner.status.state is ScannerState.DISABLED
    scanner.close()
    scanner.close()


def test_incomplete_scanner_config_is_refused_clearly():
    with pytest.raises(ValidationError, match="serial_port"):
        open_scanner({"kind": "serial"})
    with pytest.raises(ValidationError, match="hid_device"):
        open_scanner({"kind": "hid"})
