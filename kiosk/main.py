"""``onestop-kiosk``: the touchscreen ticket dispenser and information point.

    onestop-kiosk --device /etc/onestop/device.toml             # the Kivy app, full screen
    onestop-kiosk --device device.toml --windowed               # in a window (a desk, the demo)
    onestop-kiosk --device device.toml --console --language uk  # in a terminal, no screen

On a Raspberry Pi without a desktop, SDL draws straight to the screen
(KMS/DRM); with a desktop it opens a window.
"""

from __future__ import annotations

import argparse
import os
import sys

from mqttlink.bootstrap import DEFAULT_DEVICE_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=DEFAULT_DEVICE_FILE, help="the kiosk's device file (TOML)")
    parser.add_argument("--console", action="store_true", help="run in a terminal instead of the touchscreen")
    parser.add_argument("--language", default=os.environ.get("LANG", "pt")[:2], help="--console only")
    parser.add_argument("--windowed", action="store_true", help="a window instead of the full screen")
    parser.add_argument("--size", help="window size WxH with --windowed (default: the device's screen)")
    parser.add_argument("--render-dir", help="also draw every printed ticket as a PNG here")
    parser.add_argument("--printer-file", help="print to this file (ESC/POS bytes) instead of the configured printer")
    args = parser.parse_args(argv)
    if args.console:
        from .console import run_console
        return run_console(args.device, args.language)
    from .launch import run_kiosk
    printer = {"connector": "file", "path": args.printer_file} if args.printer_file else None
    size = None
    if args.size:
        try:
            size = tuple(int(v) for v in args.size.lower().split("x"))
        except ValueError:
            parser.error(f"--size wants WxH like 800x480, not {args.size!r}")
    return run_kiosk(args.device, windowed=args.windowed, render_dir=args.render_dir, printer_override=printer,
                     size=size)


if __name__ == "__main__":
    sys.exit(main())
