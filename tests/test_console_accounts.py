"""The console's staff accounts (issue 17): argon2 hashes, the one-time password and the forced change,
lockout, revocation, and the technician's `onestop-provision staff` commands.  No browser, no broker;
cheap argon2 parameters and a fake clock."""

from __future__ import annotations

import sqlite3

import pytest
from argon2 import PasswordHasher

from console.accounts import (FAILURE_WINDOW_S, LOCKOUT_S, MAX_FAILURES, ONE_TIME_VALID_S, AccountError, Accounts,
                              one_time_password)
from provisioning.cli import main as provision

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
GOOD = "a long phrase of my own"


class Clock:
    now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def accounts(tmp_path):
    clock = Clock()
    store = Accounts(tmp_path / "console" / "accounts.sqlite3", clock=clock, hasher=CHEAP)
    store.clock_ = clock
    yield store
    store.close()


def test_the_one_time_password_opens_only_the_change_and_the_file_keeps_only_a_hash(accounts, tmp_path):
    once = accounts.add("maria.silva")
    assert len(once) == 19 and once.count("-") == 3 and once != one_time_password()
    assert accounts.login("maria.silva", once) == accounts.login("maria.silva", once)
    first = accounts.login("maria.silva", once)
    assert first.ok and first.must_change
    with pytest.raises(AccountError, match="not the one you were given"):
        accounts.first_password("maria.silva", once)
    with pytest.raises(AccountError, match="12 to 200"):
        accounts.first_password("maria.silva", "short")
    with pytest.raises(AccountError, match="not your name"):
        accounts.first_password("maria.silva", "maria.silva-2026!")
    accounts.first_password("maria.silva", GOOD)
    assert accounts.login("maria.silva", once).ok is False
    assert accounts.login("maria.silva", GOOD) == accounts.login("maria.silva", GOOD)
    assert accounts.login("maria.silva", GOOD).must_change is False
    with pytest.raises(AccountError, match="no password to choose"):
        accounts.first_password("maria.silva", "another long phrase")
    raw = (tmp_path / "console" / "accounts.sqlite3").read_bytes()
    stored = sqlite3.connect(tmp_path / "console" / "accounts.sqlite3").execute("SELECT hash FROM accounts").fetchone()
    assert stored[0].startswith("$argon2id$") and GOOD.encode() not in raw and once.encode() not in raw
    accounts.change_password("maria.silva", GOOD, "yet another long phrase")
    assert accounts.login("maria.silva", "yet another long phrase").ok


def test_a_one_time_password_expires(accounts):
    once = accounts.add("joao")
    accounts.clock_.now += ONE_TIME_VALID_S + 1
    assert accounts.login("joao", once).reason == "expired"
    with pytest.raises(AccountError, match="expired"):
        accounts.first_password("joao", GOOD)
    once = accounts.add("joao", reset=True)
    assert accounts.login("joao", once).ok


def test_wrong_passwords_lock_the_account_and_doubling_lockouts_survive_a_restart(accounts, tmp_path):
    once = accounts.add("ana")
    for _ in range(MAX_FAILURES - 1):
        assert accounts.login("ana", "wrong password!").reason == "wrong"
    locked = accounts.login("ana", "wrong password!")
    assert locked.reason == "locked" and locked.until == accounts.clock_.now + LOCKOUT_S
    assert accounts.login("ana", once).reason == "locked", "the right password does not open a locked account"
    again = Accounts(tmp_path / "console" / "accounts.sqlite3", clock=accounts.clock_, hasher=CHEAP)
    assert again.login("ana", once).reason == "locked"
    accounts.clock_.now += LOCKOUT_S + 1
    for _ in range(MAX_FAILURES):
        result = accounts.login("ana", "wrong password!")
    assert result.until == accounts.clock_.now + 2 * LOCKOUT_S, "the second lockout is twice as long"
    accounts.clock_.now += 2 * LOCKOUT_S + 1
    assert accounts.login("ana", once).ok
    # failures spread over more than the window do not add up
    for _ in range(MAX_FAILURES - 1):
        accounts.login("ana", "wrong password!")
    accounts.clock_.now += FAILURE_WINDOW_S + 1
    assert accounts.login("ana", "wrong password!").reason == "wrong"


def test_unknown_names_revoked_accounts_and_hostile_input_look_the_same(accounts):
    once = accounts.add("rui")
    accounts.revoke("rui")
    assert not accounts.active("rui") and accounts.active("nobody") is False
    for name, password in [("rui", once), ("nobody", once), ("Robert'); DROP TABLE accounts;--", "x"),
                           ("rui", "x" * 100_000), ("", ""), ("rui\x00", once)]:
        assert accounts.login(name, password).reason == "wrong"
    with pytest.raises(AccountError, match="lower-case"):
        accounts.add("Maria Silva")
    with pytest.raises(AccountError, match="exists"):
        accounts.add("rui")
    once = accounts.add("rui", reset=True)
    assert accounts.active("rui") and accounts.login("rui", once).ok


def test_the_technician_s_staff_commands(tmp_path, capsys):
    path = str(tmp_path / "accounts.sqlite3")
    assert provision(["staff", "add", "maria.silva", "--accounts", path]) == 0
    out = capsys.readouterr().out
    once = out.split("one-time password")[1].split()[0]
    assert "It is not shown again" in out
    assert provision(["staff", "add", "maria.silva", "--accounts", path]) == 2
    assert "staff reset maria.silva" in capsys.readouterr().err
    assert provision(["staff", "add", "Bad Name", "--accounts", path]) == 2
    assert provision(["staff", "list", "--accounts", path]) == 0
    assert "must choose a password" in capsys.readouterr().out
    assert Accounts(path).login("maria.silva", once).must_change
    assert provision(["staff", "revoke", "maria.silva", "--accounts", path]) == 0
    assert provision(["staff", "list", "--accounts", path]) == 0
    assert "revoked" in capsys.readouterr().out.splitlines()[-1]
    assert provision(["staff", "revoke", "nobody", "--accounts", path]) == 2
