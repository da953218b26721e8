"""``onestop-hub``: run the site's queue authority.

    onestop-hub --device /etc/onestop/device.toml

The device file names the site file and the database (``site_file``,
``database``) and how to reach the broker.  A broken site or device file, or a
database the hub cannot write, stops start-up with one message naming the
file, the key and what to do (exit code 2, never a traceback).  A broken
optional file (``appointments.toml``, a content pack) never does: it is logged
and the hub runs without it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path

from contract.guest import guest_key
from guest.config import hub_secret
from mqttlink.systemd import ServiceNotifier
from siteconf import SiteFileError, load_site
from siteconf.appointments import read_appointments
from siteconf.device import DEVICE_FILE, broker_password, load_device_file

from .content import read_content
from .service import BrokerAddress, HubService

DEFAULT_DEVICE_FILE = "/etc/onestop/device.toml"


def build_service(device_file: str) -> HubService:
    """Read the device and site files and make the hub (not started); SiteFileError names the problem."""
    return make_service(read_config(device_file))


def make_service(config: tuple) -> HubService:
    """The hub for a ``read_config`` result, with the site's appointments and content pack when
    they can be used.  SiteFileError (naming the device file's ``database``) when the database
    cannot be opened."""
    site, database, broker, site_file, device_file = config
    appointments = optional(lambda: read_appointments(site, site_file), [],
                            "appointments NOT loaded, check-in by appointment is off until the file is fixed")
    content = optional(lambda: read_content(site, site_file), None, "content packs NOT loaded")
    guest = optional(lambda: guest_key(hub_secret(device_file)), None,
                     "guest.toml NOT read, no feed for the guest page server (visitors' phones)")
    try:
        return HubService(site, database, broker, content=content, appointments=appointments, guest_key=guest)
    except (sqlite3.Error, OSError) as exc:  # not a database (a bad restore), a full or read-only disk
        raise SiteFileError(device_file, [f"database: {database}: {exc}"], DATABASE_FIX) from None


def optional(read, default, what: str):
    """``read()``, or ``default`` when the file it reads cannot be used: the hub issues tickets
    without appointments or content rather than not at all.  The loaders raise only SiteFileError
    (fuzz-tested); anything else is caught too, because no optional file may stop the hub."""
    try:
        return read()
    except SiteFileError as exc:
        logging.error("%s:\n%s", what, exc)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        logging.error("%s: %s: %s", what, type(exc).__name__, exc)
    return default


DATABASE_FIX = ("The hub keeps its queue there: give the folder to the hub's user "
                "(`sudo install -d -o onestop /var/lib/onestop`), restore a good backup, or set `database` "
                "in the device file to a writable place.")


def database_problem(database: str) -> str | None:
    """Why the hub could not write its database there, or None.  SQLite in WAL mode also creates
    ``-wal`` and ``-shm`` files beside it, so the folder must be writable too."""
    path = Path(database)
    folder = path.parent
    if os.path.isdir(path):
        return f"database: {database} is a folder; name a file in it (e.g. {path / 'hub.sqlite3'})"
    if not os.path.isdir(folder):
        return f"database: the folder {folder} does not exist (or is not a folder)"
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.lexists(path) and not os.access(path, os.R_OK | os.W_OK)):
        return f"database: {database} is not writable by this user"
    return None


def read_config(device_file: str) -> tuple:
    """(site, database, broker address, site file, device file) from the hub's device file and the
    site file it names; SiteFileError names the file, the key and what to do."""
    device = load_device_file(device_file)

    def wrong(problem: str, fix: str = DEVICE_FILE.fix) -> SiteFileError:
        return SiteFileError(device_file, [problem], fix)

    if not device.site_file:
        raise wrong("site_file: the hub's device file must name the site file")
    site = load_site(device.site_file)
    if site.site.id != device.site_id:
        raise wrong(f"site_id: {device.site_id!r} but the site file is for {site.site.id!r}")
    hub = site.device(device.device_id)
    if hub is None or hub.role != "hub":
        raise wrong(f"device_id: {device.device_id!r} is not the hub device of the site file")
    database = device.database or str(Path(device.state_dir) / "hub.sqlite3")
    if problem := database_problem(database):
        raise wrong(problem, DATABASE_FIX)
    password = broker_password(device, device_file)
    broker = BrokerAddress(device.broker.host, device.broker.port, device.device_id, password,
                           device.timing.reconnect_min_s, device.timing.reconnect_max_s, device.broker.keepalive_s)
    return site, database, broker, device.site_file, device_file


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
            try:
                service = reloaded(service, args.device)
            except SiteFileError as exc:  # the database went away between the check and the re-open
                print(f"onestop-hub: stopped.\n{exc}", file=sys.stderr)
                return 2
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
