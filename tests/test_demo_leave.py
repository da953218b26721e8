"""``onestop-demo --leave DEVICE``: the demo centre plays every device but that one, and writes the
device file to run its role against it (what CONTRIBUTING.md tells a newcomer to do)."""

from __future__ import annotations

import subprocess
import sys
import time

from siteconf.device import load_device_file


def test_a_left_counter_runs_its_own_console_against_the_demo_centre(tmp_path):
    demo = subprocess.Popen([sys.executable, "-m", "simulator.main", "--duration", "30", "--no-kiosk", "--no-screen",
                             "--leave", "counter-01", "--workdir", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        device_file = tmp_path / "devices" / "counter-01.toml"
        deadline = time.monotonic() + 30
        while not device_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert load_device_file(device_file).device_id == "counter-01"
        console = subprocess.run([sys.executable, "-m", "counter.main", "--device", str(device_file), "--console"],
                                 input="o\nq\n", capture_output=True, text=True, timeout=60)
        assert "counter open" in console.stdout, console.stdout + console.stderr
    finally:
        demo.terminate()
        out, _ = demo.communicate(timeout=30)
    assert f"left to you: .venv/bin/onestop-counter --device {device_file}" in out
    assert "counter-01" not in [line.split()[1] for line in out.splitlines() if "calls" in line]
