"""``onestop-counter`` as a technician starts it: from the device file that provisioning
writes, as its own process, on gpiozero's mock pin factory (this machine has no GPIO)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib

import pytest
import tomli_w
from mqtt_helpers import Inbox
from sites import small_site, small_site_dict

pytestmark = pytest.mark.broker


def _site_dict(printer: str) -> dict:
    data = small_site_dict()
    data["devices"][2]["printer"] = {"connector": "file", "path": printer}
    return data


@pytest.fixture
def site(tmp_path):
    return small_site(_site_dict(str(tmp_path / "second-tickets.bin")))


def _device_file(centre, tmp_path, device_id: str) -> str:
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(_site_dict(str(tmp_path / "second-tickets.bin"))), encoding="utf-8")
    out = tmp_path / f"{device_id}.toml"
    run = subprocess.run([sys.executable, "-m", "provisioning.cli", "device-file", str(site_file), device_id,
                          "--out", str(out), "--secrets", str(centre.workdir / "secrets.toml"),
                          "--broker-host", "127.0.0.1"], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    data = tomllib.loads(out.read_text())
    data["broker"]["port"] = centre.port  # the test broker's free port
    out.write_text(tomli_w.dumps(data))
    return str(out)


def test_the_counter_process_builds_its_desk_from_the_hub_and_stops_cleanly(centre, tmp_path):
    device_file = _device_file(centre, tmp_path, "counter-1")
    env = dict(os.environ, GPIOZERO_PIN_FACTORY="mock")
    proc = subprocess.Popen([sys.executable, "-m", "counter.main", "--device", device_file], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        probe = centre.monitor()  # read only: the counter process keeps its login
        presence, health = Inbox(), Inbox()
        probe.subscribe(probe.topics.presence("counter-1"), presence)
        probe.subscribe(probe.topics.health("counter-1"), health)
        presence.wait_for(lambda t, p: p and p["online"] is True, timeout=15)
        # the printer of its site-file entry reports in: the desk was built from the hub's slice
        health.wait_for(lambda t, p: p and "printer" in p, timeout=15)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0, out
        assert "buttons ready" in out and "Traceback" not in out
        presence.wait_for(lambda t, p: p and p["online"] is False)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_without_gpio_the_counter_says_so_and_suggests_the_console(centre, tmp_path):
    device_file = _device_file(centre, tmp_path, "counter-1")
    env = {k: v for k, v in os.environ.items() if k != "GPIOZERO_PIN_FACTORY"}
    run = subprocess.run([sys.executable, "-m", "counter.main", "--device", device_file], env=env,
                         capture_output=True, text=True, timeout=30)
    if run.returncode == 0:
        pytest.fail("this machine has GPIO: the test expects a machine without it")
    assert run.returncode == 2
    assert "no GPIO access on this machine" in run.stderr and "--console" in run.stderr
    assert "Traceback" not in run.stderr
