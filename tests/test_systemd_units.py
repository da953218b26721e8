"""systemd units, the Mosquitto drop-in, udev rules and the roles' sd_notify protocol.

``systemd-analyze verify`` (Debian 12's systemd 252) checks the units with
ExecStart pointing at this installation's entry points; it must be present
under CI.  The hub is run as a process under a notify socket made here, as
systemd would, to see READY, WATCHDOG, RELOADING and STOPPING arrive.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from provisioning.udev import STATIC_RULES_FILE, device_rules_text, static_rules_text
from provisioning.units import (MOSQUITTO_DROPIN, ROLE_UNITS, mosquitto_dropin_text, packages_unit_text, unit_text,
                                write_units)
from sites import small_site_dict

REPO = Path(__file__).resolve().parent.parent
BIN_DIR = str(Path(sys.executable).parent)


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing under CI (apt package systemd, in ./onestop's list)")
        pytest.skip("systemd-analyze is not installed on this machine (apt install systemd)")
    return found


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values...]}} (systemd keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"not a unit line: {line!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


# ---------------------------------------------------------------------------
# The units
# ---------------------------------------------------------------------------


def test_repository_copies_are_current():
    for role, unit in ROLE_UNITS.items():
        assert (REPO / "systemd" / unit.unit_name).read_text() == unit_text(role), \
            f"systemd/{unit.unit_name} is stale: python -m provisioning.units --write systemd/"
    assert (REPO / "systemd" / MOSQUITTO_DROPIN).read_text() == mosquitto_dropin_text()
    assert (REPO / "systemd" / "udev" / STATIC_RULES_FILE).read_text() == static_rules_text()


@pytest.mark.parametrize("role", [role for role in ROLE_UNITS if role not in ("guest", "console")])
def test_unit_settings(role):
    unit = parse_unit(unit_text(role))
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert service["Type"] == "notify" and int(service["WatchdogSec"]) >= 30
    assert service["Restart"] == "always"
    assert int(unit["Unit"]["StartLimitBurst"][-1]) > 1 and "StartLimitIntervalSec" in unit["Unit"]
    assert service["ExecStart"].split() == [f"/opt/onestop/venv/bin/onestop-{role}", "--device",
                                            "/etc/onestop/device.toml"]
    assert service["User"] == "onestop" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["StateDirectory"] == "onestop"
    groups = set(service.get("SupplementaryGroups", "").split())
    expected = {"hub": set(), "kiosk": {"video", "render", "input", "lp", "dialout", "audio"},
                "display": {"video", "render", "input", "audio"}, "counter": {"gpio", "i2c", "lp"}}[role]
    assert expected <= groups
    if role in ("kiosk", "display"):
        env = " ".join(unit["Service"]["Environment"])
        assert "SDL_VIDEODRIVER=kmsdrm" in env and "KIVY_WINDOW=sdl2" in env
        assert service["TTYPath"] == "/dev/tty1" and "getty@tty1.service" in unit["Unit"]["Conflicts"][-1]
    if role == "hub":
        assert "mosquitto.service" in unit["Unit"]["After"][-1] and service["ExecReload"].endswith("$MAINPID")
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_guest_page_server_unit_has_its_own_user_and_limits():
    """The process phones talk to runs as a user of its own, capped so a flood cannot starve the hub."""
    unit = parse_unit(unit_text("guest"))
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert service["ExecStart"].split() == ["/opt/onestop/venv/bin/onestop-guest", "--config",
                                            "/etc/onestop-guest/guest.toml", "--port", "80"]
    # port 80 (the ticket's link has no port) with that capability and no other
    assert service["AmbientCapabilities"] == service["CapabilityBoundingSet"] == "CAP_NET_BIND_SERVICE"
    assert service["User"] == service["Group"] == "onestop-guest"
    assert service["CPUQuota"].endswith("%") and 0 < int(service["CPUQuota"][:-1]) <= 50
    assert service["MemoryMax"].endswith("M") and "StateDirectory" not in service
    assert service["ConfigurationDirectory"] == "onestop-guest"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"


def test_console_unit_has_its_own_user_state_and_limits():
    """The supervisor's console (issue 17): its own user and config folder, its accounts in its own
    state folder (0700), the reports readable through the onestop group, port 443 and nothing else."""
    unit = parse_unit(unit_text("console"))
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert service["ExecStart"].split() == ["/opt/onestop/venv/bin/onestop-console", "--config",
                                            "/etc/onestop-console/console.toml"]
    assert service["User"] == service["Group"] == "onestop-console"
    assert service["StateDirectory"] == "onestop-console" and service["StateDirectoryMode"] == "0700"
    assert service["SupplementaryGroups"] == "onestop" and service["ConfigurationDirectory"] == "onestop-console"
    assert service["AmbientCapabilities"] == service["CapabilityBoundingSet"] == "CAP_NET_BIND_SERVICE"
    assert service["CPUQuota"].endswith("%") and service["MemoryMax"].endswith("M")
    assert service["Type"] == "notify" and service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert "onestop-hub.service" in unit["Unit"]["After"][-1]


def test_systemd_analyze_verifies_every_unit(tmp_path):
    """With ExecStart pointing at this installation's entry points (systemd checks they are executable)."""
    analyze = systemd_analyze()
    units = write_units(tmp_path, bin_dir=BIN_DIR)
    (tmp_path / "onestop-packages.service").write_text(packages_unit_text())
    units.append(tmp_path / "onestop-packages.service")
    debian_unit = Path("/lib/systemd/system/mosquitto.service")
    assert debian_unit.exists(), "Debian's mosquitto package is needed for the drop-in check"
    shutil.copy(debian_unit, tmp_path / "mosquitto.service")
    names = [p.name for p in units if p.suffix == ".service"] + ["mosquitto.service"]
    result = subprocess.run([analyze, "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"})
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", \
        result.stdout + result.stderr


def test_verify_would_catch_a_broken_unit(tmp_path):
    """The check above can fail: a typo in a key and a missing entry point are both reported."""
    analyze = systemd_analyze()
    broken = unit_text("hub", bin_dir="/nonexistent/bin").replace("WatchdogSec=", "WatchdogSecs=")
    (tmp_path / "onestop-hub.service").write_text(broken)
    result = subprocess.run([analyze, "verify", "onestop-hub.service"], cwd=tmp_path, capture_output=True,
                            text=True)
    assert "WatchdogSecs" in result.stderr and "not executable" in result.stderr


# ---------------------------------------------------------------------------
# udev rules
# ---------------------------------------------------------------------------

UDEV_KEYS = re.compile(r'^(SUBSYSTEM|KERNEL|ATTR\{\w+\}|ATTRS\{\w+\}|ENV\{\w+\}|GROUP|MODE|SYMLINK)'
                       r'(==|!=|\+=|=)"[^"]*"$')


def check_udev_rules(text: str) -> list[list[str]]:
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        pairs = [part.strip() for part in line.split(", ")]
        for pair in pairs:
            assert UDEV_KEYS.match(pair), f"line {number}: {pair!r} is not a udev key=value this file uses"
        matches = [p for p in pairs if "==" in p]
        assigns = [p for p in pairs if "==" not in p]
        assert matches and assigns, f"line {number}: a rule needs a match and an assignment"
        assert any(p.startswith("SUBSYSTEM==") for p in pairs), f"line {number}: no SUBSYSTEM match"
        rules.append(pairs)
    return rules


def test_udev_rules_give_stable_names_and_permissions():
    rules = check_udev_rules(static_rules_text())
    printer_nodes = [r for r in rules if 'SYMLINK+="onestop/printer"' in r]
    assert any('ATTRS{idVendor}=="04b8"' in r for r in printer_nodes)  # Epson
    assert all('GROUP="lp"' in r and 'MODE="0660"' in r for r in printer_nodes)
    scanners = [r for r in rules if 'SYMLINK+="input/onestop-scanner"' in r]
    assert any('ATTRS{idVendor}=="0c2e"' in r for r in scanners)  # Honeywell
    assert all('GROUP="input"' in r for r in scanners)


def test_udev_rule_for_a_devices_own_printer():
    from sites import small_site

    data = small_site_dict()
    data["devices"][1]["printer"] = {"connector": "usb", "usb_vendor": 0x1234, "usb_product": 0x00AB}
    site = small_site(data)
    text = device_rules_text(site.device("kiosk-1"))
    rules = check_udev_rules(text)
    assert any('ATTRS{idVendor}=="1234"' in r and 'ATTRS{idProduct}=="00ab"' in r for r in rules)
    assert device_rules_text(site.device("display-ground")) is None


# ---------------------------------------------------------------------------
# sd_notify: the hub under a notify socket, as systemd runs it
# ---------------------------------------------------------------------------


class NotifySocket:
    def __init__(self, path: Path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.path = path
        self.received: list[str] = []

    def wait_for(self, field: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while field not in self.received:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {field} from the service; got {self.received}"
            self.sock.settimeout(remaining)
            try:
                self.received += self.sock.recv(4096).decode().split("\n")
            except socket.timeout:
                pass

    def close(self):
        self.sock.close()


@pytest.mark.broker
def test_hub_notifies_ready_watchdog_reload_and_stopping(broker_only, tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()))
    device_file = broker_only.write_hub_device_file(site_file)
    notify = NotifySocket(tmp_path / "notify.sock")
    env = {**os.environ, "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "400000"}
    env.pop("WATCHDOG_PID", None)
    hub = subprocess.Popen([sys.executable, "-m", "hub.main", "--device", str(device_file)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        notify.wait_for("READY=1")
        assert any(f.startswith("STATUS=serving site") for f in notify.received)
        notify.received.clear()
        notify.wait_for("WATCHDOG=1")
        notify.received.clear()
        notify.wait_for("WATCHDOG=1")  # it keeps pinging
        hub.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        notify.wait_for("READY=1")
        hub.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1")
        assert hub.wait(20) == 0
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()
        notify.close()


def test_notifier_does_nothing_outside_systemd(monkeypatch):
    from mqttlink.systemd import ServiceNotifier

    notifier = ServiceNotifier.from_environment({})
    assert not notifier.active and not notifier.ready() and not notifier.ping()
    assert notifier.start_watchdog(lambda: True) is None
    other_pid = ServiceNotifier.from_environment({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000000",
                                                  "WATCHDOG_PID": "1"})
    assert other_pid.watchdog_s is None  # the watchdog is meant for another process


KIVY_LOOP = r"""
import time
from mqttlink.systemd import notify_from_kivy_clock
from kivy.clock import Clock
notify_from_kivy_clock()
end = time.monotonic() + 1.5
while time.monotonic() < end:      # the main loop runs: frames tick the Clock
    Clock.tick()
    time.sleep(0.02)
print("frozen", flush=True)
time.sleep(2.5)                    # the screen freezes: no more ticks
"""


def test_kivy_roles_are_ready_at_the_first_frame_and_silent_when_frozen(tmp_path):
    notify = NotifySocket(tmp_path / "notify.sock")
    env = {**os.environ, "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "1000000", "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_CONSOLELOG": "1"}
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen([sys.executable, "-c", KIVY_LOOP], env=env, stdout=subprocess.PIPE, text=True)
    try:
        notify.wait_for("READY=1")
        notify.wait_for("WATCHDOG=1")
        assert proc.stdout.readline().strip() == "frozen"
        time.sleep(1.2)  # pings already on their way when the loop stopped have arrived
        notify.sock.settimeout(0.1)
        while True:
            try:
                notify.sock.recv(4096)
            except socket.timeout:
                break
        notify.received.clear()
        with pytest.raises(AssertionError, match="no WATCHDOG=1"):
            notify.wait_for("WATCHDOG=1", timeout=1.0)  # a frozen screen stops the pings
    finally:
        proc.kill()
        proc.wait()
        notify.close()
