"""``onestop-provision``: the technician's tool (first commands; more with the technician issue).

    onestop-provision check SITE.toml
    onestop-provision broker SITE.toml --out DIR [--secrets SECRETS.toml]
    onestop-provision device-file SITE.toml DEVICE_ID --out FILE [--secrets ...] [--broker-host H]

Errors are printed for a person (file, key, problem) with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import tomli_w

from broker_config import CredentialsError, SiteCredentials, write_broker_files
from siteconf import SiteFileError, load_site


def _site(path: str):
    try:
        return load_site(path)
    except SiteFileError as exc:
        raise click.ClickException(str(exc)) from None


def _secrets(site, secrets: str) -> SiteCredentials:
    try:
        creds = SiteCredentials.load(secrets, missing_ok=True)
    except CredentialsError as exc:
        raise click.ClickException(str(exc)) from None
    changes = creds.ensure(site)
    creds.save(secrets)
    for device in changes.added:
        click.echo(f"new credentials for {device}")
    for device in changes.removed:
        click.echo(f"retired {device}: its credentials no longer work once the broker files are installed")
    return creds


@click.group()
def cli() -> None:
    """Turn one site file into a working, locked-down centre."""


@cli.command()
@click.argument("site_file", type=click.Path(dir_okay=False))
def check(site_file: str) -> None:
    """Validate a site file and summarise it."""
    site = _site(site_file)
    roles: dict[str, int] = {}
    for device in site.devices:
        roles[device.role] = roles.get(device.role, 0) + 1
    click.echo(f"{site_file}: OK. {site.site.name} ({site.site.id}): {len(site.services)} services, "
               f"{len(site.counters)} counters, {len(site.zones)} zones, devices "
               + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))


@cli.command()
@click.argument("site_file", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="folder for the broker files")
@click.option("--secrets", default=None, help="the site's secrets file (default: OUT/secrets.toml)")
@click.option("--install-dir", default="/etc/mosquitto/onestop", show_default=True,
              help="where the files will live on the hub")
@click.option("--port", default=1883, show_default=True)
def broker(site_file: str, out: str, secrets: str | None, install_dir: str, port: int) -> None:
    """Write mosquitto.conf, the ACL and the password file for the site's broker."""
    site = _site(site_file)
    creds = _secrets(site, secrets or str(Path(out) / "secrets.toml"))
    files = write_broker_files(site, creds, out, listener=("0.0.0.0", port), install_dir=install_dir,
                               data_dir="/var/lib/mosquitto/onestop")
    click.echo(f"broker files for {len(site.devices)} devices in {files.out_dir}")


@cli.command("device-file")
@click.argument("site_file", type=click.Path(dir_okay=False))
@click.argument("device_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--secrets", required=True, help="the site's secrets file")
@click.option("--broker-host", default=None, help="default: the site file's network.broker_host")
def device_file(site_file: str, device_id: str, out: str, secrets: str, broker_host: str | None) -> None:
    """Write one device's bootstrap file (identity, broker, credentials)."""
    site = _site(site_file)
    device = site.device(device_id)
    if device is None:
        raise click.ClickException(f"{site_file}: devices: no device {device_id!r}")
    creds = _secrets(site, secrets)
    data = {"device_id": device_id, "site_id": site.site.id,
            "broker": {"host": broker_host or site.network.broker_host, "port": site.network.broker_port,
                       "password": creds.password_for(device_id)}}
    if device.role == "hub":
        data |= {"site_file": "/etc/onestop/site.toml", "database": "/var/lib/onestop/hub.sqlite3"}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(tomli_w.dumps(data), encoding="utf-8")
    Path(out).chmod(0o600)
    click.echo(f"{out}: device file for {device_id} ({device.role})")


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="onestop-provision", standalone_mode=False)
    except click.ClickException as exc:
        click.echo(f"onestop-provision: {exc.format_message()}", err=True)
        return 2
    except click.exceptions.Abort:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
