"""A whole site's back end on one machine: real Mosquitto with the project's
generated config and per-device credentials, plus the hub.

The demo and the tests both start a centre this way, so what the tests
exercise is exactly what the demo (and a hub) runs.  The broker binds the
client id to the identity, so a device has one connection: ``link()`` closes
an earlier link of the same device before it opens a new one, and whatever
only watches (the demo's printouts, a test's probe) is a read-only monitor
of its own (``monitor()``), never a second login of a device.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import tomli_w

from broker_config import Mosquitto, SiteCredentials, write_broker_files
from broker_config.generate import TlsListener
from contract.acl import GUESTPAGE_ID, SITE_MONITORS, doctor_id, monitor_id, tool_of
from contract.guest import guest_key
from hub.clock import Clock
from hub.service import BrokerAddress, HubService
from mqttlink.link import DeviceLink
from mqttlink.paho_setup import TlsFiles
from provisioning.identity import DOCTOR_FILE, FLEET_FILE, GUEST_FILE, tool_file_data
from provisioning.operator import TECHNICIAN_FILE, TECHNICIAN_ID
from siteconf.content import ContentPacks
from siteconf.device import Timing
from siteconf.schema import Site

#: fast timings for tests and the demo on one machine
FAST = Timing(request_timeout_s=2.0, request_expiry_s=5.0, reconnect_min_s=0.05, reconnect_max_s=0.5)
#: read-only monitors of a centre on one machine: fleet (as on a hub) and the demo's or a test's observer
CENTRE_MONITORS = (*SITE_MONITORS, "observer")


class LocalCentre:
    """Broker + hub for one site in ``workdir``; devices join with ``link()``."""

    def __init__(self, site: Site, workdir: Path | str, timing: Timing = FAST, clock: Clock | None = None,
                 content: ContentPacks | None = None, tls: TlsListener | None = None):
        self.site = site
        #: the information-point content pack the hub publishes (None: none)
        self.content = content
        self.workdir = Path(workdir)
        self.timing = timing
        self.clock = clock
        self.credentials = SiteCredentials()
        self.credentials.ensure(site, CENTRE_MONITORS)
        self.credentials.save(self.workdir / "secrets.toml")
        #: the TLS listener beside the loopback password one (None: passwords only)
        self.tls = tls
        self.files = write_broker_files(site, self.credentials, self.workdir / "broker", tls=tls)
        self.broker = Mosquitto(self.files)
        self.database = str(self.workdir / "hub.sqlite3")
        self.hub: HubService | None = None
        self.hub_process: subprocess.Popen | None = None
        self._links: list[DeviceLink] = []
        self._guests: list = []

    # -------------------------------------------------------------- parts
    def start_broker(self) -> "LocalCentre":
        self.broker.start()
        return self

    @property
    def port(self) -> int:
        return self.broker.port

    def hub_address(self) -> BrokerAddress:
        hub_id = self.site.hub_device.id
        return BrokerAddress("127.0.0.1", self.port, hub_id, self.credentials.password_for(hub_id),
                             self.timing.reconnect_min_s, self.timing.reconnect_max_s)

    def start_hub(self, timeout: float = 10.0) -> HubService:
        """The hub in this process (a thread), ready when all retained state is out."""
        self.hub = HubService(self.site, self.database, self.hub_address(), self.clock, self.content,
                              guest_key=self.guest_key()).start()
        if not self.hub.wait_ready(timeout):
            raise RuntimeError(f"the hub did not get ready within {timeout} s\n{self.broker.log_text()[-2000:]}")
        return self.hub

    def guest_key(self) -> bytes:
        """The key of the guest feed's ids, as the hub and the page server derive it (``contract.guest``)."""
        return guest_key(self.credentials.password_for(GUESTPAGE_ID))

    def stop_hub(self) -> None:
        if self.hub is not None:
            self.hub.stop()
            self.hub = None

    def write_hub_device_file(self, site_file: Path | str) -> Path:
        hub_id = self.site.hub_device.id
        path = self.workdir / "hub-device.toml"
        path.write_text(tomli_w.dumps({
            "device_id": hub_id, "site_id": self.site.site.id, "site_file": str(site_file),
            "database": self.database, "state_dir": str(self.workdir),
            "broker": {"host": "127.0.0.1", "port": self.port, "password": self.credentials.password_for(hub_id)},
            "timing": self.timing.model_dump(),
        }), encoding="utf-8")
        self.write_tool_file(path.parent / FLEET_FILE, monitor_id("fleet"))
        self.write_tool_file(path.parent / TECHNICIAN_FILE, TECHNICIAN_ID)
        self.write_tool_file(path.parent / DOCTOR_FILE, doctor_id(hub_id))
        self.write_tool_file(path.parent / GUEST_FILE, GUESTPAGE_ID)
        return path

    def write_tool_file(self, path: Path | str, identity: str, tls: TlsFiles | None = None) -> Path:
        """fleet.toml / doctor.toml (provisioning.identity) for a tool of this centre: a password, or the
        certificate in ``tls``."""
        data = tool_file_data(identity, tls_cert=tls.cert, tls_key=tls.key) if tls else \
            tool_file_data(identity, self.credentials.password_for(identity))
        Path(path).write_text(tomli_w.dumps(data), encoding="utf-8")
        return Path(path)

    def write_device_file(self, device_id: str, path: Path | str, state_dir: Path | str | None = None) -> Path:
        """The bootstrap file a device process (onestop-kiosk, -display...) starts from, for this centre."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps({
            "device_id": device_id, "site_id": self.site.site.id,
            "state_dir": str(state_dir or self.workdir / device_id),
            "broker": {"host": "127.0.0.1", "port": self.port, "password": self.credentials.password_for(device_id)},
            "timing": self.timing.model_dump(),
        }), encoding="utf-8")
        return path

    def spawn_hub_process(self, site_file: Path | str, env: dict[str, str] | None = None,
                          stderr=subprocess.PIPE) -> subprocess.Popen:
        """The hub as its own process (``onestop-hub``), for crash and restart tests; ``env`` adds
        to this process's environment (e.g. the crash tests' hook)."""
        device_file = self.write_hub_device_file(site_file)
        self.hub_process = subprocess.Popen([sys.executable, "-m", "hub.main", "--device", str(device_file)],
                                            stderr=stderr, text=True, env={**os.environ, **(env or {})})
        return self.hub_process

    def link(self, device_id: str, start: bool = True, timing: Timing | None = None,
             password: str | None = None, tls: TlsFiles | None = None) -> DeviceLink:
        """A device's connection (``tls``: over the TLS listener with that certificate).  A device has one:
        an earlier link of the same device still open is closed first (the broker would hand its
        connection over to the new one anyway, and the old one would take it back when it reconnects)."""
        device = self.site.device(device_id)
        role = device.role if device else "unknown"
        if password is None and tls is None:
            password = self.credentials.passwords.get(device_id, "no-such-device")
        return self._open(DeviceLink(self.site.site.id, device_id, password, host="127.0.0.1",
                                     port=self.tls.port if tls else self.port, role=role,
                                     timing=timing or self.timing, tls=tls), start)

    def monitor(self, name: str = "observer", timing: Timing | None = None) -> DeviceLink:
        """A read-only monitor's connection (``monitor.<name>``, one of ``CENTRE_MONITORS``): it reads presence,
        health, state and events, sends nothing.  For the demo's printouts and the tests' probes."""
        identity = monitor_id(name)
        return self._open(DeviceLink(self.site.site.id, identity, self.credentials.password_for(identity),
                                     host="127.0.0.1", port=self.port, role="monitor", timing=timing or self.timing),
                          True)

    def operator(self, identity: str = TECHNICIAN_ID, timing: Timing | None = None) -> DeviceLink:
        """An operator's connection (``technician.hub``, ``supervisor.console``): requests in its own
        name (``void_tickets``, ``erase_ticket``), no presence."""
        return self._open(DeviceLink(self.site.site.id, identity, self.credentials.password_for(identity),
                                     host="127.0.0.1", port=self.port, role=tool_of(identity).role,
                                     timing=timing or self.timing), True)

    def guest_pages(self, port: int = 0):
        """The guest page server (``guest.main.GuestService``) on a loopback port, logged in as ``guestpage.web``;
        closed with the centre."""
        from guest.main import GuestService
        service = GuestService(self.site.site.id, self.credentials.password_for(GUESTPAGE_ID), "127.0.0.1",
                               self.port, port=port, timing=self.timing).start()
        self._guests.append(service)
        return service

    def _open(self, link: DeviceLink, start: bool) -> DeviceLink:
        if start:
            for earlier in [x for x in self._links if x.device_id == link.device_id and not x.closed]:
                earlier.close()
        self._links.append(link)
        if start:
            link.start()
            if not link.wait_connected(5):
                raise RuntimeError(f"{link.device_id} could not connect: {link.last_connack}")
        return link

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "LocalCentre":
        self.start_broker()
        self.start_hub()
        return self

    def close(self) -> None:
        for guest in self._guests:
            guest.stop()
        self._guests.clear()
        for link in self._links:
            link.close()
        self._links.clear()
        self.stop_hub()
        if self.hub_process is not None and self.hub_process.poll() is None:
            self.hub_process.kill()
            self.hub_process.wait()
        self.broker.close()

    def __enter__(self) -> "LocalCentre":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
