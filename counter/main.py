"""``onestop-counter``: the staff controls of one counter.

By default it runs the desk's hardware: gpiozero call buttons, the status
light, the optional buzzer, small display and (at the sorting office) the
second-ticket printer, all as the device's entry of the site file says
(``config/device/<id>``, retained by the hub).  ``--console`` runs the keyboard
console instead (a desk without buttons, a bench test).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import warnings

from mqttlink.bootstrap import DEFAULT_DEVICE_FILE, open_link
from mqttlink.systemd import notify_ready

from .console import run_console

log = logging.getLogger("onestop-counter")


def run_buttons(device, link) -> int:
    """The gpiozero desk until SIGTERM or Ctrl-C."""
    from gpiozero import Device

    from .device import CounterDevice

    with warnings.catch_warnings(record=True) as tried:
        warnings.simplefilter("always")
        try:
            Device.ensure_pin_factory()
        except Exception as exc:
            reasons = "".join(f"\n  - {w.message}" for w in tried)
            print(f"onestop-counter: cannot start.\nno GPIO access on this machine ({exc}){reasons}\n"
                  "Run it on the counter's Raspberry Pi, or use --console for keyboard commands.", file=sys.stderr)
            return 2
    for w in tried:
        log.info("%s", w.message)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    desk = CounterDevice(link).start()
    link.start()
    print(f"{device.device_id}: buttons ready once the hub sends this desk's settings "
          f"(broker {device.broker.host}:{device.broker.port})", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        desk.close()
        link.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-counter", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=DEFAULT_DEVICE_FILE, help="the device bootstrap file")
    parser.add_argument("--console", action="store_true",
                        help="keyboard commands instead of the gpiozero buttons")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    device, link = open_link(args.device, "counter")
    if args.console:
        return run_console(device, link)
    notify_ready()  # systemd: READY, watchdog pings while the process runs
    return run_buttons(device, link)


if __name__ == "__main__":
    sys.exit(main())
