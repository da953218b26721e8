"""``onestop-provision doctor`` on a device, and ``fleet`` on the hub.

Real parts: the printer is at the far end of a pseudo-terminal and answers
the real ESC/POS ``DLE EOT`` status queries as a printer out of paper would
(the byte stream is the last real interface a Pi has); the broker is a real
Mosquitto that has been stopped, or the TLS broker on the generated config;
the time server is a UDP SNTP responder whose clock is five minutes ahead.
Doctor runs as a process, as a technician runs it.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import pytest
import tomli_w

from broker_config.runner import free_port
from contract.acl import doctor_id
from contract.topics import Topics
from provisioning.doctor import NTP_EPOCH_OFFSET, run_checks
from provisioning.fleet import format_fleet, read_fleet
from provisioning.identity import DOCTOR_FILE, tool_file_data
from siteconf.slices import device_slice
from sites import SITE_ID, small_site, small_site_dict

REPO = Path(__file__).resolve().parent.parent
TOPICS = Topics(SITE_ID)


class PaperOutPrinter:
    """A serial ESC/POS printer out of paper: DLE EOT 1 -> offline (0x1A), DLE EOT 4 -> paper end (0x7E)."""

    ANSWERS = {b"\x10\x04\x01": 0x1A, b"\x10\x04\x04": 0x7E}

    def __init__(self):
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self.queries: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        buffer = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                buffer += os.read(self.master, 64)
            except OSError:
                return
            for query, answer in self.ANSWERS.items():
                while query in buffer:
                    buffer = buffer.replace(query, b"", 1)
                    self.queries.append(query)
                    os.write(self.master, bytes([answer]))

    def close(self):
        self._stop.set()
        self._thread.join()
        os.close(self.master)
        os.close(self._slave)


class SntpServer:
    """Answers SNTP queries on loopback with its clock ``ahead_s`` seconds ahead of this machine."""

    def __init__(self, ahead_s: float):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.ahead_s = ahead_s
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(512)
            except OSError:
                return
            now = time.time() + self.ahead_s + NTP_EPOCH_OFFSET
            stamp = struct.pack("!II", int(now), int((now % 1) * 2**32))
            answer = bytes([0x24, 2, 6, 0xEC]) + bytes(36) + stamp  # server, stratum 2
            self.sock.sendto(answer, peer)

    def close(self):
        self.sock.close()


def doctor(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "provisioning.cli", "doctor", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=60)


def lines_of(output: str, check: str) -> list[str]:
    """The report lines of one check (its status line and its fix)."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line[5:].startswith(check):
            return [line] + ([lines[i + 1].strip()] if i + 1 < len(lines) and "fix:" in lines[i + 1] else [])
    raise AssertionError(f"no {check} line in:\n{output}")


@pytest.mark.broker
def test_doctor_reports_paper_out_missing_scanner_and_stopped_broker(tmp_path, broker_only):
    printer = PaperOutPrinter()
    clock = SntpServer(ahead_s=300)
    try:
        data = small_site_dict()
        kiosk = next(d for d in data["devices"] if d["id"] == "kiosk-1")
        kiosk["printer"] = {"connector": "serial", "serial_port": printer.port, "baudrate": 19200}
        kiosk["scanner"] = {"kind": "hid", "hid_device": str(tmp_path / "by-id" / "usb-scanner-event-kbd")}
        site = small_site(data)
        device_file = tmp_path / "device.toml"
        port = broker_only.port
        device_file.write_text(tomli_w.dumps({
            "device_id": "kiosk-1", "site_id": SITE_ID, "state_dir": str(tmp_path),
            "broker": {"host": "127.0.0.1", "port": port,
                       "password": broker_only.credentials.password_for("kiosk-1")}}))
        (tmp_path / "device-config.json").write_text(json.dumps(device_slice(site, "kiosk-1")))
        broker_only.broker.stop()  # the hub's broker is down

        result = doctor("--device", device_file, "--time-server", clock.address, "--timeout", "1")
        out = result.stdout
        assert result.returncode == 1 and "Traceback" not in result.stderr, out + result.stderr
        broker = lines_of(out, "broker")
        assert broker[0].startswith("FAIL") and f"127.0.0.1:{port} is not reachable" in broker[0]
        assert "systemctl start mosquitto" in broker[1]
        printer_lines = lines_of(out, "printer")
        assert printer_lines[0].startswith("FAIL") and "out of paper" in printer_lines[0]
        assert "load a new roll" in printer_lines[1]
        assert printer.queries[:2] == [b"\x10\x04\x01", b"\x10\x04\x04"]  # it really asked the printer
        scanner = lines_of(out, "scanner")
        assert scanner[0].startswith("FAIL") and "usb-scanner-event-kbd" in scanner[0]
        assert "plug the scanner in" in scanner[1]
        clock_lines = lines_of(out, "clock")
        assert clock_lines[0].startswith("FAIL") and "-300." in clock_lines[0]
        assert "systemd-timesyncd" in clock_lines[1]
        assert lines_of(out, "config")[0].startswith("OK")
        assert lines_of(out, "tls")[0].startswith("WARN")  # a password device: no TLS
        assert lines_of(out, "gpio")[0].startswith("-")  # kiosks use no GPIO
        assert lines_of(out, "disk")[0].startswith(("OK", "WARN"))
    finally:
        printer.close()
        clock.close()


@pytest.mark.broker
def test_doctor_over_tls_healthy_and_revoked(tmp_path, test_pki):
    """The production path: TLS; the broker takes the device's certificate (a handshake, no login as the
    device), doctor logs in with its own certificate and reads the configuration from the hub."""
    from broker_config import Mosquitto, SiteCredentials, write_broker_files
    from broker_config.generate import TlsListener
    from mqtt_peer import Peer
    from site_pki import RETIRED

    site = small_site()
    creds = SiteCredentials()
    creds.ensure(site)
    tls_port = free_port()
    server_cert, server_key = test_pki.ca.server_paths
    files = write_broker_files(site, creds, tmp_path / "broker", tls=TlsListener(
        tls_port, str(test_pki.ca.ca_path), str(server_cert), str(server_key), str(test_pki.ca.crl_path),
        host="127.0.0.1"))
    clock = SntpServer(ahead_s=0)
    with Mosquitto(files) as broker:
        hub = Peer("127.0.0.1", broker.port, "hub", creds.password_for("hub"), log=broker.log_text)
        assert hub.connect() == 0
        assert hub.publish(TOPICS.device_config("display-ground"),
                           json.dumps(device_slice(site, "display-ground")).encode(), retain=True) in (0, 16)
        hub.close()
        for device_id, tls in (("display-ground", test_pki.client("display-ground")),
                               (RETIRED, test_pki.retired_client())):
            (tmp_path / device_id).mkdir()
            device_file = tmp_path / device_id / "device.toml"
            device_file.write_text(tomli_w.dumps({
                "device_id": device_id, "site_id": SITE_ID, "state_dir": str(tmp_path),
                "broker": {"host": "127.0.0.1", "port": tls_port, "tls_ca": tls.ca, "tls_cert": tls.cert,
                           "tls_key": tls.key}}))
            own = test_pki.client(doctor_id(device_id))  # doctor.toml, as build installs it
            (tmp_path / device_id / DOCTOR_FILE).write_text(tomli_w.dumps(
                tool_file_data(doctor_id(device_id), tls_cert=own.cert, tls_key=own.key)))
            result = doctor("--device", device_file, "--time-server", clock.address, "--timeout", "2")
            if device_id == "display-ground":
                assert result.returncode == 0, result.stdout + result.stderr
                assert lines_of(result.stdout, "tls")[0].startswith("OK")
                assert "as doctor.display-ground and read this device's configuration from the hub" in \
                    lines_of(result.stdout, "broker")[0]
                assert lines_of(result.stdout, "clock")[0].startswith("OK")
                assert result.stdout.rstrip().endswith("all good")
            else:
                assert result.returncode == 1
                broker_lines = lines_of(result.stdout, "broker")
                assert broker_lines[0].startswith("FAIL") and "revoked" in " ".join(broker_lines)
                assert "replace-device" in broker_lines[1]
    clock.close()


@pytest.mark.broker
def test_doctor_without_its_own_identity_warns_and_never_logs_in_as_the_device(centre, tmp_path):
    """An old bundle (no doctor.toml): doctor says to rebuild it, and leaves the running kiosk's login alone."""
    kiosk = centre.link("kiosk-1")
    dropped = []
    kiosk.on_connection_change = lambda up: up or dropped.append(up)
    device_file = tmp_path / "device.toml"
    device_file.write_text(tomli_w.dumps({
        "device_id": "kiosk-1", "site_id": SITE_ID, "state_dir": str(tmp_path),
        "broker": {"host": "127.0.0.1", "port": centre.port, "password": centre.credentials.password_for("kiosk-1")}}))
    findings = {f.check: f for f in run_checks(str(device_file), timeout=1)}
    broker = findings["broker"]
    assert broker.status == "warn" and f"{DOCTOR_FILE}: not found" in broker.message, broker
    assert "onestop-provision build" in broker.fix
    time.sleep(0.2)
    assert kiosk.connected and not dropped and centre.broker.takeovers() == []
    assert [user for _client, user in centre.broker.logins()].count("kiosk-1") == 1


def test_doctor_on_a_broken_device_file(tmp_path):
    bad = tmp_path / "device.toml"
    bad.write_text('device_id = "Kiosk 1"\nsite_id = "x"\n')
    result = doctor("--device", bad)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    config = lines_of(result.stdout, "config")
    assert config[0].startswith("FAIL") and "device_id" in config[0] and "reinstall" in config[1]


@pytest.mark.parametrize("copy, problem", [
    ("[]", "device-config.json: no device entry"),
    ('{"device": {"role": "kiosk", "printer": {"connector": "serial"}}}',
     "device-config.json: printer: a serial printer needs serial_port"),
    ('{"device": {"scanner": ["hid"]}}', "device-config.json: scanner: input should be"),
    ("[" * 5000, "device-config.json is not JSON"),
])
def test_doctor_with_a_broken_copy_of_the_device_config_warns_instead_of_crashing(tmp_path, copy, problem):
    clock = SntpServer(ahead_s=0)
    try:
        device_file = tmp_path / "device.toml"
        device_file.write_text(tomli_w.dumps({
            "device_id": "kiosk-1", "site_id": SITE_ID, "state_dir": str(tmp_path),
            "broker": {"host": "127.0.0.1", "port": free_port(), "password": "x" * 16}}))  # no broker there
        (tmp_path / "device-config.json").write_text(copy)
        result = doctor("--device", device_file, "--time-server", clock.address, "--timeout", "1")
    finally:
        clock.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stdout + result.stderr
    hardware = lines_of(result.stdout, "hardware")
    assert hardware[0].startswith("WARN") and problem.lower() in hardware[0].lower(), hardware
    assert "reinstall the bundle" in hardware[1]


@pytest.mark.broker
def test_fleet_status_from_retained_presence_and_health(centre, tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()))
    hub_file = centre.write_hub_device_file(site_file)
    kiosk = centre.link("kiosk-1")
    kiosk.publish_health(printer="paper_out", scanner="ok")
    counter = centre.link("counter-1")
    counter.close()  # went offline
    display = centre.link("display-ground")
    display.publish_health(printer="disabled", scanner="disabled")
    time.sleep(0.2)  # the QoS 1 health reports reach the broker
    site_id, statuses = read_fleet(str(hub_file))
    by_id = {s.device: s for s in statuses}
    assert site_id == SITE_ID and set(by_id) == {d.id for d in small_site().devices}
    assert by_id["kiosk-1"].online is True and by_id["kiosk-1"].problems == ["printer paper_out"]
    assert by_id["counter-1"].online is False
    assert by_id["display-ground"].online is True and by_id["display-ground"].problems == []
    assert by_id["hub"].online is True
    assert by_id["display-first"].online is None  # never seen
    text = format_fleet(site_id, statuses)
    assert text.splitlines()[0] == f"site {SITE_ID}: 3 of 6 devices online"
    row = next(line for line in text.splitlines() if line.startswith("kiosk-1 "))
    assert "online" in row and "printer paper_out" in row
    assert "OFFLINE" in next(line for line in text.splitlines() if line.startswith("counter-1 "))
    assert "never" in next(line for line in text.splitlines() if line.startswith("display-first "))
