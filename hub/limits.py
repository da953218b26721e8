"""What one device may ask of the hub: request rates (token buckets) and the requests' fair order.

A kiosk's login can be taken from a public hall.  Before these limits one kiosk got 55,624 real
tickets in 21 s while another kiosk got 1 answer in 11 tries.  Two things stop that:

* ``RequestLimiter``: a token bucket per device (``requests_per_s`` sustained, ``burst`` at once),
  judged on paho's network thread before anything is parsed.  Over the limit, a device gets a
  ``rate_limited`` reply, itself limited to ``REFUSALS_PER_S`` a second; beyond that its
  requests are acknowledged and dropped, counted.  A device that has ``QUARANTINE_AFTER_DROPS``
  dropped in one second is flooding: the hub unsubscribes from its request topic for a while
  (``quarantine_s``), so the broker discards its messages itself.  Measured: paho spends about
  0.3 ms of the hub's CPU per message it receives, so a Python flooder on this 2-core machine
  (3,100 messages/s) kept other kiosks' requests 60-160 ms behind its backlog while the hub
  read and dropped each one; quarantined, they wait only for the backlog of the first second.
* ``FairIntake``: the requests within their limits wait per device and the worker takes them in
  turn (round-robin), so a device with many requests in the queue delays others by one request
  each, not by its whole backlog.

The daily ticket quota (``tickets_per_day``) is the engine's (it needs the service day).
Pure: time is injected; no MQTT, no threads but the intake's condition variable.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Generic, Hashable, TypeVar

from contract.acl import SITE_OPERATORS
from siteconf.limits import DeviceLimit, Limits

#: replies saying ``rate_limited`` per device per second at most; the rest are dropped unanswered
REFUSALS_PER_S = 5.0
#: requests dropped within one second that make a device a flooder (a device keeping to its limit
#: drops none; one retrying in a loop without waiting for replies drops a few)
QUARANTINE_AFTER_DROPS = 50
#: the first quarantine (doubling while the device keeps flooding, at most ``QUARANTINE_MAX_S``)
QUARANTINE_S = 10.0
QUARANTINE_MAX_S = 300.0


#: the site's operators (the technician's commands, the supervisor's console): a person's pace, no tickets
OPERATOR_LIMIT = DeviceLimit(requests_per_s=1.0, burst=20, tickets_per_day=0)


def device_limits(site) -> dict[str, DeviceLimit]:
    """Each device's limits: its role's (site file ``limits``), with its own ``limits`` over them;
    and the site's operators'."""
    limits = getattr(site, "limits", None) or Limits()
    known = {d.id: limits.for_device(d.role, getattr(d, "limits", None)) for d in site.devices}
    return known | {operator: OPERATOR_LIMIT for operator in SITE_OPERATORS}


class _Bucket:
    __slots__ = ("tokens", "at")

    def __init__(self, tokens: float, at: float):
        self.tokens = tokens
        self.at = at

    def take(self, rate: float, burst: float, now: float) -> bool:
        self.tokens = min(burst, self.tokens + (now - self.at) * rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RequestLimiter:
    """Token buckets per device; ``judge(device)`` says what to do with its next request:
    ``"ok"`` (within its limit), ``"refuse"`` (over it: a ``rate_limited`` reply), ``"drop"``
    (over that too, or quarantined), or ``"quarantine"`` (drop, and stop receiving this
    device's requests for ``quarantine_s(device)``: it is flooding)."""

    def __init__(self, limits: dict[str, DeviceLimit], clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._requests: dict[str, _Bucket] = {}
        self._refusals: dict[str, _Bucket] = {}
        self._drops: dict[str, list[float]] = {}  # device -> [window start, drops in it]
        #: device -> when its quarantine ends (monotonic), and how many it had lately
        self.quarantined: dict[str, float] = {}
        self._strikes: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()  # paho's thread judges, the worker releases

    def judge(self, device: str) -> str:
        with self._lock:
            return self._judge(device)

    def _judge(self, device: str) -> str:
        limit = self.limits.get(device)
        if limit is None:
            return "drop"  # not a device of the site file
        now = self.clock()
        if device in self.quarantined:
            return "drop"  # what the broker had queued before the hub stopped listening
        bucket = self._requests.get(device)
        if bucket is None:
            bucket = self._requests[device] = _Bucket(limit.burst, now)
        if bucket.take(limit.requests_per_s, limit.burst, now):
            return "ok"
        refusals = self._refusals.get(device)
        if refusals is None:
            refusals = self._refusals[device] = _Bucket(REFUSALS_PER_S, now)
        if refusals.take(REFUSALS_PER_S, REFUSALS_PER_S, now):
            return "refuse"
        window = self._drops.setdefault(device, [now, 0])
        if now - window[0] >= 1.0:
            window[0], window[1] = now, 0
        window[1] += 1
        if window[1] < QUARANTINE_AFTER_DROPS:
            return "drop"
        strikes, last = self._strikes.get(device, (0, now))
        strikes = strikes + 1 if now - last < QUARANTINE_MAX_S * 2 else 1
        self._strikes[device] = (strikes, now)
        self.quarantined[device] = now + self.quarantine_s(device)
        return "quarantine"

    def quarantine_s(self, device: str) -> float:
        """10 s, doubling for every quarantine of the last 10 minutes, at most 5 minutes."""
        strikes, _ = self._strikes.get(device, (1, 0.0))
        return min(QUARANTINE_MAX_S, QUARANTINE_S * 2 ** (strikes - 1))

    def release_due(self) -> list[str]:
        """Devices whose quarantine has ended (to listen to again); their buckets start full."""
        with self._lock:
            now = self.clock()
            done = [device for device, until in self.quarantined.items() if until <= now]
            for device in done:
                del self.quarantined[device]
                self._drops.pop(device, None)
            return done

    def next_release_in(self) -> float | None:
        with self._lock:
            if not self.quarantined:
                return None
            return max(0.0, min(self.quarantined.values()) - self.clock())


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class FairIntake(Generic[K, T]):
    """Items queued per key, taken in turn; control items (start, stop) go before all of them."""

    def __init__(self):
        self._cond = threading.Condition()
        self._queues: dict[K, deque[T]] = {}
        self._turns: deque[K] = deque()  # keys with something queued, in the order they get a turn
        self._control: deque = deque()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, key: K, item: T) -> None:
        with self._cond:
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = deque()
            if not queue:
                self._turns.append(key)
            queue.append(item)
            self._size += 1
            self._cond.notify()

    def put_control(self, item) -> None:
        with self._cond:
            self._control.append(item)
            self._cond.notify()

    def take(self, most: int, timeout: float | None) -> tuple[list, list[T]]:
        """(control items, up to ``most`` requests one key at a time), waiting up to ``timeout``
        for anything; ([], []) when nothing came."""
        with self._cond:
            if not self._control and not self._size:
                self._cond.wait(timeout)
            control = list(self._control)
            self._control.clear()
            batch: list[T] = []
            while self._turns and len(batch) < most:
                key = self._turns.popleft()
                queue = self._queues[key]
                batch.append(queue.popleft())
                if queue:
                    self._turns.append(key)
                else:
                    del self._queues[key]
            self._size -= len(batch)
            return control, batch
