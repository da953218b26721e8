"""``onestop-guest``: the visitors' phone pages, on the hub's Pi or a Pi of its own.

    onestop-guest --config /etc/onestop-guest/guest.toml --listen 0.0.0.0 --port 80

It logs in as ``guestpage.web`` with ``guest.toml`` (the login, the site and where the broker
is: ``guest.config``) and reads only the guest feed (``contract.acl``).  ``GuestService`` runs
the aiohttp server and the broker link on a thread of their own (the tests start it in their
process); ``main`` runs it until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading

from aiohttp import web

from contract.acl import GUESTPAGE_ID
from contract.guest import guest_key
from contract.topics import HUB_ID, Topics
from mqttlink.link import DeviceLink
from mqttlink.systemd import ServiceNotifier

from .config import DEFAULT_CONFIG, load_config
from .server import GuestServer

log = logging.getLogger("guest")


class GuestService:
    """The page server and its broker link; ``start()`` returns once it listens."""

    def __init__(self, site_id: str, password: str, broker_host: str, broker_port: int, *,
                 listen: str = "127.0.0.1", port: int = 8080, timing=None, tls=None):
        self.server = GuestServer(guest_key(password))
        self.topics = Topics(site_id)
        self.listen, self.port = listen, port
        kwargs = {"timing": timing} if timing is not None else {}
        self.link = DeviceLink(site_id, GUESTPAGE_ID, password, host=broker_host, port=broker_port,
                               role="guestpage", tls=tls, **kwargs)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="guest-pages", daemon=True)
        self._runner: web.AppRunner | None = None

    def _on_feed(self, topic: str, payload) -> None:  # paho's thread
        service = topic.rsplit("/", 1)[-1]
        self.loop.call_soon_threadsafe(self.server.feed, service, payload)

    def _on_presence(self, topic: str, payload) -> None:  # paho's thread
        self.loop.call_soon_threadsafe(self.server.hub_presence, payload)

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.server.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port, backlog=512)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    def start(self) -> "GuestService":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)
        self.link.subscribe(self.topics.all_guest_services(), self._on_feed)
        self.link.subscribe(self.topics.presence(HUB_ID), self._on_presence)
        self.link.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{self.listen}:{self.port}"

    def stop(self) -> None:
        self.link.close()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self.server.close_pages(), self.loop).result(10)
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestop-guest", description="The visitors' phone pages.")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="guest.toml: the login and where the broker is")
    parser.add_argument("--listen", default="0.0.0.0", help="the address phones reach (the guest network's)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s guest %(levelname)s %(message)s")
    from provisioning.workspace import ProvisioningError
    try:
        site_id, password, host, port = load_config(args.config)
    except ProvisioningError as exc:
        print(f"onestop-guest: cannot start.\n{exc}", file=sys.stderr)
        return 2
    service = GuestService(site_id, password, host, port, listen=args.listen, port=args.port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    service.start()
    systemd = ServiceNotifier.from_environment()
    systemd.ready(f"serving pages on {args.listen}:{service.port}")
    systemd.start_watchdog(lambda: service._thread.is_alive())
    print(f"onestop-guest: serving on {service.url}", flush=True)
    while not stop.wait(1):
        pass
    systemd.stopping()
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
