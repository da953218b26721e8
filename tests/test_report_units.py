"""The hub's daily report under systemd (issue 14): onestop-report.service run by
onestop-report.timer every night, shipped in the hub's bundle and enabled by its installer."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import tomli_w
from report_centre import Centre
from test_systemd_units import REPO, parse_unit, systemd_analyze

from provisioning.units import (BIN_DIR, DEVICE_FILE, REPORT_SERVICE, REPORT_TIMER, REPORTS_DIR, report_service_text,
                                report_timer_text, write_units)

VENV_BIN = str(Path(sys.executable).parent)


def test_repository_copies_are_current():
    assert (REPO / "systemd" / REPORT_SERVICE).read_text() == report_service_text(), \
        "systemd/ is stale: python -m provisioning.units --write systemd/"
    assert (REPO / "systemd" / REPORT_TIMER).read_text() == report_timer_text()


def test_the_hubs_units_and_no_one_elses(tmp_path):
    hub = {p.name for p in write_units(tmp_path / "hub", roles=["hub"], with_mosquitto=True)}
    kiosk = {p.name for p in write_units(tmp_path / "kiosk", roles=["kiosk"], with_mosquitto=False)}
    assert {REPORT_SERVICE, REPORT_TIMER} <= hub and not {REPORT_SERVICE, REPORT_TIMER} & kiosk
    install = (REPO / "provisioning" / "scripts" / "install.sh").read_text()
    hub_line = next(line for line in install.splitlines() if '"$ROLE" = "hub"' in line and "enable" in line)
    assert REPORT_TIMER in hub_line


def test_the_timer_runs_the_report_every_night_and_catches_up():
    timer = parse_unit(report_timer_text())
    assert timer["Timer"]["OnCalendar"] == ["*-*-* 00:40:00"] and timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"]["Unit"] == [REPORT_SERVICE] and timer["Install"]["WantedBy"] == ["timers.target"]
    service = {k: v[-1] for k, v in parse_unit(report_service_text())["Service"].items()}
    assert service["Type"] == "oneshot" and service["User"] == "onestop" and service["ProtectSystem"] == "strict"
    assert shlex.split(service["ExecStart"]) == [f"{BIN_DIR}/onestop-report", "--device", DEVICE_FILE, "--day",
                                                 "yesterday", "--out", REPORTS_DIR]
    assert REPORTS_DIR.startswith("/var/lib/onestop/"), "only the StateDirectory is writable"


def test_systemd_analyze_verifies_them(tmp_path):
    analyze = systemd_analyze()
    (tmp_path / REPORT_SERVICE).write_text(report_service_text(bin_dir=VENV_BIN))
    (tmp_path / REPORT_TIMER).write_text(report_timer_text())
    result = subprocess.run([analyze, "verify", REPORT_SERVICE, REPORT_TIMER], cwd=tmp_path, capture_output=True,
                            text=True, env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"})
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", \
        result.stdout + result.stderr


def test_the_units_command_writes_yesterdays_report(tmp_path):
    """The service's own command line (this checkout's venv for /opt/onestop's), from the hub's device file."""
    centre = Centre(tmp_path)
    centre.close()
    device = tmp_path / "device.toml"
    device.write_text(tomli_w.dumps({"device_id": "hub", "site_id": centre.site.site.id,
                                     "site_file": centre.site_file(tmp_path), "database": str(centre.path),
                                     "broker": {"password": "unused"}}))
    service = {k: v[-1] for k, v in parse_unit(report_service_text(bin_dir=VENV_BIN, device_file=str(device)))
               ["Service"].items()}
    argv = [a.replace(REPORTS_DIR, str(tmp_path / "reports")) for a in shlex.split(service["ExecStart"])]
    env = {"PATH": os.environ["PATH"], "MPLCONFIGDIR": str(tmp_path / "mpl")}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (folder,) = (tmp_path / "reports").iterdir()
    assert (folder / "report.pt.html").exists() and (folder / "report.en.html").exists()
    assert folder.name in result.stdout
