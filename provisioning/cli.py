"""``onestop-provision``: the technician's tool, from one site file to SD cards.

    onestop-provision new FOLDER --site-id ID --name NAME   a site folder from the example
    onestop-provision check SITE.toml                       validate and summarise
    onestop-provision add-device SITE.toml ID --role R [--zone Z] [--counter C]
    onestop-provision retire-device SITE.toml ID            its certificate and password stop working
    onestop-provision replace-device SITE.toml ID           a new SD card for the same device
    onestop-provision build SITE.toml                       CA, certificates, broker, every device's bundle
    onestop-provision wheelhouse [--out DIR]                aarch64 wheels for offline installs
    onestop-provision debs SITE.toml                        arm64 .deb packages for an offline first boot
    onestop-provision sd-card SITE.toml ID --to BOOT        first-boot bundle onto a boot partition/folder
    onestop-provision doctor [--device FILE]                on a device: what is wrong and how to fix it
    onestop-provision fleet [--device FILE]                 on the hub: which devices are online, paper...
    onestop-provision test-print [--code-pages CP850=2,...]  on a kiosk or counter: every code page, on paper
    onestop-provision void --source ID --from HH:MM --reason R   on the hub: void fake tickets (or --codes)
    onestop-provision erase --code C --day D --reason R     on the hub: erase one ticket's record (or --ref)
    onestop-provision languages --counter C --set pt,ne --reason R   on the hub: a counter's languages today
    onestop-provision staff add|reset|revoke NAME / staff list    on the hub: the console's staff accounts
    onestop-provision broker / device-file                  single pieces (kept from the first version)

Errors are printed for a person (file, key, problem) with exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import tomli_w

from broker_config import write_broker_files
from contract.acl import doctor_id

from . import bundle as bundles
from . import firstboot, sitefile
from .workspace import ProvisioningError, Workspace

SITE_ARG = click.argument("site_file", type=click.Path(dir_okay=False))


def _workspace(site_file: str, secrets_dir: str | None = None, out: str | None = None) -> Workspace:
    return Workspace.at(site_file, secrets_dir, out)


def _steps(label: str, count: int):
    """A progress bar that shows the step being done; returns (bar, step callback)."""
    bar = click.progressbar(length=count, label=label, item_show_func=lambda item: item, show_pos=True,
                            file=sys.stderr)
    return bar, lambda item: bar.update(1, current_item=item)


@click.group()
def cli() -> None:
    """Turn one site file into a working, locked-down centre."""


secrets_option = click.option("--secrets-dir", default=None, type=click.Path(file_okay=False),
                              help="the site's secrets (default: secrets/ beside the site file)")
out_option = click.option("--out", default=None, type=click.Path(file_okay=False),
                          help="output folder (default: build/ beside the site file)")


# ---------------------------------------------------------------------------
# The site file
# ---------------------------------------------------------------------------


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--site-id", required=True, help="lower-case id, e.g. cnai-porto")
@click.option("--name", required=True, help="the centre's name, e.g. \"CNAI Porto\"")
def new(folder: str, site_id: str, name: str) -> None:
    """Start a site folder from the CNAI example (edit site.toml next)."""
    path = sitefile.new_site(folder, site_id, name)
    click.echo(f"{path}: new site {site_id} from the example; edit it, then `onestop-provision check {path}`")


@cli.command()
@SITE_ARG
def check(site_file: str) -> None:
    """Validate a site file and summarise it."""
    site = _workspace(site_file).site()
    roles: dict[str, int] = {}
    for device in site.devices:
        roles[device.role] = roles.get(device.role, 0) + 1
    click.echo(f"{site_file}: OK. {site.site.name} ({site.site.id}): {len(site.services)} services, "
               f"{len(site.counters)} counters, {len(site.zones)} zones, devices "
               + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))
    if not bundles.uses_tls(site):
        click.echo("warning: network.broker_tls_port is not set: no TLS between devices and the broker", err=True)


@cli.command("add-device")
@SITE_ARG
@click.argument("device_id")
@click.option("--role", required=True, type=click.Choice(sitefile.ROLES))
@click.option("--zone", default=None, help="kiosks and displays: their zone")
@click.option("--counter", default=None, help="counters: the counter id it controls")
def add_device(site_file: str, device_id: str, role: str, zone: str | None, counter: str | None) -> None:
    """Add a device to the site file (then `build` and `sd-card`)."""
    sitefile.add_device(site_file, device_id, role, zone, counter)
    click.echo(f"{site_file}: added {role} {device_id}; next: onestop-provision build {site_file}")


@cli.command("retire-device")
@SITE_ARG
@click.argument("device_id")
@secrets_option
@out_option
def retire_device(site_file: str, device_id: str, secrets_dir: str | None, out: str | None) -> None:
    """Remove a device: its certificate is revoked and its password dropped."""
    ws = _workspace(site_file, secrets_dir, out)
    sitefile.remove_device(site_file, device_id)
    report = bundles.build_site(ws, only=[])
    click.echo(f"retired {device_id}: certificate revoked, password removed ({', '.join(report.retired) or '-'})")
    click.echo(f"install the hub's new broker files ({ws.out_dir / 'devices' / 'hub'}) and restart mosquitto "
               "so the broker reads the new revocation list")


@cli.command("replace-device")
@SITE_ARG
@click.argument("device_id")
@secrets_option
@out_option
def replace_device(site_file: str, device_id: str, secrets_dir: str | None, out: str | None) -> None:
    """A new SD card for a broken or lost device: new certificate and password (its doctor's too), the old
    ones revoked."""
    ws = _workspace(site_file, secrets_dir, out)
    site = ws.site()
    device = site.device(device_id)
    if device is None:
        raise ProvisioningError(f"{site_file}: devices: no device {device_id!r}")
    creds = ws.credentials()
    for identity in (device_id, doctor_id(device_id)):  # the device's and its doctor's
        creds.passwords.pop(identity, None)  # ensure() gives it a new one
    creds.ensure(site)
    ws.ensure_secrets_dir()
    creds.save(ws.secrets_file)
    if device.role != "hub":
        ca = ws.ca(site)
        ca.revoke_device(device_id)
        ca.revoke_device(doctor_id(device_id))
    bundles.build_site(ws, only=[device_id])
    click.echo(f"replaced {device_id}: new credentials in {ws.out_dir / 'devices' / device_id}; the old card "
               "no longer connects once the hub's broker files are installed and mosquitto restarted")


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


@cli.command()
@SITE_ARG
@secrets_option
@out_option
@click.option("--hub-address", multiple=True, help="an extra name or IP address of the hub for its certificate")
def build(site_file: str, secrets_dir: str | None, out: str | None, hub_address: tuple[str, ...]) -> None:
    """CA and certificates, broker files, and every device's bundle."""
    ws = _workspace(site_file, secrets_dir, out)
    site = ws.site()
    bar, step = _steps("building", 2 + len(site.devices))
    with bar:
        report = bundles.build_site(ws, list(hub_address), step=step)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.added:
        click.echo(f"new credentials: {', '.join(report.added)}")
    if report.retired:
        click.echo(f"retired (certificates revoked, passwords dropped): {', '.join(report.retired)}")
    click.echo(f"{len(report.devices)} device bundles in {ws.out_dir / 'devices'}")


@cli.command()
@click.option("--out", default="build/wheelhouse", show_default=True, type=click.Path(file_okay=False))
@click.option("--only", multiple=True, help="download only these requirements (tests, small bundles)")
def wheelhouse(out: str, only: tuple[str, ...]) -> None:
    """The firmware and its dependencies as aarch64 wheels (pip download --platform), one folder per
    role (OUT/hub, OUT/kiosk, ...): sd-card takes the device's role's."""
    from .wheelhouse import ROLES, build_wheelhouse

    bar, step = _steps("wheelhouse", 2 if only else len(ROLES) + 1)
    with bar:
        wheels = build_wheelhouse(Path(out), list(only) if only else None, step=step)
    folders: dict[Path, list[Path]] = {}
    for wheel in wheels:
        folders.setdefault(wheel.parent, []).append(wheel)
    for folder, found in folders.items():
        size = sum(w.stat().st_size for w in found) / 1e6
        click.echo(f"{folder}: {len(found)} wheels, {size:.1f} MB")


@cli.command()
@SITE_ARG
@click.option("--status", "status", type=click.Path(dir_okay=False),
              help="the Pi's dpkg status file: fetch only what it lacks (default: every dependency)")
@click.option("--cache", default=None, type=click.Path(file_okay=False),
              help="apt's lists and downloads (default: ~/.cache/onestop/apt)")
@secrets_option
@out_option
def debs(site_file: str, status: str | None, cache: str | None, secrets_dir: str | None, out: str | None) -> None:
    """The arm64 Debian packages each role of the site needs, with their dependencies (build/debs/<role>/);
    sd-card puts them on the card, so the first boot needs no internet."""
    from .bundle import ROLE_PACKAGES
    from .debs import fetch_debs

    ws = _workspace(site_file, secrets_dir, out)
    roles = sorted({d.role for d in ws.site().devices})
    cache_dir = Path(cache) if cache else Path.home() / ".cache" / "onestop" / "apt"
    bar, step = _steps("debs", len(roles))
    with bar:
        for role in roles:
            step(role)
            fetched = fetch_debs(list(ROLE_PACKAGES[role]), ws.out_dir / "debs" / role, cache_dir,
                                 Path(status) if status else None)
            size = sum(d.stat().st_size for d in fetched) / 1e6
            click.echo(f"{role}: {len(fetched)} packages, {size:.1f} MB in {ws.out_dir / 'debs' / role}")


@cli.command("sd-card")
@SITE_ARG
@click.argument("device_id")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False),
              help="the mounted boot partition (bootfs) or a folder")
@click.option("--wheelhouse", "wheels", default="build/wheelhouse", show_default=True,
              type=click.Path(file_okay=False))
@click.option("--launcher", type=click.Choice(["both", *firstboot.LAUNCHERS]), default="both", show_default=True,
              help="firstrun.sh (Bookworm), cloud-init (newer images) or both")
@secrets_option
@out_option
def sd_card(site_file: str, device_id: str, target: str, wheels: str, launcher: str, secrets_dir: str | None,
            out: str | None) -> None:
    """Write a device's first-boot bundle onto a Raspberry Pi OS boot partition (or a folder)."""
    ws = _workspace(site_file, secrets_dir, out)
    site = ws.site()
    launchers = firstboot.LAUNCHERS if launcher == "both" else (launcher,)
    bar, step = _steps(f"{device_id} -> {target}", 3)
    with bar:
        role = site.device(device_id).role if site.device(device_id) else ""
        firstboot.write_boot_bundle(site, device_id, ws.out_dir / "devices" / device_id, Path(wheels),
                                    Path(target), ws.wifi(), launchers, step=step, debs=ws.out_dir / "debs" / role)
    click.echo(f"{target}: first-boot bundle for {device_id}; eject the card and boot the Pi with it "
               "(it installs itself, reboots, and starts its service)")


# ---------------------------------------------------------------------------
# Single pieces (first version's commands)
# ---------------------------------------------------------------------------


@cli.command()
@SITE_ARG
@click.option("--out", required=True, type=click.Path(file_okay=False), help="folder for the broker files")
@click.option("--secrets", default=None, help="the site's secrets file (default: OUT/secrets.toml)")
@click.option("--install-dir", default="/etc/mosquitto/onestop", show_default=True,
              help="where the files will live on the hub")
@click.option("--port", default=1883, show_default=True)
def broker(site_file: str, out: str, secrets: str | None, install_dir: str, port: int) -> None:
    """Write mosquitto.conf, the ACL and the password file for the site's broker (passwords only)."""
    site = _workspace(site_file).site()
    creds = _secrets(site, secrets or str(Path(out) / "secrets.toml"))
    files = write_broker_files(site, creds, out, listener=("0.0.0.0", port), install_dir=install_dir,
                               data_dir="/var/lib/mosquitto/onestop")
    click.echo(f"broker files for {len(site.devices)} devices in {files.out_dir}")


@cli.command("device-file")
@SITE_ARG
@click.argument("device_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--secrets", required=True, help="the site's secrets file")
@click.option("--broker-host", default=None, help="default: the site file's network.broker_host")
def device_file(site_file: str, device_id: str, out: str, secrets: str, broker_host: str | None) -> None:
    """Write one device's bootstrap file (identity, broker, credentials)."""
    site = _workspace(site_file).site()
    device = site.device(device_id)
    if device is None:
        raise ProvisioningError(f"{site_file}: devices: no device {device_id!r}")
    if device.role != "hub" and bundles.uses_tls(site):
        raise ProvisioningError(f"{site_file}: network.broker_tls_port is set, so {device_id} needs its "
                                "certificate as well: use `onestop-provision build` (its bundle is "
                                f"build/devices/{device_id}/)")
    creds = _secrets(site, secrets)
    data = bundles.device_file_data(site, device, creds, broker_host)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(tomli_w.dumps(data), encoding="utf-8")
    Path(out).chmod(0o600)
    click.echo(f"{out}: device file for {device_id} ({device.role})")


def _secrets(site, secrets: str):
    from broker_config import CredentialsError, SiteCredentials

    try:
        creds = SiteCredentials.load(secrets, missing_ok=True)
    except CredentialsError as exc:
        raise ProvisioningError(str(exc)) from None
    changes = creds.ensure(site)
    creds.save(secrets)
    for device in changes.added:
        click.echo(f"new credentials for {device}")
    for device in changes.removed:
        click.echo(f"retired {device}: its credentials no longer work once the broker files are installed")
    return creds


def _register_device_commands() -> None:
    from .doctor import doctor
    from .fleet import fleet
    from .operator import erase, languages, void
    from .testprint import test_print

    for command in (doctor, fleet, void, erase, languages, test_print):
        cli.add_command(command)
    from console.staff_cli import staff
    cli.add_command(staff)


_register_device_commands()


def main(argv: list[str] | None = None) -> int:
    try:
        code = cli.main(args=argv, prog_name="onestop-provision", standalone_mode=False)
    except (click.ClickException, ProvisioningError) as exc:
        message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
        click.echo(f"onestop-provision: {message}", err=True)
        return 2
    except click.exceptions.Abort:
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"onestop-provision: {where}{exc.strerror or exc}", err=True)
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
