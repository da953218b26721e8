"""Scanners: what a scan means, serial scanners on a pty, wedge scanners from evdev events.

The serial scanner under test is the real driver (pyserial) reading a
pseudo-terminal; the pretend scanner writes at the far end.  The wedge
scanner under test is the real driver fed real ``evdev.InputEvent`` objects
through a fake device with evdev's read interface (there is no /dev/uinput).
"""

from __future__ import annotations

import random
import time

import pytest
from evdev import InputEvent, ecodes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contract.qr import TicketQR, new_ref
from hardware.scanner import (REASONS, AppointmentScan, ScanParser, ScannerState, TicketScan, UnknownScan,
                              appointment_code, new_appointment_code, open_scanner)
from hardware.health import HealthReport
from hardware.scanner.keymap import MAX_SCAN_CHARS, US_KEYS, KeyDecoder
from hardware.scanner.mock import MockInputBus, PtyScanner, key_event, key_events, key_press
from hardware.scanner.parse import ALPHABET

from device_helpers import Recorder

SITE = "test-centre"
TICKET_QR = TicketQR(SITE, "2026-03-10", "A023", new_ref()).encode()


def attach(scanner) -> Recorder:
    recorder = Recorder()
    scanner.add_scan_listener(recorder.scan)
    scanner.add_status_listener(recorder.status)
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

    t = time.time()  # one burst, as a scanner types

    def press(code):
        return key_press(code, at=t)

    assert feed(key_events("aB:?", at=t)) == ["aB:?"]
    # Caps Lock turns letters upper case, not digits; Shift turns them back
    events = press(ecodes.KEY_CAPSLOCK) + key_events("ab1", enter=False, at=t)
    events += key_event(ecodes.KEY_LEFTSHIFT, 1, t) + press(ecodes.KEY_C)
    events += key_event(ecodes.KEY_LEFTSHIFT, 0, t) + press(ecodes.KEY_CAPSLOCK)
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


# --------------------------------------------------------------------------- HID: no state outlives a scan
#
# Event times are set by the test (a wedge scanner types a whole code within a few
# milliseconds; a person takes a second or more between two scans), so the idle
# gaps below cost no waiting.

#: between two scans: far more than the decoder's idle gap, far less than a person needs
LATER = 1.0


@pytest.fixture
def wedge(bus):
    scanner = hid_scanner(bus)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        yield scanner, seen


def replug(bus, seen) -> None:
    bus.wait_read()
    bus.unplug()
    seen.wait_state("disconnected")
    bus.plug()
    seen.wait_state("ok")


def test_wedge_stray_caps_lock_lasts_one_line_at_most(bus, wedge):
    scanner, seen = wedge
    t = time.time()
    bus.send(key_press(ecodes.KEY_CAPSLOCK, at=t))
    bus.type("apt", at=t)                    # typed in the same burst: capitals, as the scanner meant
    bus.type(TICKET_QR, at=t)                # the line end turned Caps Lock off again
    bus.send(key_press(ecodes.KEY_CAPSLOCK, at=t + LATER))
    bus.type(TICKET_QR, at=t + 2 * LATER)    # so did the idle gap before this scan
    bus.send(key_press(ecodes.KEY_CAPSLOCK, at=t + 2 * LATER))
    replug(bus, seen)
    bus.type(TICKET_QR, at=t + 2 * LATER)    # and so does plugging the scanner in again
    scans = seen.wait_scans(4)
    assert [s.raw for s in scans] == ["APT", TICKET_QR, TICKET_QR, TICKET_QR]
    assert scanner.status.bad_scans == 0     # a key without a scan is not a bad scan


def test_wedge_lost_shift_release_lasts_one_line_at_most(bus, wedge):
    scanner, seen = wedge
    t = time.time()
    bus.send(key_event(ecodes.KEY_LEFTSHIFT, 1, t))  # its release never comes
    bus.type("a1", at=t)                              # garbled, in the same burst
    bus.type(TICKET_QR, at=t)
    bus.send(key_event(ecodes.KEY_RIGHTSHIFT, 1, t + LATER))
    bus.type(TICKET_QR, at=t + 2 * LATER)
    bus.send(key_event(ecodes.KEY_RIGHTSHIFT, 1, t + 2 * LATER))
    replug(bus, seen)
    bus.type(TICKET_QR, at=t + 2 * LATER)
    scans = seen.wait_scans(4)
    assert [s.raw for s in scans] == ["A!", TICKET_QR, TICKET_QR, TICKET_QR]


def random_key_events(rng: random.Random, count: int, at: float) -> list[InputEvent]:
    """``count`` key events of any kind (presses, releases, autorepeats of characters, modifiers,
    Enter, keys without a character), all at ``at``."""
    keys = sorted(US_KEYS) + [ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT, ecodes.KEY_CAPSLOCK, ecodes.KEY_ENTER,
                              ecodes.KEY_KPENTER, ecodes.KEY_LEFTCTRL, ecodes.KEY_NUMLOCK, ecodes.KEY_F5]
    events: list[InputEvent] = []
    for _ in range(count):
        events += key_event(rng.choice(keys), rng.choice((0, 1, 1, 2)), at)
    return events


def test_wedge_reads_a_good_scan_after_5000_random_key_events(bus, wedge):
    scanner, seen = wedge
    rng, t = random.Random(5000), time.time()
    code = new_appointment_code()
    bus.send(random_key_events(rng, 5000, t) + key_press(ecodes.KEY_ENTER, at=t))
    bus.type(TICKET_QR, at=t)                               # right after a line end
    bus.send(random_key_events(rng, 5000, t + LATER))
    bus.type(code, at=t + 2 * LATER)                        # after an idle gap
    deadline = time.monotonic() + 10
    while [s.raw for s in seen.scans if s.raw in (TICKET_QR, code)] != [TICKET_QR, code]:
        assert time.monotonic() < deadline, [s.raw for s in seen.scans[-3:]]
        time.sleep(0.01)
    assert seen.scans[-1].raw == code and scanner.status.state is ScannerState.OK


def test_wedge_overlong_scan_is_counted_dropped_and_resynced(bus, wedge):
    """200,000 characters with no line end in sight (a scanner stuck on repeat, or a hostile
    keyboard): never a scan, never more than the cap kept, counted as one bad scan."""
    scanner, seen = wedge
    t = time.time()
    bus.type("7" * 200_000, at=t)
    bus.type(TICKET_QR, at=t)
    bus.type("OSS1:" + "x" * 300, enter=False, at=t + LATER)  # no line end: the idle gap ends it
    bus.type(TICKET_QR, at=t + 2 * LATER)
    scans = seen.wait_scans(2, timeout=20)
    assert [s.raw for s in scans] == [TICKET_QR, TICKET_QR]
    status = scanner.status
    assert status.state is ScannerState.OK and status.bad_scans == 2
    assert "too long" in status.last_bad and "305 characters" in status.last_bad


def test_the_longest_code_we_read_is_under_the_scan_cap():
    longest = TicketQR("s" * 40, "2026-03-10", "AB12345", "r" * 32).encode()
    assert TicketQR.decode(longest) and len(longest) == 97 < MAX_SCAN_CHARS


def test_wedge_scan_without_a_line_end_is_dropped_at_the_idle_gap(bus, wedge):
    """A scanner set to send no Enter: the next scan is not glued to it, and the count says so."""
    scanner, seen = wedge
    t = time.time()
    bus.type(TICKET_QR, enter=False, at=t)
    bus.type(TICKET_QR, at=t + LATER)
    assert [s.raw for s in seen.wait_scans(1)] == [TICKET_QR]
    assert scanner.status.bad_scans == 1 and "Enter" in scanner.status.last_bad


def test_bad_scans_reach_the_health_report(bus):
    reports: list[dict] = []
    scanner = hid_scanner(bus)
    HealthReport(lambda **parts: reports.append(parts)).watch_scanner(scanner)
    seen = attach(scanner)
    with scanner:
        seen.wait_state("ok")
        t = time.time()
        bus.type("9" * 300, at=t)
        bus.type(TICKET_QR, at=t)
        seen.wait_scans(1)
    assert reports[0] == {"scanner": "ok", "scanner_detail": reports[0]["scanner_detail"], "scanner_bad_scans": None}
    assert reports[-1]["scanner"] == "ok" and reports[-1]["scanner_bad_scans"] == 1


_GOOD_CHARS = "".join(sorted({c for pair in US_KEYS.values() for c in pair}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.lists(st.tuples(st.sampled_from(sorted(US_KEYS) + [
           ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT, ecodes.KEY_CAPSLOCK, ecodes.KEY_ENTER, ecodes.KEY_KPENTER,
           ecodes.KEY_LEFTALT, ecodes.KEY_F5, ecodes.KEY_ESC]) | st.integers(0, ecodes.KEY_MAX),
           st.sampled_from((0, 1, 2)), st.floats(0, 0.05)), max_size=400),
       end=st.sampled_from(("idle gap", "Enter")),
       good=st.text(_GOOD_CHARS, min_size=1, max_size=120).filter(str.strip))
def test_wedge_any_key_noise_then_a_line_end_or_pause_then_a_good_scan_reads_exactly(wedge, bus, noise, end, good):
    _scanner, seen = wedge
    at, events = time.time(), []
    for code, value, step in noise:
        at += step
        events += key_event(code, value, at)
    if end == "Enter":
        events += key_press(ecodes.KEY_ENTER, at=at)
    else:
        at += LATER
    events += key_events(good, at=at)
    before = len(seen.scans)
    bus.send(events)
    deadline = time.monotonic() + 3
    while not any(s.raw == good for s in seen.scans[before:]):
        assert time.monotonic() < deadline, f"{good!r} read as {[s.raw for s in seen.scans[before:]]}"
        time.sleep(0.002)
    assert seen.scans[-1].raw == good


# --------------------------------------------------------------------------- config

def test_no_scanner_configured_is_disabled_and_closes_twice():
    scanner = open_scanner({"kind": "none"})
    scanner.start()
    assert scanner.status.state is ScannerState.DISABLED
    assert repr(scanner) == "<NoScanner disabled>"
    scanner.close()
    scanner.close()
    assert scanner.closed and repr(scanner) == "<NoScanner closed>"


def test_a_scanners_repr_names_its_port_and_state(serial_fake, bus):
    serial = open_scanner({"kind": "serial", "serial_port": serial_fake.port, "baudrate": 19200})
    seen = attach(serial)
    with serial:
        seen.wait_state("ok")
        assert repr(serial) == f"<SerialScanner {serial_fake.port} 19200 baud ok>"
    assert repr(serial) == f"<SerialScanner {serial_fake.port} 19200 baud closed>"
    wedge = hid_scanner(bus)
    assert repr(wedge).startswith("<HidScanner ") and repr(wedge).endswith(" unknown>")
    wedge.close()


def test_incomplete_scanner_config_is_refused_clearly():
    with pytest.raises(ValidationError, match="serial_port"):
        open_scanner({"kind": "serial"})
    with pytest.raises(ValidationError, match="hid_device"):
        open_scanner({"kind": "hid"})
