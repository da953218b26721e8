"""``onestop-display``: the wall display of one zone.

By default the Kivy wall screen (full screen on the Pi's HDMI output, calls
announced aloud).  ``--console`` runs the same core in a terminal and prints
the calls (no screen needed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mqttlink.bootstrap import DEFAULT_DEVICE_FILE, open_link
from mqttlink.systemd import notify_from_kivy_clock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-display", description="Wall display of one zone.")
    parser.add_argument("--device", default=DEFAULT_DEVICE_FILE)
    parser.add_argument("--console", action="store_true", help="print calls in the terminal instead of a screen")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen (a desktop)")
    parser.add_argument("--size", help="window size WxH (default: the device's screen from the site file)")
    parser.add_argument("--no-motion", action="store_true", help="no pulsing highlight, no scrolling ticker")
    parser.add_argument("--no-audio", action="store_true", help="show calls without announcing them")
    parser.add_argument("--trace", help="append a JSON line per shown call and played sound to this file")
    args = parser.parse_args(argv)
    device, link = open_link(args.device, "display")
    if args.console:
        from display.console import run_console
        return run_console(link, device.device_id)
    return run_screen(args, device, link)


def run_screen(args, device, link) -> int:
    # Kivy reads its environment and configuration when first imported.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_TEXT", "pil")          # Pillow + raqm shape Arabic and Indic scripts
    os.environ.setdefault("KIVY_CLOCK", "interrupt")   # a call from MQTT wakes the main loop at once
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from display.app import default_data_dir
    data_dir = default_data_dir(device.state_dir)
    width, height, fullscreen = _screen(data_dir, args)
    from kivy.config import Config
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    try:
        from display.app import DisplayApp, DisplayOptions
        options = DisplayOptions(motion=not args.no_motion, audio=not args.no_audio, trace=args.trace,
                                 follow_screen=not args.size)
        app = DisplayApp(link, device.device_id, options, data_dir=data_dir)
        notify_from_kivy_clock()  # systemd: READY at the first frame, watchdog while the screen is alive
        app.run()
    except Exception as exc:  # no screen, no GL: say so plainly
        link.close()
        print(f"onestop-display: cannot open the screen: {exc}\n"
              f"(run with --console to print calls without a screen)", file=sys.stderr)
        return 1
    return 0


def _screen(data_dir: Path, args) -> tuple[int, int, bool]:
    """Window size: --size, else the device's screen remembered from the last run, else 1920x1080."""
    if args.size:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"onestop-display: --size wants WxH like 1920x1080, not {args.size!r}", file=sys.stderr)
            sys.exit(2)
        return width, height, False
    screen = {}
    try:
        remembered = json.loads((data_dir / "last-picture.json").read_text(encoding="utf-8"))
        screen = remembered.get("device", {}).get("device", {}).get("screen", {}) or {}
    except (OSError, ValueError, AttributeError):
        pass
    width, height = int(screen.get("width", 1920)), int(screen.get("height", 1080))
    if screen.get("orientation") == "portrait" and width > height:
        width, height = height, width
    return width, height, bool(screen.get("fullscreen", True)) and not args.windowed


if __name__ == "__main__":
    sys.exit(main())
