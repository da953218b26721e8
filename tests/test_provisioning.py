"""The technician's path: a whole example site built into a temporary folder, every file parsed.

``onestop-provision`` runs as the technician runs it (its ``main``, or a
subprocess where the exit code and stderr matter).  The first-boot bundle is
written to a folder standing for a mounted boot partition, with a tiny
wheelhouse (this project's wheel and pip: the full aarch64 download is
``onestop-provision wheelhouse``, too big for every CI run), and its
``install.sh`` is run into a folder standing for the Pi's root file system.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from broker_config import SiteCredentials, verify_password
from broker_config.pki import SiteCA
from provisioning.bundle import ROLE_PACKAGES
from provisioning.cli import main
from provisioning.firstboot import CMDLINE_FIRSTRUN
from provisioning.units import ROLE_UNITS
from siteconf import load_site
from siteconf.device import load_device_file
from siteconf.slices import device_slice

REPO = Path(__file__).resolve().parent.parent
WHEELHOUSE = REPO / "build" / "test-wheelhouse"
WHEELHOUSE_CACHE = REPO / "build" / "test-wheel-cache"


def provision(*args: str) -> int:
    return main([str(a) for a in args])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "provisioning.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=REPO)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The CNAI example as a new site, built once for the module's read-only checks."""
    folder = tmp_path_factory.mktemp("site")
    assert provision("new", folder / "lisboa", "--site-id", "cnai-lisboa", "--name", "CNAI Lisboa") == 0
    site_file = folder / "lisboa" / "site.toml"
    (folder / "lisboa" / "secrets" / "wifi.toml").write_text(
        'ssid = "CNAI staff"\npsk = "correct horse battery"\ncountry = "PT"\n')
    assert provision("build", site_file) == 0
    return site_file


def options(path: Path) -> dict[str, str]:
    """A Mosquitto config's single-valued options."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(" ")
            values[key] = value
    return values


def shell_vars(path: Path) -> dict[str, str]:
    out = subprocess.run(["bash", "-c", f'set -a; . "{path}"; env -0'], capture_output=True, check=True,
                         env={"PATH": os.environ["PATH"]})
    pairs = [item.split("=", 1) for item in out.stdout.decode().split("\0") if "=" in item]
    return dict(pairs)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------
# The whole example site
# ---------------------------------------------------------------------------


def test_every_device_bundle_of_the_example(built):
    site = load_site(built)
    ca_cert = x509.load_pem_x509_certificate((built.parent / "secrets" / "pki" / "ca.crt").read_bytes())
    creds = SiteCredentials.load(built.parent / "secrets" / "secrets.toml")
    devices = built.parent / "build" / "devices"
    assert sorted(p.name for p in devices.iterdir()) == sorted(d.id for d in site.devices)
    for device in site.devices:
        root = devices / device.id
        etc = root / "etc"
        device_file = load_device_file(etc / "onestop" / "device.toml")
        assert (device_file.device_id, device_file.site_id) == (device.id, "cnai-lisboa")
        assert mode(etc / "onestop" / "device.toml") == 0o600
        assert json.loads((etc / "onestop" / "device-config.json").read_text()) == device_slice(site, device.id)
        manifest = shell_vars(root / "manifest.env")
        assert manifest["DEVICE_ID"] == device.id and manifest["ROLE"] == device.role
        assert manifest["SERVICE"] == ROLE_UNITS[device.role].unit_name
        assert manifest["PACKAGES"].split() == list(ROLE_PACKAGES[device.role])
        assert manifest["TIMEZONE"] == "Europe/Lisbon"
        unit = (etc / "systemd" / "system" / ROLE_UNITS[device.role].unit_name).read_text()
        assert f"ExecStart=/opt/onestop/venv/bin/onestop-{device.role} --device /etc/onestop/device.toml" in unit
        # the daily report (issue 14): its service and timer on the hub only
        report_units = {"onestop-report.service", "onestop-report.timer"} & \
            {p.name for p in (etc / "systemd" / "system").iterdir()}
        assert len(report_units) == (2 if device.role == "hub" else 0), (device.id, report_units)
        assert "nmconnection" not in str(list(etc.rglob("*")))  # Wi-Fi is beside etc/, consumed by install.sh
        wifi = (root / "wifi.nmconnection").read_text().splitlines()
        assert "ssid=CNAI staff" in wifi and mode(root / "wifi.nmconnection") == 0o600
        # doctor's own broker identity on every device (never the device's login), fleet's on the hub
        doctor = tomllib.loads((etc / "onestop" / "doctor.toml").read_text())
        assert doctor["identity"] == f"doctor.{device.id}" and mode(etc / "onestop" / "doctor.toml") == 0o600
        assert (etc / "onestop" / "fleet.toml").exists() == (device.role == "hub")
        if device.role == "hub":
            assert device_file.broker.host == "127.0.0.1" and device_file.broker.port == 1883
            assert device_file.broker.password == creds.password_for("hub")
            assert manifest["HOST_NAME"] == "onestop-hub"
            assert doctor == {"identity": "doctor.hub", "password": creds.password_for("doctor.hub")}
            fleet = tomllib.loads((etc / "onestop" / "fleet.toml").read_text())
            assert fleet == {"identity": "monitor.fleet", "password": creds.password_for("monitor.fleet")}
            assert mode(etc / "onestop" / "fleet.toml") == 0o600
            # the guest page server beside the hub: its login and the loopback broker, its own unit
            guest = tomllib.loads((etc / "onestop" / "guest.toml").read_text())
            assert guest == {"identity": "guestpage.web", "password": creds.password_for("guestpage.web"),
                             "site_id": "cnai-lisboa", "broker": {"host": "127.0.0.1", "port": 1883}}
            assert mode(etc / "onestop" / "guest.toml") == 0o600
            assert (etc / "onestop-guest" / "guest.toml").read_text() == (etc / "onestop" / "guest.toml").read_text()
            assert 'iifname "eth1" tcp dport 80' in (etc / "nftables.d" / "onestop-guest.nft").read_text()
            assert "User=onestop-guest" in (etc / "systemd" / "system" / "onestop-guest.service").read_text()
            # the supervisor's console (issue 17): its two logins over the loopback, its own certificate for
            # the staff address from the site CA, its copy of the site file, its unit
            console = etc / "onestop-console"
            data = tomllib.loads((console / "console.toml").read_text())
            assert data["monitor"] == {"identity": "monitor.console", "password": creds.password_for("monitor.console")}
            assert data["supervisor"] == {"identity": "supervisor.console",
                                          "password": creds.password_for("supervisor.console")}
            assert data["broker"] == {"host": "127.0.0.1", "port": 1883}
            assert data["tls"] == {"cert": "/etc/onestop-console/console.crt", "key": "/etc/onestop-console/console.key"}
            assert mode(console / "console.toml") == mode(console / "console.key") == 0o600
            cert = x509.load_pem_x509_certificate((console / "console.crt").read_bytes())
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == [site.network.console_host]
            broker_key = (etc / "mosquitto" / "onestop" / "tls" / "server.key").read_bytes()
            assert (console / "console.key").read_bytes() != broker_key  # never the broker's key
            assert (console / "site.toml").read_text() == (etc / "onestop" / "site.toml").read_text()
            assert "User=onestop-console" in (etc / "systemd" / "system" / "onestop-console.service").read_text()
            continue
        assert manifest["HOST_NAME"] == device.id
        broker = device_file.broker
        assert (broker.host, broker.port, broker.password) == ("onestop-hub.local", 8883, None)
        tls = etc / "onestop" / "tls"
        cert = x509.load_pem_x509_certificate((tls / "device.crt").read_bytes())
        key = serialization.load_pem_private_key((tls / "device.key").read_bytes(), password=None)
        assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == device.id
        cert.verify_directly_issued_by(ca_cert)
        assert cert.public_key().public_numbers() == key.public_key().public_numbers()
        assert (tls / "ca.crt").read_bytes() == ca_cert.public_bytes(serialization.Encoding.PEM)
        assert mode(tls / "device.key") == 0o600
        assert doctor == {"identity": f"doctor.{device.id}", "tls_cert": "/etc/onestop/tls/doctor.crt",
                          "tls_key": "/etc/onestop/tls/doctor.key"}
        own = x509.load_pem_x509_certificate((tls / "doctor.crt").read_bytes())
        assert own.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == f"doctor.{device.id}"
        own.verify_directly_issued_by(ca_cert)
        assert own.serial_number != cert.serial_number and mode(tls / "doctor.key") == 0o600
        timesync = (etc / "systemd" / "timesyncd.conf.d" / "onestop.conf").read_text().splitlines()
        assert "[Time]" in timesync and "NTP=onestop-hub.local" in timesync


def test_the_hubs_broker_and_time_server(built):
    site = load_site(built)
    hub = built.parent / "build" / "devices" / "hub" / "etc"
    creds = SiteCredentials.load(built.parent / "secrets" / "secrets.toml")
    assert load_site(hub / "onestop" / "site.toml") == site
    assert sorted(p.name for p in (hub / "onestop" / "content").iterdir()) == \
        sorted(p.name for p in (built.parent / "content").iterdir())

    def local(path: str) -> Path:  # /etc/mosquitto/onestop/x -> the bundle's copy
        assert path.startswith("/etc/"), path
        return hub / path[len("/etc/"):]

    conf = options(hub / "mosquitto" / "onestop" / "mosquitto.conf")
    assert conf["allow_anonymous"] == "false" and conf["per_listener_settings"] == "false"
    assert conf["autosave_interval"] == "10" and conf["persistence_location"] == "/var/lib/mosquitto/onestop/"
    for key in ("password_file", "acl_file", "include_dir"):
        assert local(conf[key]).exists(), key
    plain = options(local(conf["include_dir"]) / "listener.conf")
    assert plain["listener"] == "1883 127.0.0.1"  # passwords only on the hub's loopback
    tls = options(local(conf["include_dir"]) / "tls-listener.conf")
    assert tls["listener"] == "8883" and tls["require_certificate"] == "true"
    assert tls["use_identity_as_username"] == "true"
    for key in ("cafile", "certfile", "keyfile", "crlfile"):
        assert local(tls[key]).exists(), key
    assert mode(local(tls["keyfile"])) == 0o600
    server = x509.load_pem_x509_certificate(local(tls["certfile"]).read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "onestop-hub.local" in names.get_values_for_type(x509.DNSName)
    crl = x509.load_pem_x509_crl(local(tls["crlfile"]).read_bytes())
    assert len(list(crl)) == 0 and crl.next_update_utc.year >= 2040
    assert plain["use_username_as_clientid"] == tls["use_username_as_clientid"] == "true"  # both listeners
    identities = ({d.id for d in site.devices} | {"monitor.fleet", "monitor.console"}
                  | {f"doctor.{d.id}" for d in site.devices}
                  | {"technician.hub", "supervisor.console", "guestpage.web"})
    passwd = dict(line.split(":", 1) for line in local(conf["password_file"]).read_text().splitlines())
    assert set(passwd) == identities
    assert all(verify_password(creds.password_for(d), h) for d, h in passwd.items())
    acl_users = [line.split()[1] for line in local(conf["acl_file"]).read_text().splitlines()
                 if line.startswith("user ")]
    assert sorted(acl_users) == sorted(identities)
    chrony = (hub / "chrony" / "conf.d" / "onestop.conf").read_text().splitlines()
    assert "allow 192.168.0.0/16" in chrony and "local stratum 8 orphan" in chrony
    dropin = (hub / "systemd" / "system" / "mosquitto.service.d" / "onestop.conf").read_text()
    assert "ExecStart=/usr/sbin/mosquitto -c /etc/mosquitto/onestop/mosquitto.conf" in dropin


# ---------------------------------------------------------------------------
# Changing the fleet
# ---------------------------------------------------------------------------


@pytest.fixture
def site_folder(tmp_path):
    assert provision("new", tmp_path / "porto", "--site-id", "cnai-porto", "--name", "CNAI Porto") == 0
    return tmp_path / "porto" / "site.toml"


def test_add_retire_and_replace_devices(site_folder):
    secrets = site_folder.parent / "secrets"
    assert provision("add-device", site_folder, "kiosk-09", "--role", "kiosk", "--zone", "first") == 0
    assert load_site(site_folder).device("kiosk-09").zone == "first"
    assert "# Site file: CNAI Lisboa" in site_folder.read_text()  # comments kept
    assert provision("build", site_folder) == 0
    ca = SiteCA.open(secrets / "pki", "cnai-porto", create=False)
    old_serial = x509.load_pem_x509_certificate(ca.device_paths("kiosk-09")[0].read_bytes()).serial_number
    old_password = SiteCredentials.load(secrets / "secrets.toml").password_for("counter-02")

    # retire: certificate in the CRL, password gone, bundle removed
    assert provision("retire-device", site_folder, "kiosk-09") == 0
    assert load_site(site_folder).device("kiosk-09") is None
    crl = x509.load_pem_x509_crl((secrets / "pki" / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(old_serial) is not None
    hub_crl = site_folder.parent / "build" / "devices" / "hub" / "etc" / "mosquitto" / "onestop" / "tls" / "crl.pem"
    assert x509.load_pem_x509_crl(hub_crl.read_bytes()).get_revoked_certificate_by_serial_number(old_serial)
    assert "kiosk-09" not in SiteCredentials.load(secrets / "secrets.toml").passwords
    assert "doctor.kiosk-09" not in SiteCredentials.load(secrets / "secrets.toml").passwords
    issued = SiteCA.open(secrets / "pki", "cnai-porto", create=False).issued
    assert not [c for c in issued if c.subject in ("kiosk-09", "doctor.kiosk-09") and c.status == "valid"]
    assert not (site_folder.parent / "build" / "devices" / "kiosk-09").exists()

    # replace: new certificate and password, the old certificate revoked
    before = x509.load_pem_x509_certificate(ca.device_paths("counter-02")[0].read_bytes()).serial_number
    doctor_before = x509.load_pem_x509_certificate(
        ca.device_paths("doctor.counter-02")[0].read_bytes()).serial_number
    assert provision("replace-device", site_folder, "counter-02") == 0
    bundle_cert = site_folder.parent / "build" / "devices" / "counter-02" / "etc" / "onestop" / "tls" / "device.crt"
    after = x509.load_pem_x509_certificate(bundle_cert.read_bytes()).serial_number
    assert after != before
    crl = x509.load_pem_x509_crl(hub_crl.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(before) is not None
    assert crl.get_revoked_certificate_by_serial_number(doctor_before) is not None  # the old card's doctor
    assert crl.get_revoked_certificate_by_serial_number(after) is None
    assert SiteCredentials.load(secrets / "secrets.toml").password_for("counter-02") != old_password


def test_bad_input_changes_nothing_and_says_why(site_folder, tmp_path):
    before = site_folder.read_text()
    result = run_cli("add-device", site_folder, "kiosk-09", "--role", "kiosk", "--zone", "basement")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "devices[" in result.stderr and "unknown zone 'basement'" in result.stderr
    assert site_folder.read_text() == before
    result = run_cli("add-device", site_folder, "kiosk-01", "--role", "kiosk", "--zone", "ground")
    assert result.returncode == 2 and "already exists" in result.stderr
    result = run_cli("retire-device", site_folder, "hub")
    assert result.returncode == 2 and "is the hub" in result.stderr
    result = run_cli("build", tmp_path / "missing.toml")
    assert result.returncode == 2 and "missing.toml" in result.stderr and "file not found" in result.stderr
    (site_folder.parent / "secrets" / "wifi.toml").write_text('ssid = "x"\npsk = "short"\n')
    result = run_cli("build", site_folder)
    assert result.returncode == 2 and "wifi.toml" in result.stderr and "8 to 63" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("device-file", site_folder, "kiosk-01", "--out", tmp_path / "d.toml", "--secrets",
                     tmp_path / "s.toml")
    assert result.returncode == 2 and "certificate" in result.stderr and not (tmp_path / "d.toml").exists()
    result = run_cli("new", site_folder.parent, "--site-id", "x", "--name", "X")
    assert result.returncode == 2 and "already exists" in result.stderr


# ---------------------------------------------------------------------------
# The SD card
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_wheelhouse():
    """This project's wheel (built locally), pip and one small dependency for aarch64 (two small
    downloads, cached in build/; the whole set is `onestop-provision wheelhouse`)."""
    from provisioning.wheelhouse import build_wheelhouse

    wheels = build_wheelhouse(WHEELHOUSE, ["tomli-w"], cache=WHEELHOUSE_CACHE)
    names = sorted(w.name.split("-")[0] for w in wheels)
    assert names == ["onestop_firmware", "pip", "tomli_w"], names  # exactly one of each
    return WHEELHOUSE


def test_first_boot_bundle_and_offline_install(built, tiny_wheelhouse, tmp_path):
    boot = tmp_path / "bootfs"
    boot.mkdir()
    original = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
    (boot / "cmdline.txt").write_text(original)
    result = run_cli("sd-card", built, "kiosk-01", "--to", boot, "--wheelhouse", tiny_wheelhouse)
    assert result.returncode == 0, result.stderr

    # Bookworm: firstrun.sh and its cmdline.txt entry
    cmdline = (boot / "cmdline.txt").read_text()
    assert cmdline.count("\n") == 1 and cmdline.split() == original.split() + CMDLINE_FIRSTRUN.split()
    assert subprocess.run(["bash", "-n", boot / "firstrun.sh"]).returncode == 0
    assert "HOST_NAME=kiosk-01" in (boot / "firstrun.sh").read_text().splitlines()
    # cloud-init
    user_data = (boot / "user-data").read_text()
    assert user_data.startswith("#cloud-config\n")
    data = yaml.safe_load(user_data)
    assert data["hostname"] == "kiosk-01" and data["timezone"] == "Europe/Lisbon"
    assert data["runcmd"] == [["bash", "/boot/firmware/onestop/install.sh", "all"]]
    network = yaml.safe_load((boot / "network-config").read_text())["network"]
    assert network["version"] == 2 and network["ethernets"]["eth0"]["dhcp4"] is True
    assert network["wifis"]["wlan0"]["access-points"] == {"CNAI staff": {"password": "correct horse battery"}}
    assert network["wifis"]["wlan0"]["regulatory-domain"] == "PT"
    assert yaml.safe_load((boot / "meta-data").read_text())["instance-id"].startswith("onestop-cnai-lisboa-kiosk-01-")
    # the bundle itself
    onestop = boot / "onestop"
    assert subprocess.run(["bash", "-n", onestop / "install.sh"]).returncode == 0
    wheels = sorted(p.name for p in (onestop / "wheelhouse").iterdir())
    assert any(w.startswith("onestop_firmware-") for w in wheels) and any(w.startswith("pip-") for w in wheels)

    # the Pi's first boot, into a folder: install.sh as firstrun.sh calls it
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    env = {**os.environ, "ONESTOP_ROOT": str(root), "ONESTOP_PYTHON": sys.executable}
    result = subprocess.run(["bash", onestop / "install.sh", "all"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    installed = root / "etc" / "onestop"
    assert load_device_file(installed / "device.toml").device_id == "kiosk-01"
    assert mode(installed / "device.toml") == 0o640 and mode(installed / "tls" / "device.key") == 0o640
    # doctor's own identity: for root only (sudo onestop-provision doctor), not the service user
    assert mode(installed / "doctor.toml") == 0o600 and mode(installed / "tls" / "doctor.key") == 0o600
    assert (root / "etc" / "hostname").read_text() == "kiosk-01\n"
    assert "127.0.1.1\tkiosk-01" in (root / "etc" / "hosts").read_text().splitlines()
    assert os.readlink(root / "etc" / "localtime") == "/usr/share/zoneinfo/Europe/Lisbon"
    assert (root / "etc" / "systemd" / "system" / "onestop-kiosk.service").exists()
    assert (root / "etc" / "udev" / "rules.d" / "70-onestop-hardware.rules").exists()
    assert mode(root / "etc" / "NetworkManager" / "system-connections" / "onestop-wifi.nmconnection") == 0o600
    systemctl = (root / "var" / "lib" / "onestop-setup" / "systemctl.log").read_text().splitlines()
    assert "systemctl enable onestop-kiosk.service" in systemctl
    assert "systemctl enable systemd-timesyncd.service" in systemctl
    assert (root / "var" / "lib" / "onestop-setup" / "packages-pending").read_text().split() == \
        list(ROLE_PACKAGES["kiosk"])
    venv_bin = root / "opt" / "onestop" / "venv" / "bin"
    assert os.access(venv_bin / "onestop-kiosk", os.X_OK) and os.access(venv_bin / "onestop-provision", os.X_OK)
    assert list((venv_bin.parent / "lib").glob("python3*/site-packages/tomli_w/__init__.py"))
    # the secrets left the (FAT, world-readable) boot partition; the wheelhouse stays
    assert not (onestop / "etc").exists() and not (onestop / "wifi.nmconnection").exists()
    assert (onestop / "wheelhouse").is_dir()
    # cloud-init's runcmd after firstrun.sh on a newer image: nothing to do, no failure
    again = subprocess.run(["bash", onestop / "install.sh", "all"], capture_output=True, text=True, env=env)
    assert again.returncode == 0 and "already installed" in again.stdout


def test_sd_card_needs_a_build_and_a_wheelhouse(built, tmp_path):
    empty = tmp_path / "wheels"
    empty.mkdir()
    result = run_cli("sd-card", built, "kiosk-01", "--to", tmp_path / "boot", "--wheelhouse", empty)
    assert result.returncode == 2 and "wheelhouse" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("sd-card", built, "kiosk-99", "--to", tmp_path / "boot", "--wheelhouse", empty)
    assert result.returncode == 2 and "kiosk-99" in result.stderr


def test_wheelhouse_command_asks_pip_for_bookworm_aarch64(tmp_path):
    from provisioning.wheelhouse import download_command, project_dependencies

    command = download_command(tmp_path, project_dependencies())
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert {"manylinux2014_aarch64", "manylinux_2_17_aarch64"} <= set(platforms)
    assert command[command.index("--python-version") + 1] == "3.11" and "--only-binary=:all:" in command
    assert "paho-mqtt>=2.1,<3" in command and "kivy==2.3.*" in command


@pytest.mark.broker
def test_the_built_hub_and_a_built_kiosk_work_together(built, tmp_path):
    """The bundles as built, with only their install paths and ports moved into a folder: Mosquitto on
    the hub's production config, the hub on its device file, kiosk-01 over TLS with its certificate;
    then `fleet` with the hub's files and `doctor` with the kiosk's, each with its own identity, while
    the hub and the kiosk stay connected."""
    import signal
    import threading

    import tomli_w

    from broker_config import Mosquitto
    from broker_config.runner import free_port
    from mqttlink.bootstrap import open_link
    from provisioning.doctor import probe_broker
    from provisioning.fleet import read_fleet

    devices = built.parent / "build" / "devices"
    hub_etc, kiosk_etc = tmp_path / "hub", tmp_path / "kiosk"
    shutil.copytree(devices / "hub" / "etc", hub_etc)
    shutil.copytree(devices / "kiosk-01" / "etc", kiosk_etc)
    plain_port, tls_port = free_port(), free_port()
    moves = {"/etc/mosquitto/onestop": str(hub_etc / "mosquitto" / "onestop"),
             "/var/lib/mosquitto/onestop": str(tmp_path / "broker-data"),
             "listener 1883 127.0.0.1": f"listener {plain_port} 127.0.0.1",
             "listener 8883\n": f"listener {tls_port} 127.0.0.1\n"}
    (tmp_path / "broker-data").mkdir()
    for conf in [hub_etc / "mosquitto" / "onestop" / "mosquitto.conf",
                 *(hub_etc / "mosquitto" / "onestop" / "conf.d").glob("*.conf")]:
        text = conf.read_text()
        for old, new in moves.items():
            text = text.replace(old, new)
        conf.write_text(text)

    hub_device = tomllib.loads((hub_etc / "onestop" / "device.toml").read_text())
    hub_device |= {"site_file": str(hub_etc / "onestop" / "site.toml"), "database": str(tmp_path / "hub.db"),
                   "state_dir": str(tmp_path)}
    hub_device["broker"]["port"] = plain_port
    hub_file = hub_etc / "onestop" / "device.toml"  # fleet.toml and doctor.toml beside it, as installed
    hub_file.write_text(tomli_w.dumps(hub_device))
    kiosk_file = kiosk_etc / "onestop" / "device.toml"
    for name, table in ((kiosk_file, "broker"), (kiosk_etc / "onestop" / "doctor.toml", None)):
        data = tomllib.loads(name.read_text())
        files = data[table] if table else data
        files |= {k: str(kiosk_etc / "onestop" / "tls" / Path(v).name) for k, v in files.items()
                  if k.startswith("tls_")}
        if table:
            files |= {"host": "127.0.0.1", "port": tls_port}
        name.write_text(tomli_w.dumps(data))

    with Mosquitto(hub_etc / "mosquitto" / "onestop" / "mosquitto.conf") as broker:
        hub = subprocess.Popen([sys.executable, "-m", "hub.main", "--device", str(hub_file)],
                               stderr=subprocess.PIPE, text=True)
        try:
            _device, kiosk = open_link(str(kiosk_file), "kiosk")
            kiosk.start()
            assert kiosk.wait_connected(5), f"{kiosk.last_connack}\n{broker.log_text()[-2000:]}"
            hub_up = threading.Event()  # the kiosk may read the hub's presence: wait for the hub to serve
            kiosk.subscribe(kiosk.topics.presence("hub"),
                            lambda _t, payload: hub_up.set() if payload.get("online") else None)
            assert hub_up.wait(30), broker.log_text()[-2000:]
            site = load_site(built)
            try:
                reply = kiosk.request("issue_ticket", timeout=20, service=site.kiosk.unsure_service,
                                      language="pt", priority=False)
            except Exception as exc:
                hub.send_signal(signal.SIGTERM)
                raise AssertionError(f"{exc}\nhub: {hub.communicate(timeout=20)[1][-3000:]}\n"
                                     f"broker: {broker.log_text()[-3000:]}") from None
            assert reply["ticket"]["code"].startswith(site.service(site.kiosk.unsure_service).prefix)

            dropped = []
            kiosk.on_connection_change = lambda up: up or dropped.append(up)
            _site_id, statuses = read_fleet(str(hub_file), timeout=5)
            online = {s.device: s.online for s in statuses}
            assert online["hub"] is True and online["kiosk-01"] is True, online
            for device_file in (hub_file, kiosk_file):
                finding = probe_broker(load_device_file(device_file), str(device_file), 5).finding
                assert finding.status == "ok", finding
            assert "as doctor.kiosk-01 and read" in finding.message
            assert kiosk.connected and not dropped and broker.takeovers() == [], broker.takeovers()
            assert hub.poll() is None
            kiosk.close()
        finally:
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(20)
            except subprocess.TimeoutExpired:
                hub.kill()
                hub.wait()
