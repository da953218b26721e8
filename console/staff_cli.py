"""``onestop-provision staff``: the technician's commands for the console's staff accounts, on the hub.

    sudo onestop-provision staff add maria.silva       a new account; prints its one-time password once
    sudo onestop-provision staff reset maria.silva     a forgotten password or a lockout: a new one-time password
    sudo onestop-provision staff revoke maria.silva    she can no longer log in; her open sessions end
    sudo onestop-provision staff list                  who has an account, who must still change the password

The one-time password opens only the page where its owner chooses her own (``console.accounts``): the
technician hands it over and never knows the password that is used.  ``console.accounts`` (and
argon2) is imported inside the commands, so the tool still starts on a device without the hub's
libraries.
"""

from __future__ import annotations

import time

import click

ACCOUNTS_OPTION = click.option("--accounts", "path", default=None, type=click.Path(dir_okay=False),
                               help="the console's accounts file (default: /var/lib/onestop-console/accounts.sqlite3)")


def _open(path: str | None):
    from console.accounts import DEFAULT_ACCOUNTS, Accounts
    return Accounts(path or DEFAULT_ACCOUNTS)


def _run(action):
    from console.accounts import AccountError
    from provisioning.workspace import ProvisioningError
    try:
        return action()
    except AccountError as exc:
        raise ProvisioningError(str(exc)) from None


@click.group()
def staff() -> None:
    """The supervisor's console's staff accounts (on the hub)."""


def _handover(name: str, once: str) -> None:
    from console.accounts import ONE_TIME_VALID_S
    click.echo(f"{name}: one-time password  {once}")
    click.echo(f"Give it to {name} in person.  It opens only the page where they choose their own password, "
               f"and stops working in {ONE_TIME_VALID_S // 3600} hours.  It is not shown again.")


@staff.command()
@click.argument("name")
@ACCOUNTS_OPTION
def add(name: str, path: str | None) -> None:
    """A new staff account NAME (e.g. maria.silva) with a one-time password."""
    _handover(name, _run(lambda: _open(path).add(name)))


@staff.command()
@click.argument("name")
@ACCOUNTS_OPTION
def reset(name: str, path: str | None) -> None:
    """A new one-time password for NAME (forgotten, locked out, or revoked and back)."""
    _handover(name, _run(lambda: _open(path).add(name, reset=True)))


@staff.command()
@click.argument("name")
@ACCOUNTS_OPTION
def revoke(name: str, path: str | None) -> None:
    """NAME can no longer log in; open sessions end at their next request."""
    _run(lambda: _open(path).revoke(name))
    click.echo(f"{name}: revoked")


@staff.command("list")
@ACCOUNTS_OPTION
def list_accounts(path: str | None) -> None:
    """Every account: whether it must still choose its password, is revoked or locked."""
    now = time.time()
    for account in _open(path).list():
        state = ("revoked" if account.revoked else
                 "locked" if account.locked_until and account.locked_until > now else
                 "must choose a password" if account.must_change else "active")
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(account.last_login_at)) if account.last_login_at \
            else "never"
        click.echo(f"{account.name:<40} {state:<24} last login {last}")
