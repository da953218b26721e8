"""Start the Kivy kiosk from its device file.

Kivy reads its settings when it is first imported, so this module sets the
environment (Pillow text provider: it shapes Arabic and Indic scripts;
``KIVY_NO_ARGS``: our own command line) and the window (size, full screen)
before it imports the app.  The window size comes from the kiosk's screen
entry as last received from the hub (cached on disk); on a Pi in full screen
SDL uses the panel's own size anyway.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping

from mqttlink.bootstrap import open_link

from .cache import KioskCache
from .connection import HubConnection


def kivy_environment() -> None:
    """Settings Kivy reads at import time; a caller's own values win."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_TEXT", "pil")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")


def configure_window(screen: Mapping | None, windowed: bool, size: tuple[int, int] | None = None) -> None:
    """Window size and mode; call before ``kivy.core.window`` is imported.  ``size`` (windowed only)
    overrides the screen's (the demo shows the kiosk at a 7" panel's 800x480 beside the wall screen)."""
    from kivy.config import Config
    screen = dict(screen or {})
    if windowed and size:
        screen.update(width=size[0], height=size[1])
    width, height = int(screen.get("width", 1280)), int(screen.get("height", 800))
    fullscreen = screen.get("fullscreen", True) and not windowed
    if windowed and (width > 1600 or height > 1000):  # fit a desk's screen, keep the shape
        scale = min(1600 / width, 1000 / height)
        width, height = int(width * scale), int(height * scale)
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def make_kiosk(device_file: str, *, windowed: bool = False, render_dir: str | Path | None = None,
               printer_override: Mapping | None = None, animations: bool | None = None,
               configure: bool = True, size: tuple[int, int] | None = None):
    """The kiosk app for a device file (not running yet).  ``printer_override`` replaces the printer
    of the device's entry (the simulated centre prints to a file of its own)."""
    kivy_environment()
    device, link = open_link(device_file, "kiosk")
    cache = KioskCache(Path(device.state_dir) / "kiosk-cache" / device.device_id)
    connection = HubConnection(link, cache, probe_interval_s=device.timing.request_timeout_s)
    cached_device = cache.load("device-config") or {}
    if configure:
        configure_window(cached_device.get("screen"), windowed, size)
    from .app import KioskApp, animations_enabled
    from .printing import KioskPrinter

    app: KioskApp

    def printer_factory(config):
        return KioskPrinter(printer_override or config, on_status=app.printer_status, render_dir=render_dir).start()

    def scanner_factory(config):
        from hardware.scanner import ScanParser, open_scanner
        scanner = open_scanner(config, parser=ScanParser(device.site_id))
        scanner.add_scan_listener(app.scan_received)
        connection.health.watch_scanner(scanner)
        return scanner.start()

    app = KioskApp(connection, printer_factory=printer_factory, scanner_factory=scanner_factory,
                   diagonal_in=(cached_device.get("screen") or {}).get("diagonal_in"),
                   animations=animations_enabled() if animations is None else animations)
    return app


def run_kiosk(device_file: str, *, windowed: bool = False, render_dir: str | None = None,
              printer_override: Mapping | None = None, size: tuple[int, int] | None = None) -> int:
    import logging

    from mqttlink.systemd import notify_from_kivy_clock
    logging.basicConfig(level=logging.INFO, format="%(asctime)s kiosk %(levelname)s %(name)s: %(message)s")
    app = make_kiosk(device_file, windowed=windowed, render_dir=render_dir, printer_override=printer_override,
                     size=size)
    notify_from_kivy_clock()  # systemd: READY at the first frame, watchdog while the screen is alive
    try:
        app.run()
    except KeyboardInterrupt:
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(run_kiosk(sys.argv[1]))
