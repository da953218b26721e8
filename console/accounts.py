"""Staff accounts of the supervisor's console: a small SQLite file on the hub, passwords hashed with argon2.

    accounts = Accounts("/var/lib/onestop-console/accounts.sqlite3")
    once = accounts.add("maria.silva")          # the technician's tool: a one-time password to hand over
    accounts.login("maria.silva", once)         # -> Login(ok=True, must_change=True)
    accounts.change_password("maria.silva", once, "a long phrase of her own")
    accounts.revoke("maria.silva")              # her sessions end at their next request

Why it is shaped like this (docs/decisions.md, "The supervisor's console"):

* **The technician never knows a staff password.**  ``add`` (and ``reset``) make a random one-time
  password, shown once; it opens only the change form, and it expires ``ONE_TIME_VALID_S`` after it
  was made, so a slip of paper left in a drawer opens nothing next week.
* **argon2id** (``argon2-cffi``, RFC 9106's parameters) for the stored hashes: memory-hard, so a
  stolen file costs a GPU farm as much as a Pi; a hash made with weaker parameters is made again at
  the next good login (``check_needs_rehash``).  Only the hash, the account's name and its lockout
  counters are kept.
* **Lockout by account, in the file**: ``MAX_FAILURES`` wrong passwords within ``FAILURE_WINDOW_S``
  lock the account for ``LOCKOUT_S`` (doubled at each lockout that follows, at most
  ``MAX_LOCKOUT_S``), and a restart of the console does not forgive them.  The per-address rate limit
  is the server's (``console.server``); a name that does not exist costs the same hashing time as
  one that does, so a guesser cannot tell them apart by the clock.
* **Revocation is immediate**: the server asks ``active(name)`` at every request of a session.

Clock and hasher are injected (tests use cheap argon2 parameters and a fake clock).  Names follow
``contract.fields.STAFF`` (the hub keeps them in its audit table).
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: where the console keeps its accounts on the hub (its unit's StateDirectory)
DEFAULT_ACCOUNTS = "/var/lib/onestop-console/accounts.sqlite3"
#: what a staff account's name may be: the contract's ``staff`` field (contract/fields.py STAFF)
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MIN_PASSWORD, MAX_PASSWORD = 12, 200
ONE_TIME_VALID_S = 3 * 24 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60
LOCKOUT_S = 15 * 60
MAX_LOCKOUT_S = 24 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    must_change INTEGER NOT NULL,
    one_time_until REAL,
    created_at REAL NOT NULL,
    changed_at REAL,
    revoked_at REAL,
    failures INTEGER NOT NULL DEFAULT 0,
    first_failure_at REAL,
    lockouts INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    last_login_at REAL
)"""


class AccountError(ValueError):
    """What the technician or the staff member must change (the message says what)."""


@dataclass(frozen=True)
class Login:
    ok: bool
    #: the password was the one-time one (or is to be changed): the session may only change it
    must_change: bool = False
    #: why not: "wrong" (name or password: never which), "locked", "expired" (the one-time password)
    reason: str | None = None
    #: Unix seconds the lockout ends (reason "locked")
    until: float | None = None


@dataclass(frozen=True)
class AccountInfo:
    name: str
    created_at: float
    must_change: bool
    revoked: bool
    locked_until: float | None
    last_login_at: float | None


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise AccountError(f"{name!r}: an account's name is 1 to 40 lower-case letters, digits, dots, dashes or "
                           "underscores, starting with a letter or digit (e.g. maria.silva)")
    return name


def check_password(name: str, password: str, old: str | None = None) -> str:
    """A new password is long (a phrase is easy to remember and hard to guess), not the name, not the old one."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters (a short sentence is good)")
    if name in password.lower() or password == old or len(set(password)) < 5:
        raise AccountError("choose a password that is not your name, not the one you were given, "
                           "and not one character repeated")
    return password


def one_time_password() -> str:
    """16 characters of an alphabet with no look-alikes (no 0/O, 1/l/I), in groups of four: read aloud or
    copied by hand once."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


class Accounts:
    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None):
        self.path = Path(path)
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self._lock = threading.Lock()
        fresh = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)
        if fresh:
            self._own_like_folder()
        #: a hash to check against when the name is unknown: the same time as a real account
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    def _own_like_folder(self) -> None:
        """``sudo onestop-provision staff add`` makes the file as root; the console's user must write it."""
        os.chmod(self.path, 0o600)
        if os.geteuid() == 0:
            folder = self.path.parent.stat()
            for name in (self.path, *(Path(f"{self.path}{s}") for s in ("-wal", "-shm"))):
                if name.exists():
                    os.chown(name, folder.st_uid, folder.st_gid)

    def close(self) -> None:
        self._db.close()

    def _row(self, name: str) -> sqlite3.Row | None:
        self._db.row_factory = sqlite3.Row
        return self._db.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()

    # ---------------------------------------------------------------- the technician's side
    def add(self, name: str, reset: bool = False) -> str:
        """A new account (``reset``: an existing or revoked one gets a new start) with a one-time password,
        returned once and stored only as its hash."""
        check_name(name)
        once = one_time_password()
        digest = self.hasher.hash(once)
        now = self.clock()
        with self._lock:
            row = self._row(name)
            if row is not None and not reset:
                raise AccountError(f"{name}: the account exists; `staff reset {name}` gives it a new one-time "
                                   "password")
            if row is None and reset:
                raise AccountError(f"{name}: no such account; `staff add {name}` makes it")
            self._db.execute("INSERT OR REPLACE INTO accounts (name, hash, must_change, one_time_until, created_at) "
                             "VALUES (?, ?, 1, ?, ?)", (name, digest, now + ONE_TIME_VALID_S,
                                                        row["created_at"] if row else now))
        return once

    def revoke(self, name: str) -> None:
        check_name(name)
        with self._lock:
            if self._row(name) is None:
                raise AccountError(f"{name}: no such account")
            self._db.execute("UPDATE accounts SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                             (self.clock(), name))

    def list(self) -> list[AccountInfo]:
        with self._lock:
            rows = self._db.execute("SELECT name, created_at, must_change, revoked_at, locked_until, last_login_at "
                                    "FROM accounts ORDER BY name").fetchall()
        return [AccountInfo(r[0], r[1], bool(r[2]), r[3] is not None, r[4], r[5]) for r in rows]

    # ---------------------------------------------------------------- the staff's side
    def active(self, name: str) -> bool:
        """The account exists and is not revoked (asked at every request of a session)."""
        with self._lock:
            row = self._row(name)
        return row is not None and row["revoked_at"] is None

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self.hasher.verify(digest, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def login(self, name: str, password: str) -> Login:
        """Check a login.  A locked account is refused before its password is looked at (the hashing
        is done anyway, so the time says nothing); every wrong password counts."""
        now = self.clock()
        if not isinstance(name, str) or not NAME.match(name) or not isinstance(password, str) \
                or len(password) > MAX_PASSWORD:
            self._verify(self._dummy, "x")
            return Login(False, reason="wrong")
        with self._lock:
            row = self._row(name)
        if row is None or row["revoked_at"] is not None:
            self._verify(self._dummy, password)
            return Login(False, reason="wrong")
        if row["locked_until"] is not None and row["locked_until"] > now:
            self._verify(self._dummy, password)
            return Login(False, reason="locked", until=row["locked_until"])
        if not self._verify(row["hash"], password):
            return self._failed(name, now)
        if row["must_change"] and row["one_time_until"] is not None and row["one_time_until"] < now:
            return Login(False, reason="expired")
        with self._lock:
            self._db.execute("UPDATE accounts SET failures = 0, first_failure_at = NULL, lockouts = 0, "
                             "locked_until = NULL, last_login_at = ? WHERE name = ?", (now, name))
            if not row["must_change"] and self.hasher.check_needs_rehash(row["hash"]):
                self._db.execute("UPDATE accounts SET hash = ? WHERE name = ?", (self.hasher.hash(password), name))
        return Login(True, must_change=bool(row["must_change"]))

    def _failed(self, name: str, now: float) -> Login:
        with self._lock:
            row = self._row(name)
            failures, first = row["failures"], row["first_failure_at"]
            if first is None or now - first > FAILURE_WINDOW_S:
                failures, first = 0, now
            failures += 1
            if failures >= MAX_FAILURES:
                lockouts = row["lockouts"] + 1
                until = now + min(MAX_LOCKOUT_S, LOCKOUT_S * 2 ** (lockouts - 1))
                self._db.execute("UPDATE accounts SET failures = 0, first_failure_at = NULL, lockouts = ?, "
                                 "locked_until = ? WHERE name = ?", (lockouts, until, name))
                return Login(False, reason="locked", until=until)
            self._db.execute("UPDATE accounts SET failures = ?, first_failure_at = ? WHERE name = ?",
                             (failures, first, name))
        return Login(False, reason="wrong")

    def first_password(self, name: str, new: str) -> None:
        """The forced change, by a session that has just logged in with the one-time password (the
        server asks it only of such a session): valid while the account still must change it."""
        with self._lock:
            row = self._row(name)
        if row is None or row["revoked_at"] is not None or not row["must_change"]:
            raise AccountError("this account has no password to choose now")
        if row["one_time_until"] is not None and row["one_time_until"] < self.clock():
            raise AccountError("the one-time password has expired: ask the technician for a new one")
        if self._verify(row["hash"], new):
            raise AccountError("choose a password that is not the one you were given")
        check_password(name, new)
        with self._lock:
            self._db.execute("UPDATE accounts SET hash = ?, must_change = 0, one_time_until = NULL, changed_at = ? "
                             "WHERE name = ?", (self.hasher.hash(new), self.clock(), name))

    def change_password(self, name: str, old: str, new: str) -> None:
        """The staff member's own change (the forced one after a one-time password, or any later)."""
        check_password(name, new, old)
        result = self.login(name, old)
        if not result.ok:
            raise AccountError("the current password is not right" if result.reason == "wrong"
                               else "the account is locked for now" if result.reason == "locked"
                               else "the one-time password has expired: ask the technician for a new one")
        with self._lock:
            self._db.execute("UPDATE accounts SET hash = ?, must_change = 0, one_time_until = NULL, changed_at = ? "
                             "WHERE name = ?", (self.hasher.hash(new), self.clock(), name))
