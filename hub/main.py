"""``onestop-hub``: run the site's queue authority.

    onestop-hub --device /etc/onestop/device.toml

The device file names the site file and the database (``site_file``,
``database``) and how to reach the broker.  A broken site or device file stops
start-up with a message naming the file, the key and the problem.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from mqttlink.systemd import ServiceNotifier
from siteconf import SiteFileError, load_site
from siteconf.appointments import read_appointments
from siteconf.device import load_device_file

from .content import read_content
from .service import BrokerAddress, HubService

DEFAULT_DEVICE_FILE = "/etc/onestop/device.toml"


def build_service(device_file: str) -> HubService:
    """Read the device and site files and make the hub (not started); SiteFileError names the problem."""
    return make_service(read_config(device_file))


def make_service(config: tuple) -> HubService:
    """The hub for a ``read_config`` result, with the site's information-point content pack."""
    site, database, broker, site_file = config
    try:
        appointments = read_appointments(site, site_file)
    except SiteFileError as exc:
        logging.error("appointments NOT loaded, check-in by appointment is off until the file is fixed:\n%s", exc)
        appointments = []
    return HubService(site, database, broker, content=read_content(site, site_file), appointments=appointments)


def read_config(device_file: str) -> tuple:
    """(site, database, broker address, site file) from the hub's device file and the site file it names."""
    device = load_device_file(device_file)
    if not device.site_file:
        raise SiteFileError(device_file, ["site_file: the hub's device file must name the site file"])
    site = load_site(device.site_file)
    if site.site.id != device.site_id:
        raise SiteFileError(device_file, [f"site_id: {device.site_id!r} but the site file is for {site.site.id!r}"])
    hub = site.device(device.device_id)
    if hub is None or hub.role != "hub":
        raise SiteFileError(device_file, [f"device_id: {device.device_id!r} is not the hub device of the site file"])
    database = device.database or str(Path(device.state_dir) / "hub.sqlite3")
    try:
        password = device.broker.read_password()
    except (OSError, ValueError) as exc:
        raise SiteFileError(device_file, [f"broker: {exc}"]) from None
    broker = BrokerAddress(device.broker.host, device.broker.port, device.device_id, password,
                           device.timing.reconnect_min_s, device.timing.reconnect_max_s, device.broker.keepalive_s)
    return site, database, broker, device.site_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-hub", description="The site's queue authority.")
    parser.add_argument("--device", default=DEFAULT_DEVICE_FILE, help="the hub's device file (TOML)")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s hub %(levelname)s %(message)s")
    try:
        service = build_service(args.device)
    except SiteFileError as exc:
        print(f"onestop-hub: cannot start.\n{exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    reload = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    systemd = ServiceNotifier.from_environment()
    start(service)
    systemd.ready(f"serving site {service.site.site.id}")
    while not stop.is_set():
        if reload.wait(0.5):
            reload.clear()
            systemd.reloading()
            service = reloaded(service, args.device)
            systemd.ready(f"serving site {service.site.site.id}")
        systemd.ping_if(service.is_alive())
    systemd.stopping()
    service.stop()
    return 0


def start(service: HubService) -> None:
    service.start()
    if service.wait_ready(30):
        logging.info("hub ready for site %s", service.site.site.id)
    else:
        logging.warning("hub started but the broker has not answered yet; it keeps trying")


def reloaded(service: HubService, device_file: str) -> HubService:
    """SIGHUP: re-read the site file; a broken edit is reported and the running hub keeps going.
    A good one restarts the hub's service, which republishes every device's slice."""
    try:
        config = read_config(device_file)
    except SiteFileError as exc:
        logging.error("site file NOT reloaded, the hub keeps the previous one:\n%s", exc)
        return service
    service.stop()  # before the new hub reads the database, so it misses no request
    fresh = make_service(config)
    start(fresh)
    logging.info("site file reloaded")
    return fresh


if __name__ == "__main__":
    sys.exit(main())
