"""Tell systemd that a role is ready and still alive (``Type=notify`` units with ``WatchdogSec=``).

Every role's main uses it the same way::

    notifier = ServiceNotifier.from_environment()
    ...                                   # start the role
    notifier.ready("serving site cnai-lisboa")
    while running:
        notifier.ping_if(role_is_healthy())   # rate-limited to half the watchdog interval
    notifier.stopping()

Outside systemd (no ``NOTIFY_SOCKET``) every call does nothing, so the same
code runs in a terminal, in tests and under systemd.  A role that stops
pinging (a stuck worker thread, a frozen UI loop) is killed and restarted by
systemd after ``WatchdogSec``.  The protocol is a datagram of ``KEY=VALUE``
lines to the socket named in ``NOTIFY_SOCKET`` (sd_notify(3)); a few lines of
socket code, so no extra dependency on the device.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable, Mapping

log = logging.getLogger(__name__)


class ServiceNotifier:
    def __init__(self, socket_path: str | None, watchdog_s: float | None):
        self.socket_path = socket_path
        #: systemd's WatchdogSec for this process, None when there is no watchdog
        self.watchdog_s = watchdog_s
        self._last_ping = 0.0
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "ServiceNotifier":
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET") or None
        watchdog_s = None
        usec = env.get("WATCHDOG_USEC")
        pid = env.get("WATCHDOG_PID")
        if usec and usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog_s = int(usec) / 1_000_000
        return cls(path, watchdog_s)

    @property
    def active(self) -> bool:
        return self.socket_path is not None

    # --- messages ---------------------------------------------------------------
    def notify(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` fields; False when not under systemd or the socket is gone."""
        if self.socket_path is None:
            return False
        address = self.socket_path
        if address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace
        data = "\n".join(fields).encode()
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.sendto(data, address)
            except OSError as exc:
                log.warning("cannot notify systemd at %s: %s", self.socket_path, exc)
                return False
        return True

    def ready(self, status: str | None = None) -> bool:
        fields = ["READY=1"] + ([f"STATUS={status}"] if status else [])
        return self.notify(*fields)

    def reloading(self) -> bool:
        return self.notify("RELOADING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def ping(self) -> bool:
        """WATCHDOG=1, at most every half watchdog interval (call it as often as convenient)."""
        if self.watchdog_s is None:
            return False
        now = time.monotonic()
        if now - self._last_ping < self.watchdog_s / 2:
            return False
        self._last_ping = now
        return self.notify("WATCHDOG=1")

    def ping_if(self, healthy: bool) -> bool:
        """Ping only while the role is healthy, so systemd restarts a stuck one."""
        return self.ping() if healthy else False

    # --- a thread for roles without a loop of their own ---------------------------------
    def start_watchdog(self, healthy: Callable[[], bool]) -> threading.Thread | None:
        """Ping from a daemon thread while ``healthy()`` is true (e.g. a Kivy app whose health
        is a frame counter advancing).  Returns None when there is no watchdog."""
        if self.watchdog_s is None:
            return None
        interval = self.watchdog_s / 4

        def run() -> None:
            while True:
                self.ping_if(healthy())
                time.sleep(interval)

        thread = threading.Thread(target=run, name="systemd-watchdog", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


# --- one call for each role's main ---------------------------------------------------------


def notify_from_kivy_clock(notifier: ServiceNotifier | None = None) -> ServiceNotifier:
    """For the Kivy roles (kiosk, display), called just before ``App.run()``: READY=1 at the first
    tick of the main loop, then watchdog pings only while the loop keeps ticking, so a frozen
    screen is restarted by systemd.  Kivy must already be configured (it is imported here)."""
    notifier = notifier or ServiceNotifier.from_environment()
    if not notifier.active:
        return notifier
    from kivy.clock import Clock

    last_tick = [time.monotonic()]

    def tick(_dt) -> None:
        last_tick[0] = time.monotonic()

    Clock.schedule_interval(tick, 0.5)
    Clock.schedule_once(lambda _dt: notifier.ready("showing the screen"), 0)
    if notifier.watchdog_s is not None:
        limit = max(notifier.watchdog_s / 2, 1.0)
        notifier.start_watchdog(lambda: time.monotonic() - last_tick[0] < limit)
    return notifier


def notify_ready(healthy: Callable[[], bool] = lambda: True,
                 notifier: ServiceNotifier | None = None) -> ServiceNotifier:
    """For a role without a loop of its own to hook (the counter): READY=1 now, then watchdog
    pings from a thread while ``healthy()``."""
    notifier = notifier or ServiceNotifier.from_environment()
    notifier.ready()
    notifier.start_watchdog(healthy)
    return notifier
