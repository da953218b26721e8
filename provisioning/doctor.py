"""``onestop-provision doctor``: run on a device, say what is wrong and how to fix it.

Checks, in order: the device file, its TLS files, the broker (name, port, TLS,
credentials), the clock against the site's time server, the printer, the
scanner, GPIO access (counters) and disk space.  The device's hardware comes
from its slice of the site file: live from the broker when it answers, else
the copy provisioning left in ``/etc/onestop/device-config.json``; either is
checked with the site file's own printer and scanner models before use, so a
broken copy is a warning that says what is wrong, not a traceback.  Doctor
reads nothing other devices publish (``fleet`` does, on the hub).

Doctor never logs in as the device: the broker binds the client id to the
identity, so that login would take the running service's connection over.
It asks the broker with its own read-only identity, ``doctor.<device id>``
(``doctor.toml`` beside the device file, made by ``build``), which may read
only the device's ``config/device`` slice.  Whether the broker still accepts
the device's own certificate is checked by a TLS handshake alone, with no
MQTT CONNECT after it (a revoked certificate is refused in the handshake).

Exit code: 0 when nothing failed (warnings allowed), 1 when something failed,
2 when doctor itself could not run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click
from pydantic import ValidationError

from contract.topics import Topics
from mqttlink.bootstrap import DEFAULT_DEVICE_FILE
from mqttlink.paho_setup import make_client
from siteconf import SiteFileError
from siteconf.device import DeviceFile, load_device_file
from siteconf.schema import Printer, Scanner

from .identity import REBUILD, ToolLogin, doctor_login
from .packages import FIRMWARE_PACKAGES, foreign
from .workspace import ProvisioningError

MAX_CLOCK_OFFSET_S = 2.0
TIMESYNCD_DROPIN = "/etc/systemd/timesyncd.conf.d/onestop.conf"
NTP_EPOCH_OFFSET = 2208988800


@dataclass
class Finding:
    check: str
    status: str  # "ok" | "warn" | "fail" | "skip"
    message: str
    fix: str = ""


@dataclass
class BrokerProbe:
    finding: Finding
    device_config: dict | None = None


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------


def check_device_file(path: str) -> tuple[Finding, DeviceFile | None]:
    try:
        device = load_device_file(path)
    except SiteFileError as exc:
        return Finding("config", "fail", f"{exc.path}: {'; '.join(exc.problems)}", "reinstall this device's bundle "
                       "(onestop-provision sd-card) or correct the key named above"), None
    return Finding("config", "ok", f"{path}: {device.device_id} of site {device.site_id}"), device


def check_tls_files(device: DeviceFile) -> Finding:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    broker = device.broker
    if not broker.uses_tls:
        return Finding("tls", "warn", "no TLS: this device talks to the broker in plain text",
                       "set network.broker_tls_port in the site file, rebuild and reinstall the device")
    fix = "reinstall this device's bundle (onestop-provision replace-device + sd-card)"
    try:
        ca = x509.load_pem_x509_certificate(Path(broker.tls_ca).read_bytes())
        if broker.tls_cert is None:
            return Finding("tls", "ok", f"server checked against {broker.tls_ca} (password login)")
        cert = x509.load_pem_x509_certificate(Path(broker.tls_cert).read_bytes())
        key = serialization.load_pem_private_key(Path(broker.tls_key).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        return Finding("tls", "fail", f"cannot read the TLS files: {exc}", fix)
    name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if not name or name[0].value != device.device_id:
        return Finding("tls", "fail", f"{broker.tls_cert} is not {device.device_id}'s certificate", fix)
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        return Finding("tls", "fail", f"{broker.tls_key} does not belong to {broker.tls_cert}", fix)
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:  # noqa: BLE001 - any verification failure means the same thing here
        return Finding("tls", "fail", f"{broker.tls_cert} was not issued by the site CA {broker.tls_ca}", fix)
    if cert.not_valid_after_utc < dt.datetime.now(dt.timezone.utc):
        return Finding("tls", "fail", f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}", fix)
    return Finding("tls", "ok", f"certificate of {device.device_id}, issued by the site CA, valid until "
                   f"{cert.not_valid_after_utc:%Y-%m-%d}")


def probe_broker(device: DeviceFile, device_file: str, timeout: float) -> BrokerProbe:
    host, port = device.broker.host, device.broker.port
    where = f"{host}:{port}"
    try:
        socket.getaddrinfo(host, port)
    except socket.gaierror:
        return BrokerProbe(Finding("broker", "fail", f"cannot resolve {host}",
                                   "is the hub switched on and on this network? (.local names need "
                                   "avahi-daemon on both; or set an IP address in network.broker_host)"))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return BrokerProbe(Finding("broker", "fail", f"the broker at {where} is not reachable ({exc.strerror or exc})",
                                   "on the hub: `systemctl status mosquitto` (start it with "
                                   "`systemctl start mosquitto`); check the network cable / Wi-Fi"))
    try:
        device.broker.read_password()
    except (OSError, ValueError) as exc:
        return BrokerProbe(Finding("broker", "fail", f"no broker credentials: {exc}",
                                   "reinstall this device's bundle"))
    if device.broker.tls_cert:
        refused = _certificate_refused(device, timeout)
        if refused is not None:
            return BrokerProbe(refused)
    try:
        login = doctor_login(device_file, device.device_id)
    except ProvisioningError as exc:
        return BrokerProbe(Finding("broker", "warn", f"the broker at {where} answers, but doctor cannot ask it "
                                   f"for this device's configuration: {exc}", REBUILD))
    return _mqtt_probe(device, login, timeout)


def _tls_failure(exc: OSError, where: str, whose: str) -> Finding:
    """What a failed TLS connection to the broker means (``whose``: the certificate that was offered)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Finding("broker", "fail", f"the broker's certificate is not trusted: {exc.verify_message}",
                       "check the clock (a Pi without network may think it is years ago) and that "
                       "tls_ca is this site's CA; rebuild the bundle if the site CA changed")
    return Finding("broker", "fail", f"TLS with the broker at {where} failed with {whose}: {exc}",
                   "this device's certificate was revoked (retired or replaced) or is from "
                   "another site: onestop-provision replace-device, then a new sd-card")


def _certificate_refused(device: DeviceFile, timeout: float) -> Finding | None:
    """A TLS handshake with the device's own certificate and nothing after it (no MQTT CONNECT, so the
    device's connection is untouched): None when the broker accepts the certificate."""
    broker = device.broker
    where = f"{broker.host}:{broker.port}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=broker.tls_ca)
        context.load_cert_chain(broker.tls_cert, broker.tls_key)
        with socket.create_connection((broker.host, broker.port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=broker.host) as tls:
            if tls.version() == "TLSv1.3":  # the server judges the client's certificate after the handshake
                tls.settimeout(min(timeout, 0.5))
                try:
                    tls.recv(1)
                except TimeoutError:
                    pass
    except (ssl.SSLError, ConnectionError) as exc:
        return _tls_failure(exc, where, f"{device.device_id}'s certificate")
    except OSError:
        return None  # not the certificate (a timeout, the network): the MQTT probe says what
    return None


def _mqtt_probe(device: DeviceFile, login: ToolLogin, timeout: float) -> BrokerProbe:
    where = f"{device.broker.host}:{device.broker.port}"
    topics = Topics(device.site_id)
    done = threading.Event()
    box: dict = {}
    client = make_client(login.identity, login.identity, login.password, tls=login.tls(device))

    def on_connect(c, _u, _f, reason, _p):
        box["connack"] = reason
        if reason.is_failure:
            done.set()
        else:
            c.subscribe(topics.device_config(device.device_id), qos=1)

    def on_message(_c, _u, message):
        try:
            box["config"] = json.loads(message.payload)
        except ValueError:
            pass
        done.set()

    client.on_connect = on_connect
    client.on_message = on_message
    client.on_disconnect = lambda *_a: done.set()
    try:
        client.connect(device.broker.host, device.broker.port, keepalive=10)
    except (ssl.SSLError, OSError) as exc:
        return BrokerProbe(_tls_failure(exc, where, f"{login.identity}'s certificate"))
    client.loop_start()
    done.wait(timeout)
    client.disconnect()
    client.loop_stop()
    connack = box.get("connack")
    if connack is None:
        return BrokerProbe(Finding("broker", "fail", f"the broker at {where} closed the connection before "
                                   f"answering {login.identity}: its certificate was probably revoked",
                                   "onestop-provision replace-device, then a new sd-card for this device"))
    if connack.is_failure:
        return BrokerProbe(Finding("broker", "fail", f"the broker refused {login.identity}: {connack}",
                                   "the broker does not know this device's doctor: install the hub's broker "
                                   "files of the last build and restart mosquitto, or provision this device "
                                   "again (onestop-provision replace-device + sd-card)"))
    found = "and read this device's configuration from the hub" if "config" in box else \
        "but the hub has published no configuration for this device (is onestop-hub running?)"
    status = "ok" if "config" in box else "warn"
    return BrokerProbe(Finding("broker", status, f"connected to {where} as {login.identity} {found}",
                               "" if status == "ok" else "on the hub: `systemctl status onestop-hub`"),
                       box.get("config"))


def ntp_offset(server: str, timeout: float) -> float:
    """Local clock minus the server's (seconds), by one SNTP (RFC 4330) query to ``host[:port]``."""
    host, _, port = server.partition(":")
    packet = b"\x23" + 47 * b"\0"  # LI 0, version 4, mode 3 (client)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sent = time.time()
        sock.sendto(packet, (host, int(port or 123)))
        data, _ = sock.recvfrom(512)
        received = time.time()
    if len(data) < 48:
        raise OSError("short NTP answer")
    seconds, fraction = struct.unpack("!II", data[40:48])  # transmit timestamp
    server_time = seconds - NTP_EPOCH_OFFSET + fraction / 2**32
    return (sent + received) / 2 - server_time


def time_server(device: DeviceFile) -> str:
    try:
        for line in Path(TIMESYNCD_DROPIN).read_text(encoding="utf-8").splitlines():
            if line.startswith("NTP=") and line[4:].strip():
                return line[4:].split()[0]
    except OSError:
        pass
    return device.broker.host


def check_clock(server: str, timeout: float) -> Finding:
    try:
        offset = ntp_offset(server, timeout)
    except (OSError, ValueError) as exc:
        return Finding("clock", "warn", f"the time server {server} did not answer NTP ({exc or 'timeout'})",
                       "on the hub: `systemctl status chrony` and `chronyc tracking`; here: "
                       "`timedatectl timesync-status`")
    if abs(offset) > MAX_CLOCK_OFFSET_S:
        return Finding("clock", "fail", f"this clock is {offset:+.1f} s off the hub's ({server})",
                       "`sudo systemctl restart systemd-timesyncd`, then `timedatectl timesync-status`; "
                       "request deadlines and ticket times need the two clocks to agree")
    return Finding("clock", "ok", f"within {abs(offset):.2f} s of {server}")


def check_printer(config: dict, timeout: float) -> Finding:
    printer = config.get("printer", {})
    connector = printer.get("connector", "none")
    if connector == "none":
        return Finding("printer", "skip", "no printer configured")
    if connector == "file":
        folder = Path(printer["path"]).parent
        ok = folder.is_dir() and os.access(folder, os.W_OK)
        return Finding("printer", "ok" if ok else "fail", f"file printer {printer['path']}",
                       "" if ok else f"create {folder} writable by the service user")
    if connector == "network":
        try:
            socket.create_connection((printer["host"], printer.get("port", 9100)), timeout=timeout).close()
        except OSError as exc:
            return Finding("printer", "fail", f"network printer {printer['host']} not reachable ({exc})",
                           "check the printer's power, cable and IP address")
        return Finding("printer", "ok", f"network printer {printer['host']} answers")
    if connector == "usb":
        return _usb_printer(printer)
    return _serial_printer(printer, timeout)


def _usb_printer(printer: dict) -> Finding:
    vendor, product = f"{printer['usb_vendor']:04x}", f"{printer['usb_product']:04x}"
    for device in Path("/sys/bus/usb/devices").glob("*"):
        try:
            if ((device / "idVendor").read_text().strip(), (device / "idProduct").read_text().strip()) == \
                    (vendor, product):
                return Finding("printer", "ok", f"USB printer {vendor}:{product} is plugged in")
        except OSError:
            continue
    return Finding("printer", "fail", f"USB printer {vendor}:{product} is not plugged in",
                   "plug the printer's USB cable in and switch it on (`lsusb` lists it)")


def _serial_printer(printer: dict, timeout: float) -> Finding:
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Serial

    port = printer["serial_port"]
    escpos = Serial(devfile=port, baudrate=printer.get("baudrate", 9600), timeout=min(timeout, 1.0),
                    dsrdtr=False)
    try:
        escpos.open()
    except DeviceNotFoundError:
        return Finding("printer", "fail", f"no printer at {port}",
                       "plug the printer in; `ls /dev/serial/by-id` shows the port to use")
    try:
        online = escpos.query_status(b"\x10\x04\x01")
        if not online:
            return Finding("printer", "fail", f"the printer on {port} does not answer",
                           "switch it on; check the cable and the baud rate in the site file")
        paper = escpos.paper_status()
    finally:
        escpos.close()
    if paper == 0:
        return Finding("printer", "fail", f"the printer on {port} is out of paper",
                       "load a new roll (thermal side out) and close the cover")
    if online[0] & 0x08:
        return Finding("printer", "fail", f"the printer on {port} is offline (cover open or an error)",
                       "close the cover; switch the printer off and on")
    if paper == 1:
        return Finding("printer", "warn", f"the printer on {port} is nearly out of paper",
                       "have a new roll ready")
    return Finding("printer", "ok", f"the printer on {port} is online with paper")


def check_scanner(config: dict) -> Finding:
    scanner = config.get("scanner", {})
    kind = scanner.get("kind", "none")
    if kind == "none":
        return Finding("scanner", "skip", "no scanner configured")
    path = scanner.get("hid_device") if kind == "hid" else scanner.get("serial_port")
    if not Path(path).exists():
        return Finding("scanner", "fail", f"no {kind} scanner at {path}",
                       "plug the scanner in (USB); `ls /dev/input/by-id /dev/serial/by-id` shows what "
                       "is there; the udev rules also name it /dev/input/onestop-scanner")
    if not os.access(path, os.R_OK):
        return Finding("scanner", "fail", f"{path} is there but cannot be read",
                       "the service user needs the input (HID) or dialout (serial) group: reinstall the unit")
    return Finding("scanner", "ok", f"{kind} scanner at {path}")


def check_gpio(role: str, chip: str = "/dev/gpiochip0") -> Finding:
    if role != "counter":
        return Finding("gpio", "skip", f"a {role} uses no GPIO")
    if not Path(chip).exists():
        return Finding("gpio", "fail", f"{chip} does not exist: no GPIO here",
                       "run the counter on a Raspberry Pi (GPIO buttons and LEDs need one)")
    if not os.access(chip, os.R_OK | os.W_OK):
        return Finding("gpio", "fail", f"{chip} cannot be opened by this user",
                       "add the service user to the gpio group (the unit's SupplementaryGroups)")
    return Finding("gpio", "ok", f"{chip} is usable")


def check_disk(path: str) -> Finding:
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    free_mb, share = usage.free / 1e6, usage.free / usage.total
    message = f"{free_mb:.0f} MB free on {folder} ({share:.0%})"
    fix = "remove old logs (`journalctl --vacuum-size=50M`) or use a bigger SD card"
    if free_mb < 200 or share < 0.05:
        return Finding("disk", "fail", message, fix)
    if share < 0.15:
        return Finding("disk", "warn", message, fix)
    return Finding("disk", "ok", message)


# ---------------------------------------------------------------------------
# Running them
# ---------------------------------------------------------------------------


def check_packages() -> Finding:
    """The firmware's packages are the ones imported (not a same-named Debian or PyPI package)."""
    wrong = foreign()
    if not wrong:
        return Finding("firmware", "ok", f"its {len(FIRMWARE_PACKAGES)} packages are the ones imported")
    listed = "; ".join(f"{name} from {where}" for name, where in sorted(wrong.items()))
    return Finding("firmware", "fail", f"not the firmware's own: {listed}",
                   "remove the same-named package (pip uninstall, or apt remove the python3-... one), "
                   "or reinstall the firmware: sudo bash /boot/firmware/onestop/install.sh configure")


def run_checks(device_file: str, device_config: str | None = None, server: str | None = None,
               timeout: float = 3.0) -> list[Finding]:
    finding, device = check_device_file(device_file)
    findings = [finding, check_packages()]
    if device is None:
        return findings
    findings.append(check_tls_files(device))
    probe = probe_broker(device, device_file, timeout)
    findings.append(probe.finding)
    findings.append(check_clock(server or time_server(device), timeout))
    config, source = _device_config(probe, device_config or str(Path(device_file).parent / "device-config.json"))
    if config is None:
        findings.append(Finding("hardware", "warn", f"no configuration to check the hardware against ({source})",
                                "start the hub, or reinstall the bundle (it carries device-config.json)"))
    else:
        findings += [check_printer(config, timeout), check_scanner(config)]
        findings.append(check_gpio(config.get("role", "")))
    findings.append(check_disk(device.state_dir))
    return findings


def _device_config(probe: BrokerProbe, cached: str) -> tuple[dict | None, str]:
    """The device's entry to check the hardware against: the hub's slice, else the copy provisioning
    left beside the device file; each checked by ``hardware_entry`` (else why neither is usable)."""
    problems = []
    if probe.device_config is not None:
        entry, problem = hardware_entry(probe.device_config)
        if entry is not None:
            return entry, "from the hub"
        problems.append(f"the hub's copy: {problem}")
    try:
        data = json.loads(Path(cached).read_bytes())
    except OSError:
        problems.append(f"{cached} missing")
    except (ValueError, RecursionError):
        problems.append(f"{cached} is not JSON")
    else:
        entry, problem = hardware_entry(data)
        if entry is not None:
            return entry, f"from {cached}"
        problems.append(f"{cached}: {problem}")
    return None, "; ".join(problems)


def hardware_entry(data: object) -> tuple[dict | None, str]:
    """The ``device`` entry of a ``config/device`` slice, its printer and scanner checked with the site
    file's own models (defaults filled in), or None and what is wrong.  The checks read only these."""
    device = data.get("device") if isinstance(data, dict) else None
    if not isinstance(device, dict):
        return None, "no device entry"
    entry = {"role": device.get("role") if isinstance(device.get("role"), str) else ""}
    for part, model in (("printer", Printer), ("scanner", Scanner)):
        try:
            entry[part] = model.model_validate(device.get(part) or {}).model_dump()
        except ValidationError as exc:
            error = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in (part, *error["loc"]))
            return None, f"{where}: {error['msg'].removeprefix('Value error, ')}"
    return entry, ""


LABELS = {"ok": ("OK", "green"), "warn": ("WARN", "yellow"), "fail": ("FAIL", "red"), "skip": ("-", None)}


def report(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        label, colour = LABELS[f.status]
        lines.append(f"{click.style(f'{label:<5}', fg=colour, bold=True)}{f.check:<9}{f.message}")
        if f.fix and f.status in ("warn", "fail"):
            lines.append(f"{'':14}fix: {f.fix}")
    failed = sum(f.status == "fail" for f in findings)
    warned = sum(f.status == "warn" for f in findings)
    lines.append(f"{failed} problem(s), {warned} warning(s)" if failed or warned else "all good")
    return "\n".join(lines)


@click.command()
@click.option("--device", "device_file", default=DEFAULT_DEVICE_FILE, show_default=True,
              type=click.Path(dir_okay=False), help="this device's device file")
@click.option("--device-config", default=None, type=click.Path(dir_okay=False),
              help="its hardware when the hub cannot be asked (default: device-config.json beside the device file)")
@click.option("--time-server", default=None, help="default: timesyncd's NTP= or the broker host")
@click.option("--timeout", default=3.0, show_default=True, help="seconds per network check")
def doctor(device_file: str, device_config: str | None, time_server: str | None, timeout: float) -> int:
    """On a device: check config, broker and TLS, clock, printer, scanner, GPIO, disk."""
    findings = run_checks(device_file, device_config, time_server, timeout)
    click.echo(report(findings))
    return 1 if any(f.status == "fail" for f in findings) else 0
