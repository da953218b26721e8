"""``onestop-console``: the supervisor's console on the hub, HTTPS on the staff network only.

    onestop-console --config /etc/onestop-console/console.toml

``console.toml`` (its own folder: the console runs as its own user, ``onestop-console``, and reads
nothing of the hub's ``/etc/onestop``)::

    site_file = "/etc/onestop-console/site.toml"   # names, counters, devices; network.console_host
    accounts = "/var/lib/onestop-console/accounts.sqlite3"
    reports = "/var/lib/onestop/reports"           # what onestop-report writes every night
    port = 443
    [broker]
    host = "127.0.0.1"
    port = 1883
    [monitor]                                      # reads the retained state the console shows
    identity = "monitor.console"
    password = "..."
    [supervisor]                                   # sends the actions, in its own name
    identity = "supervisor.console"
    password = "..."
    [tls]                                          # the console's certificate from the site CA
    cert = "/etc/onestop-console/console.crt"
    key = "/etc/onestop-console/console.key"

It listens on the site file's ``network.console_host`` (the hub's staff-network address) and
nowhere else, and refuses to start without it or without its certificate: a console on every
interface, or over plain HTTP, would put staff passwords on the guest Wi-Fi.  ``ConsoleService``
runs the aiohttp server and its two broker links on a thread of their own (the tests start it in
their process); ``main`` runs it until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
import sys
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from contract.acl import monitor_id
from contract.topics import Topics
from mqttlink.link import DeviceLink
from mqttlink.systemd import ServiceNotifier
from siteconf.schema import Site

from .accounts import Accounts
from .server import ConsoleServer

log = logging.getLogger("console")

DEFAULT_CONFIG = "/etc/onestop-console/console.toml"
MONITOR_ID = monitor_id("console")
SUPERVISOR_ID = "supervisor.console"


class ConfigError(ValueError):
    """What is wrong with console.toml or the site file, and what to do."""


@dataclass(frozen=True)
class ConsoleConfig:
    site_file: str
    accounts: str
    reports: str | None
    broker_host: str
    broker_port: int
    monitor_password: str
    supervisor_password: str
    tls_cert: str
    tls_key: str
    port: int = 443


def config_data(site_file: str, broker_host: str, broker_port: int, monitor_password: str,
                supervisor_password: str, tls_cert: str, tls_key: str,
                accounts: str = "/var/lib/onestop-console/accounts.sqlite3",
                reports: str = "/var/lib/onestop/reports", port: int = 443) -> dict:
    """``console.toml`` as the provisioning tool writes it."""
    return {"site_file": site_file, "accounts": accounts, "reports": reports, "port": port,
            "broker": {"host": broker_host, "port": broker_port},
            "monitor": {"identity": MONITOR_ID, "password": monitor_password},
            "supervisor": {"identity": SUPERVISOR_ID, "password": supervisor_password},
            "tls": {"cert": tls_cert, "key": tls_key}}


def load_config(path: str | Path) -> ConsoleConfig:
    path = Path(path)
    again = "make the console's files again (onestop-provision build) and install them"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; {again}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc}); {again}") from None

    def get(*keys, kind=str):
        value = data
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise ConfigError(f"{path}: {'.'.join(keys)} is missing or not a {kind.__name__}; {again}")
        return value

    for section, identity in (("monitor", MONITOR_ID), ("supervisor", SUPERVISOR_ID)):
        if get(section, "identity") != identity:
            raise ConfigError(f"{path}: {section}.identity must be {identity!r}; {again}")
    return ConsoleConfig(get("site_file"), get("accounts"), data.get("reports") if isinstance(data.get("reports"), str)
                         else None, get("broker", "host"), get("broker", "port", kind=int),
                         get("monitor", "password"), get("supervisor", "password"), get("tls", "cert"),
                         get("tls", "key"), data.get("port", 443) if isinstance(data.get("port", 443), int) else 443)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """TLS 1.2 or newer with the console's certificate (the site CA's, which staff PCs trust)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"the console's certificate {cert} or key {key}: {exc}") from None
    return context


class ConsoleService:
    """The console's server and its broker links (``monitor.console`` reads, ``supervisor.console``
    asks); ``start()`` returns once it listens."""

    def __init__(self, site: Site, accounts: Accounts, broker_host: str, broker_port: int, monitor_password: str,
                 supervisor_password: str, *, listen: str, port: int = 443, tls: ssl.SSLContext | None = None,
                 reports: str | Path | None = None, timing=None):
        self.topics = Topics(site.site.id)
        kwargs = {"timing": timing} if timing is not None else {}
        self.monitor = DeviceLink(site.site.id, MONITOR_ID, monitor_password, host=broker_host, port=broker_port,
                                  role="monitor", **kwargs)
        self.supervisor = DeviceLink(site.site.id, SUPERVISOR_ID, supervisor_password, host=broker_host,
                                     port=broker_port, role="supervisor", **kwargs)
        self.server = ConsoleServer(site, accounts, self._send, Path(reports) if reports else None)
        self.listen, self.port, self.tls = listen, port, tls
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="console", daemon=True)
        self._runner: web.AppRunner | None = None

    async def _send(self, action: str, fields: dict) -> dict:
        """One request to the hub as ``supervisor.console``; the reply (ok or a refusal)."""
        return await asyncio.wrap_future(self.supervisor.request_async(action, **fields))

    def _on_message(self, topic: str, payload) -> None:  # paho's thread
        self.loop.call_soon_threadsafe(self.server.feed, topic, payload)

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.server.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port, ssl_context=self.tls, backlog=64)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    def start(self) -> "ConsoleService":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)
        base = self.topics.base
        for topic in (f"{base}/state/service/+", f"{base}/state/counter/+", f"{base}/state/zone/+",
                      self.topics.all_presence(), self.topics.all_health()):
            self.monitor.subscribe(topic, self._on_message)
        self.monitor.start()
        self.supervisor.start()
        return self

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.listen}:{self.port}"

    def alive(self) -> bool:
        return self._thread.is_alive() and self.monitor.connected

    def stop(self) -> None:
        self.monitor.close()
        self.supervisor.close()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self.server.close_sockets(), self.loop).result(10)
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def build_service(config: ConsoleConfig) -> ConsoleService:
    from siteconf import SiteFileError, load_site
    try:
        site = load_site(config.site_file)
    except SiteFileError as exc:
        raise ConfigError(str(exc)) from None
    if not site.network.console_host:
        raise ConfigError(f"{config.site_file}: network.console_host is not set: the console listens only on the "
                          "hub's staff-network address (docs/technician.md, \"The supervisor's console\")")
    return ConsoleService(site, Accounts(config.accounts), config.broker_host, config.broker_port,
                          config.monitor_password, config.supervisor_password, listen=site.network.console_host,
                          port=config.port, tls=tls_context(config.tls_cert, config.tls_key), reports=config.reports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-console", description="The supervisor's console (HTTPS).")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="console.toml: logins, certificate, site file")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s console %(levelname)s %(message)s")
    try:
        service = build_service(load_config(args.config))
    except ConfigError as exc:
        print(f"onestop-console: cannot start.\n{exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        service.start()
    except OSError as exc:
        print(f"onestop-console: cannot listen on {service.listen}:{service.port}: {exc}", file=sys.stderr)
        return 2
    systemd = ServiceNotifier.from_environment()
    systemd.ready(f"serving the console on {service.url}")
    systemd.start_watchdog(lambda: service._thread.is_alive())
    print(f"onestop-console: serving on {service.url}", flush=True)
    while not stop.wait(1):
        pass
    systemd.stopping()
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
