"""The console's sessions and its per-address login limit (pure: the clock is injected).

* **Sessions live in the console's memory**, keyed by a 256-bit random token that is the cookie's
  value: nothing to steal from the disk, and a restart of the console logs everybody out (a
  supervisor logs in again; the hub's state is untouched).  Each carries its own CSRF token
  (``csrf``), sent in every form and compared in constant time with the one the session holds (the
  synchronizer-token pattern; the cookie is ``SameSite=Strict`` too, and the server checks
  ``Origin``), and the staff account's name, which every request to the hub carries.
* **Idle and absolute expiry**: ``IDLE_S`` without a request ends a session (a PC left unlocked at
  the desk), and ``ABSOLUTE_S`` after login it ends whatever happens (a working day, so a stolen
  cookie is useless by tomorrow).  A WebSocket's pushes do not count as activity; what the person
  does does.
* **A session that logged in with a one-time password may only choose a password** (``must_change``).
* **Logins per address**: a token bucket of ``LOGIN_BURST`` tries refilled at one every
  ``LOGIN_REFILL_S`` per remote address, so one computer cannot try passwords across many accounts
  quickly (each account also locks itself: ``console.accounts``).
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

IDLE_S = 15 * 60
ABSOLUTE_S = 10 * 3600
LOGIN_BURST = 10
LOGIN_REFILL_S = 6.0
#: sessions one account may hold at once (a phone and a desk PC, a spare); the oldest goes first
MAX_PER_ACCOUNT = 4
#: addresses whose login budget is remembered (the oldest forgotten first: a flood of addresses
#: cannot make the console's memory grow)
MAX_ADDRESSES = 4096


@dataclass
class Session:
    token: str
    account: str
    csrf: str
    created: float
    last: float
    must_change: bool
    #: the result of the last action, shown once by the next page (a browser without the script)
    flash: str | None = None


@dataclass
class Sessions:
    clock: Callable[[], float]
    idle_s: float = IDLE_S
    absolute_s: float = ABSOLUTE_S
    by_token: dict = field(default_factory=dict)
    #: why sessions ended: "idle", "absolute", "logout", "revoked", "replaced"
    ended: Counter = field(default_factory=Counter)

    def new(self, account: str, must_change: bool) -> Session:
        now = self.clock()
        mine = sorted((s for s in self.by_token.values() if s.account == account), key=lambda s: s.created)
        for old in mine[:max(0, len(mine) - MAX_PER_ACCOUNT + 1)]:
            self.end(old.token, "replaced")
        session = Session(secrets.token_urlsafe(32), account, secrets.token_urlsafe(32), now, now, must_change)
        self.by_token[session.token] = session
        return session

    def get(self, token: str | None, touch: bool = True) -> Session | None:
        """The live session of a cookie's token (an expired one is ended here); ``touch``: the person
        did something (the idle clock starts again)."""
        if not token or len(token) > 100:
            return None
        session = self.by_token.get(token)
        if session is None:
            return None
        now = self.clock()
        if now - session.created > self.absolute_s:
            self.end(token, "absolute")
            return None
        if now - session.last > self.idle_s:
            self.end(token, "idle")
            return None
        if touch:
            session.last = now
        return session

    def end(self, token: str, why: str) -> Session | None:
        session = self.by_token.pop(token, None)
        if session is not None:
            self.ended[why] += 1
        return session

    def end_account(self, account: str, why: str) -> list[Session]:
        return [self.end(s.token, why) for s in list(self.by_token.values()) if s.account == account]

    def sweep(self) -> None:
        """End every expired session (the server calls it now and then: closed tabs never come back)."""
        for token in list(self.by_token):
            self.get(token, touch=False)


@dataclass
class LoginLimit:
    clock: Callable[[], float]
    burst: int = LOGIN_BURST
    refill_s: float = LOGIN_REFILL_S
    buckets: dict = field(default_factory=dict)
    refused: int = 0

    def allow(self, address: str) -> bool:
        now = self.clock()
        tokens, at = self.buckets.pop(address, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) / self.refill_s)
        allowed = tokens >= 1
        self.buckets[address] = (tokens - 1 if allowed else tokens, now)
        while len(self.buckets) > MAX_ADDRESSES:
            self.buckets.pop(next(iter(self.buckets)))
        if not allowed:
            self.refused += 1
        return allowed
