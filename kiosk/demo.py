"""The simulated centre's kiosk: ``onestop-demo`` runs one real Kivy kiosk.

With a screen (DISPLAY set) it opens the kiosk in a window a person can tap;
headless it runs offscreen (SDL's offscreen driver), exactly the same app.
It is the real ``onestop-kiosk`` process with its own device file and broker
login; its printer writes the ESC/POS bytes to a file in the demo's folder
and every ticket is also drawn as a PNG there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DemoKiosk:
    process: subprocess.Popen
    device_id: str
    printer_file: Path
    tickets_dir: Path
    log_file: Path
    windowed: bool
    _seen: set[str] = field(default_factory=set)

    def new_tickets(self) -> list[Path]:
        """Tickets drawn since the last call (the demo prints them as they come)."""
        found = sorted(self.tickets_dir.glob("*.png"), key=lambda p: p.stat().st_mtime)
        fresh = [p for p in found if p.name not in self._seen]
        self._seen.update(p.name for p in fresh)
        return fresh

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def open_kiosk(centre, device_id: str, workdir: Path | str, windowed: bool, place=None) -> DemoKiosk:
    """Start ``onestop-kiosk`` for ``device_id`` of a LocalCentre: a window, or offscreen.  ``place``
    (simulator.windows.Place) sets the window's size and where it stands on the screen."""
    workdir = Path(workdir) / device_id
    workdir.mkdir(parents=True, exist_ok=True)
    device_file = centre.write_device_file(device_id, workdir / "device.toml", state_dir=workdir / "state")
    printer_file, tickets_dir, log_file = workdir / "printer.bin", workdir / "tickets", workdir / "kiosk.log"
    env = dict(os.environ)
    if not windowed:
        env["SDL_VIDEODRIVER"] = "offscreen"
    env.setdefault("KIVY_HOME", str(workdir / "kivy"))
    cmd = [sys.executable, "-m", "kiosk.main", "--device", str(device_file), "--windowed",
           "--printer-file", str(printer_file), "--render-dir", str(tickets_dir)]
    if windowed and place is not None:
        cmd += ["--size", place.size]
        env.update(place.env())
    with log_file.open("ab") as log:
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return DemoKiosk(process, device_id, printer_file, tickets_dir, log_file, windowed)
