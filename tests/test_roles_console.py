"""The role entry points as a technician starts them: provisioning writes each
device's bootstrap file, then onestop-kiosk / -counter / -display run as
their own processes against the real broker and hub."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import tomli_w
from sites import small_site_dict


class Proc:
    """A role process with line-by-line stdout and a timeout on every wait."""

    def __init__(self, *args: str):
        self.p = subprocess.Popen([sys.executable, "-c", "import sys; from {0}.main import main; sys.exit(main())"
                                   .format(args[0]), *args[1:]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed within {timeout} s; got {seen}")

    def send(self, line: str) -> None:
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def close(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()


def test_kiosk_counter_and_display_processes_work_together(centre, tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()), encoding="utf-8")
    files = {}
    for device in ("kiosk-1", "counter-1", "display-ground"):
        out = tmp_path / f"{device}.toml"
        run = subprocess.run([sys.executable, "-m", "provisioning.cli", "device-file", str(site_file), device,
                              "--out", str(out), "--secrets", str(centre.workdir / "secrets.toml"),
                              "--broker-host", "127.0.0.1"], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        data = __import__("tomllib").loads(out.read_text())
        data["broker"]["port"] = centre.port  # the test broker's free port
        out.write_text(tomli_w.dumps(data))
        files[device] = str(out)
    procs = [Proc("display", "--console", "--device", files["display-ground"]),
             Proc("kiosk", "--device", files["kiosk-1"], "--console", "--language", "en"),
             Proc("counter", "--console", "--device", files["counter-1"])]
    display, kiosk, counter = procs
    try:
        display.expect("showing zone ground")
        kiosk.expect("Something else")  # the menu, in English, from the hub's retained config
        kiosk.send("2")
        ticket = kiosk.expect("TICKET")
        assert "A001" in ticket and "OSS1:test-centre:" in ticket
        counter.send("n")
        counter.expect("now serving A001")
        display.expect("A001 -> counter 1 [en]")
        counter.send("x")
        counter.expect("refused: no_show_needs_recall")
    finally:
        for proc in procs:
            proc.close()


def test_provisioning_refuses_a_broken_site_file_without_a_traceback(tmp_path):
    data = small_site_dict()
    data["zones"] = []
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "provisioning.cli", "check", str(site_file)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "zones: List should have at least 1 item" in run.stderr
