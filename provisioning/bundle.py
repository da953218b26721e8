"""Per-device bundles: everything one Pi needs, laid out as the files it installs.

``build/devices/<id>/`` mirrors the target's root (``etc/onestop/device.toml``,
``etc/onestop/tls/``, ``etc/systemd/system/...``) plus ``manifest.env`` (who
the device is, for ``install.sh``).  The hub's bundle also carries the site
file, its content pack and the broker: generated config, TLS listener,
CA/server certificate/CRL and the optional bridge.

Every bundle also carries ``etc/onestop/doctor.toml``, the broker identity of
``onestop-provision doctor`` on that device (``doctor.<id>``: a certificate
of its own on a TLS site, else a password), and the hub's ``fleet.toml``,
the identity of ``onestop-provision fleet`` (``monitor.fleet``, a password for
the loopback listener).  Both are read only on the broker (``contract.acl``):
the tools never log in as the device, whose connection the broker would hand
over to them (it binds the client id to the identity).

Security model: with ``network.broker_tls_port`` set (the example sets 8883)
devices reach the broker over TLS and prove who they are with their client
certificate; the plain listener is bound to the hub's loopback, for the hub
and local tools, with passwords.  Without it devices use passwords over
plain TCP, which the build reports as a warning.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import tomli_w

from broker_config import SiteCredentials, write_broker_files
from broker_config.bridge import BridgeError, bridge_text
from broker_config.generate import PRODUCTION_AUTOSAVE_S, TlsListener
from broker_config.pki import SiteCA, write_public, write_secret
from contract.acl import FLEET_ID, GUESTPAGE_ID, doctor_id
from guest.config import config_data as guest_config
from siteconf.schema import Device, Site
from siteconf.slices import device_slice

from . import guestnet, timesync, udev, units
from .identity import DOCTOR_FILE, FLEET_FILE, GUEST_FILE, tool_file_data
from .operator import TECHNICIAN_FILE, TECHNICIAN_ID
from .workspace import ProvisioningError, Wifi, Workspace

ETC = "/etc/onestop"
TLS_DIR = f"{ETC}/tls"
MOSQUITTO_DIR = "/etc/mosquitto/onestop"
STATE_DIR = "/var/lib/onestop"

#: Debian packages each role needs beyond Raspberry Pi OS Lite (install.sh installs them)
ROLE_PACKAGES: dict[str, tuple[str, ...]] = {
    # nftables: the guest network's firewall (provisioning/guestnet.py), loaded at boot by its service
    "hub": ("mosquitto", "chrony", "sqlite3", "nftables"),
    "kiosk": ("libgl1", "libegl1", "libgles2", "libgbm1", "libmtdev1", "libraqm0", "fonts-noto-core",
              "fonts-dejavu-core", "python3-evdev"),
    "display": ("libgl1", "libegl1", "libgles2", "libgbm1", "libmtdev1", "libraqm0", "fonts-noto-core",
                "fonts-dejavu-core", "espeak-ng"),
    "counter": ("libraqm0", "fonts-dejavu-core", "python3-evdev"),
}


@dataclass
class BuildReport:
    devices: dict[str, Path] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def hub_host_name(site: Site) -> str:
    """The hub's host name: the broker address's first label (onestop-hub.local -> onestop-hub)."""
    host = site.network.broker_host
    try:
        ipaddress.ip_address(host)
        return "onestop-hub"
    except ValueError:
        return host.split(".")[0]


def host_name(site: Site, device: Device) -> str:
    return hub_host_name(site) if device.role == "hub" else device.id


def server_hosts(site: Site, extra: list[str] = ()) -> list[str]:
    """Names and addresses in the broker's certificate: what devices dial, plus loopback."""
    host = site.network.broker_host
    names = {host, hub_host_name(site), "localhost", "127.0.0.1", *extra}
    if host.endswith(".local"):
        names.add(host)
    return sorted(names)


def uses_tls(site: Site) -> bool:
    return site.network.broker_tls_port is not None


# ---------------------------------------------------------------------------
# The whole site
# ---------------------------------------------------------------------------


def build_site(ws: Workspace, hub_addresses: list[str] = (), only: list[str] | None = None,
               step: Callable[[str], None] = lambda _label: None) -> BuildReport:
    """Credentials, CA and certificates, broker files and every device's bundle (or only some)."""
    site = ws.site()
    report = BuildReport()
    ws.ensure_secrets_dir()
    step("credentials")
    creds = ws.credentials()
    changes = creds.ensure(site)
    creds.save(ws.secrets_file)
    report.added, report.retired = changes.added, changes.removed
    step("certificates")
    ca = ws.ca(site)
    clients = {d.id for d in site.devices} | {doctor_id(d.id) for d in site.devices}
    report.retired = sorted(set(report.retired) | set(ca.revoke_devices_not_in(clients)))
    if site.network.console_host:  # the console's HTTPS, whether or not the broker uses TLS
        ca.ensure_server([site.network.console_host], name="console")
    if uses_tls(site):
        ca.ensure_server(server_hosts(site, list(hub_addresses)))
        for device in site.devices:
            if device.role != "hub":  # the device's certificate, and its doctor's
                ca.ensure_device(device.id)
                ca.ensure_device(doctor_id(device.id))
    else:
        report.warnings.append("network.broker_tls_port is not set: devices will send their passwords over "
                               "plain TCP on the LAN; set broker_tls_port = 8883 for TLS with client certificates")
    wifi = ws.wifi()
    devices_dir = ws.out_dir / "devices"
    for device in site.devices:
        if only is not None and device.id not in only and device.role != "hub":
            continue
        step(device.id)
        report.devices[device.id] = write_device_bundle(ws, site, device, creds, ca, devices_dir / device.id, wifi)
    stale = [p for p in devices_dir.iterdir() if p.is_dir() and site.device(p.name) is None] \
        if devices_dir.exists() else []
    for folder in stale:  # a retired device's bundle holds a revoked certificate: remove it
        shutil.rmtree(folder)
    return report


# ---------------------------------------------------------------------------
# One device
# ---------------------------------------------------------------------------


def device_file_data(site: Site, device: Device, creds: SiteCredentials, broker_host: str | None = None) -> dict:
    """The bootstrap file (/etc/onestop/device.toml) as installed on the device."""
    data: dict = {"device_id": device.id, "site_id": site.site.id, "state_dir": STATE_DIR}
    net = site.network
    if device.role == "hub":  # beside the broker: the loopback listener, with its password
        data["broker"] = {"host": "127.0.0.1", "port": net.broker_port, "password": creds.password_for(device.id)}
        data |= {"site_file": f"{ETC}/site.toml", "database": f"{STATE_DIR}/hub.sqlite3"}
    elif uses_tls(site):
        data["broker"] = {"host": broker_host or net.broker_host, "port": net.broker_tls_port,
                          "tls_ca": f"{TLS_DIR}/ca.crt", "tls_cert": f"{TLS_DIR}/device.crt",
                          "tls_key": f"{TLS_DIR}/device.key"}
    else:
        data["broker"] = {"host": broker_host or net.broker_host, "port": net.broker_port,
                          "password": creds.password_for(device.id)}
    return data


def needs_i2c(device: Device) -> bool:
    """A counter with an I2C character LCD: Raspberry Pi OS leaves the I2C bus off until asked
    (``raspi-config nonint do_i2c 0`` = ``dtparam=i2c_arm=on`` in config.txt and the i2c-dev module)."""
    return device.role == "counter" and device.small_display.kind == "lcd_i2c"


def doctor_file_data(site: Site, device: Device, creds: SiteCredentials) -> dict:
    """doctor.toml as installed: its certificate on a TLS site (the hub: a password, on the loopback listener)."""
    identity = doctor_id(device.id)
    if uses_tls(site) and device.role != "hub":
        return tool_file_data(identity, tls_cert=f"{TLS_DIR}/doctor.crt", tls_key=f"{TLS_DIR}/doctor.key")
    return tool_file_data(identity, creds.password_for(identity))


def write_device_bundle(ws: Workspace, site: Site, device: Device, creds: SiteCredentials, ca: SiteCA,
                        root: Path, wifi: Wifi | None) -> Path:
    if root.exists():
        shutil.rmtree(root)
    etc = root / "etc"
    (etc / "onestop").mkdir(parents=True)
    write_secret(etc / "onestop" / "device.toml", tomli_w.dumps(device_file_data(site, device, creds)).encode())
    # what the hub will publish for it: doctor's reference when the broker cannot be asked
    write_public(etc / "onestop" / "device-config.json",
                 json.dumps(device_slice(site, device.id), indent=2, ensure_ascii=False).encode())
    if uses_tls(site) and device.role != "hub":
        write_public(etc / "onestop" / "tls" / "ca.crt", ca.ca_path.read_bytes())
        for name, identity in (("device", device.id), ("doctor", doctor_id(device.id))):
            cert, key = ca.device_paths(identity)
            write_public(etc / "onestop" / "tls" / f"{name}.crt", cert.read_bytes())
            write_secret(etc / "onestop" / "tls" / f"{name}.key", key.read_bytes())
    write_secret(etc / "onestop" / DOCTOR_FILE, tomli_w.dumps(doctor_file_data(site, device, creds)).encode())
    if device.role == "hub":
        for name, identity in ((FLEET_FILE, FLEET_ID), (TECHNICIAN_FILE, TECHNICIAN_ID)):
            write_secret(etc / "onestop" / name,
                         tomli_w.dumps(tool_file_data(identity, creds.password_for(identity))).encode())
        # the guest page server beside the hub: its login and the loopback listener, once for the hub (it
        # derives the guest ids' key from the password, contract.guest) and once in a folder of the page
        # server's own user (install.sh), who may read nothing of /etc/onestop
        guest = tomli_w.dumps(guest_config(site.site.id, creds.password_for(GUESTPAGE_ID), "127.0.0.1",
                                           site.network.broker_port)).encode()
        write_secret(etc / "onestop" / GUEST_FILE, guest)
        write_secret(etc / "onestop-guest" / GUEST_FILE, guest)
        write_public(etc / guestnet.RULES_FILE, guestnet.rules_text(site.network.guest_interface).encode())
        if site.network.console_host:
            _console_files(ws, site, creds, ca, etc)
    extra = (["guest"] + (["console"] if site.network.console_host else [])) if device.role == "hub" else []
    units.write_units(etc / "systemd" / "system", roles=[device.role] + extra, with_mosquitto=device.role == "hub")
    write_public(etc / "systemd" / "system" / "onestop-packages.service", units.packages_unit_text().encode())
    if needs_i2c(device):  # the LCD's bus: /dev/i2c-1 (the boot partition's config.txt turns the bus on)
        write_public(etc / "modules-load.d" / "onestop-i2c.conf", b"i2c-dev\n")
    rules = etc / "udev" / "rules.d"
    udev.write_static_rules(rules)
    own = udev.device_rules_text(device)
    if own:
        write_public(rules / f"71-onestop-{device.id}.rules", own.encode())
    if device.role == "hub":
        _hub_files(ws, site, creds, ca, etc)
        write_public(etc / "chrony" / "conf.d" / "onestop.conf", timesync.chrony_server_text().encode())
    else:
        write_public(etc / "systemd" / "timesyncd.conf.d" / "onestop.conf",
                     timesync.timesyncd_text(time_server(site)).encode())
    if wifi is not None:
        write_secret(root / "wifi.nmconnection", wifi_nmconnection(wifi).encode())
    write_public(root / "manifest.env", manifest_text(site, device).encode())
    return root


#: the supervisor's console's own folder on the hub (install.sh gives it to its user, onestop-console)
CONSOLE_ETC = "/etc/onestop-console"


def _console_files(ws: Workspace, site: Site, creds: SiteCredentials, ca: SiteCA, etc: Path) -> None:
    """The supervisor's console beside the hub (issue 17): console.toml with its two broker logins
    (monitor.console reads, supervisor.console acts) over the hub's loopback, a copy of the site file,
    and a certificate of its own for ``network.console_host`` from the site CA (staff PCs trust that
    CA: docs/technician.md), in a folder only its user reads."""
    from console.main import MONITOR_ID, SUPERVISOR_ID, config_data

    folder = etc / Path(CONSOLE_ETC).name
    cert, key = ca.named_server_paths("console")
    write_public(folder / "console.crt", cert.read_bytes())
    write_secret(folder / "console.key", key.read_bytes())
    write_public(folder / "site.toml", ws.site_file.read_bytes())
    data = config_data(f"{CONSOLE_ETC}/site.toml", "127.0.0.1", site.network.broker_port,
                       creds.password_for(MONITOR_ID), creds.password_for(SUPERVISOR_ID),
                       f"{CONSOLE_ETC}/console.crt", f"{CONSOLE_ETC}/console.key")
    write_secret(folder / "console.toml", tomli_w.dumps(data).encode())


def time_server(site: Site) -> str:
    return site.network.time_server or site.network.broker_host


def _hub_files(ws: Workspace, site: Site, creds: SiteCredentials, ca: SiteCA, etc: Path) -> None:
    onestop = etc / "onestop"
    write_public(onestop / "site.toml", ws.site_file.read_bytes())
    content = ws.site_file.parent / site.kiosk.content_dir
    if not Path(site.kiosk.content_dir).is_absolute() and content.is_dir():
        shutil.copytree(content, onestop / site.kiosk.content_dir)
    broker_dir = etc / "mosquitto" / "onestop"
    tls = None
    if uses_tls(site):
        where = f"{MOSQUITTO_DIR}/tls"
        cert, key = ca.server_paths
        for name, source in (("ca.crt", ca.ca_path), ("server.crt", cert), ("crl.pem", ca.crl_path)):
            write_public(broker_dir / "tls" / name, source.read_bytes())
        write_secret(broker_dir / "tls" / "server.key", key.read_bytes())
        tls = TlsListener(site.network.broker_tls_port, f"{where}/ca.crt", f"{where}/server.crt",
                          f"{where}/server.key", f"{where}/crl.pem")
    bridge_conf = None
    bridge = ws.bridge_auth(site, MOSQUITTO_DIR)
    if bridge is not None:
        auth, files = bridge
        try:
            bridge_conf = bridge_text(site, auth)
        except BridgeError as exc:
            raise ProvisioningError(f"{ws.site_file}: {exc}") from None
        for name, source in files.items():
            (write_secret if name.endswith(".key") else write_public)(broker_dir / "bridge" / name,
                                                                       source.read_bytes())
    listen = ("127.0.0.1", site.network.broker_port) if tls else ("0.0.0.0", site.network.broker_port)
    write_broker_files(site, creds, broker_dir, listener=listen, install_dir=MOSQUITTO_DIR,
                       data_dir=units.MOSQUITTO_DATA, tls=tls, autosave_s=PRODUCTION_AUTOSAVE_S,
                       bridge_conf=bridge_conf)


def manifest_text(site: Site, device: Device) -> str:
    """Shell variables for install.sh (values quoted for bash)."""
    values = {
        "SITE_ID": site.site.id,
        "DEVICE_ID": device.id,
        "ROLE": device.role,
        "HOST_NAME": host_name(site, device),
        "SERVICE": units.ROLE_UNITS[device.role].unit_name,
        "TIMEZONE": site.site.timezone,
        "TIME_SERVER": time_server(site),
        "PACKAGES": " ".join(ROLE_PACKAGES[device.role]),
        "HW_GROUPS": " ".join(units.ALL_GROUPS),
    }
    lines = ["# Who this device is, for install.sh; made by onestop-provision."]
    lines += [f"{key}={shlex.quote(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def wifi_nmconnection(wifi: Wifi) -> str:
    """A NetworkManager connection (Raspberry Pi OS Bookworm uses NetworkManager)."""
    return f"""\
[connection]
id=onestop-wifi
uuid=6f0c6f2e-9b59-4c55-8a55-0e5f3c1d0a01
type=wifi
autoconnect=true

[wifi]
mode=infrastructure
ssid={wifi.ssid}
hidden={"true" if wifi.hidden else "false"}

[wifi-security]
key-mgmt=wpa-psk
psk={wifi.psk}

[ipv4]
method=auto

[ipv6]
method=auto
"""
