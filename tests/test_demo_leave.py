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
        time.sleep(4)  # a few visitors (one every 1.5 s per kiosk at the demo's speed)
    finally:
        demo.terminate()
        out, _ = demo.communicate(timeout=30)
    assert f"left to you: .venv/bin/onestop-counter --device {device_file}" in out
    # the demo serves the visitors' phone pages too, and says where a ticket's page is
    pages = [line.split()[-1] for line in out.splitlines() if "'s phone page: http://127.0.0.1:" in line]
    assert pages and "visitors' phone pages on http://127.0.0.1:" in out
    assert all(page.split("/t/")[1].isalnum() and len(page.split("/t/")[1]) == 26 for page in pages)
    assert "counter-01" not in [line.split()[1] for line in out.splitlines() if "calls" in line]
