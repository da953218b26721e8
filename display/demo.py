"""The simulated centre's wall screen: ``onestop-demo`` opens one real display
window when a screen is there (DISPLAY set) and lets it speak when a sound
device is there; headless, the demo only prints.

The window is the real ``onestop-display`` process with its own device file
and broker login, exactly as on a Pi.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import tomli_w


def screen_present() -> bool:
    """An X display to open a window on (Kivy's SDL2 has no Wayland backend; XWayland sets DISPLAY)."""
    return bool(os.environ.get("DISPLAY"))


def sound_present() -> bool:
    """A sound card, or a PulseAudio/PipeWire server to play through."""
    cards = Path("/proc/asound/cards")
    try:
        if cards.exists() and "no soundcards" not in cards.read_text():
            return True
    except OSError:
        pass
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(os.environ.get("PULSE_SERVER")) or bool(runtime and Path(runtime, "pulse", "native").exists())


def open_window(centre, device_id: str, workdir: Path, size: str = "1280x720",
                env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``onestop-display`` for ``device_id`` of a LocalCentre, windowed (``env``: the window's
    place on the screen, simulator.windows.Place.env)."""
    device_file = Path(workdir) / f"{device_id}.device.toml"
    device_file.write_text(tomli_w.dumps({
        "device_id": device_id, "site_id": centre.site.site.id, "state_dir": str(Path(workdir) / device_id),
        "broker": {"host": "127.0.0.1", "port": centre.port, "password": centre.credentials.password_for(device_id)},
        "timing": centre.timing.model_dump(),
    }), encoding="utf-8")
    cmd = [sys.executable, "-m", "display.main", "--device", str(device_file), "--windowed", "--size", size]
    if not sound_present():
        cmd.append("--no-audio")
    return subprocess.Popen(cmd, env={**os.environ, **(env or {})})
