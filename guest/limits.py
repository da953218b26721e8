"""Per-IP limits of the page server (pure: the clock is injected).

Three limits per client address, each a reason measured on the phones it serves:

* **requests**: a token bucket of ``burst`` requests refilled at ``rate`` a second.  A page
  costs 3 requests (the page, its script and style) and one WebSocket; a phone that reloads
  the page every second stays well inside 30 / 1 s.
* **misses**: a ref that names no ticket of today costs a token of a much smaller bucket
  (``miss_burst``, refilled at ``miss_rate``).  A visitor mistypes a ref a few times; a
  guesser tries millions (a 128-bit ref needs ~2¹²⁷ tries, an old 80-bit one ~2⁷⁹: at 10 a
  minute that is no attack), and once the bucket is empty every lookup from that address is
  refused, known refs included, so trying cannot tell a right guess from a wrong one.
* **connections**: at most ``max_open`` WebSockets open at once (a family on one phone
  with a few tickets; one IP per phone on the guest Wi-Fi).

At most ``max_addresses`` addresses are tracked; the least recently seen is forgotten first,
so a flood of spoofed sources costs bounded memory.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from hub.limits import _Bucket  # the hub's token bucket (devices' requests), the same arithmetic


def _empty(bucket: _Bucket, rate: float, burst: float, now: float) -> bool:
    """Whether the bucket would refuse now, without taking a token."""
    return min(burst, bucket.tokens + (now - bucket.at) * rate) < 1


@dataclass
class _Client:
    requests: _Bucket
    misses: _Bucket
    open: int = 0


@dataclass
class IpLimits:
    clock: Callable[[], float]
    rate: float = 1.0
    burst: float = 30
    miss_rate: float = 10 / 60
    miss_burst: float = 10
    max_open: int = 8
    max_addresses: int = 10_000
    clients: OrderedDict = field(default_factory=OrderedDict)
    #: what was refused, by why ("requests", "guessing", "connections")
    refused: Counter = field(default_factory=Counter)

    def _client(self, ip: str) -> _Client:
        client = self.clients.get(ip)
        now = self.clock()
        if client is None:
            client = _Client(_Bucket(self.burst, now), _Bucket(self.miss_burst, now))
            self.clients[ip] = client
            while len(self.clients) > self.max_addresses:  # the oldest without an open page goes
                victim = next((a for a, c in self.clients.items() if not c.open), None)
                if victim is None:
                    break
                del self.clients[victim]
        else:
            self.clients.move_to_end(ip)
        return client

    def allow_request(self, ip: str) -> bool:
        """One HTTP request (a page, a file, a WebSocket's opening or a message on it)."""
        if self._client(ip).requests.take(self.rate, self.burst, self.clock()):
            return True
        self.refused["requests"] += 1
        return False

    def guessing(self, ip: str) -> bool:
        """Whether this address has spent its misses: its lookups are refused until some come back."""
        if _empty(self._client(ip).misses, self.miss_rate, self.miss_burst, self.clock()):
            self.refused["guessing"] += 1
            return True
        return False

    def note_miss(self, ip: str) -> None:
        """A lookup that found no ticket."""
        self._client(ip).misses.take(self.miss_rate, self.miss_burst, self.clock())

    def open(self, ip: str) -> bool:
        client = self._client(ip)
        if client.open >= self.max_open:
            self.refused["connections"] += 1
            return False
        client.open += 1
        return True

    def close(self, ip: str) -> None:
        client = self.clients.get(ip)
        if client is not None and client.open > 0:
            client.open -= 1
