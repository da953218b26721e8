"""The first-boot bundle on a Raspberry Pi OS SD card's boot partition (or a folder).

::

    firstrun.sh        Bookworm: run once by systemd.run= from cmdline.txt (what Raspberry Pi
                       Imager does), then removed along with its cmdline.txt entry
    user-data          cloud-init (newer Raspberry Pi OS images): host name, then runcmd
    network-config     cloud-init netplan v2: Ethernet by DHCP, Wi-Fi when the site has it
    meta-data          cloud-init instance id (new per SD card, so cloud-init runs again)
    onestop/           the device's bundle (bundle.py), install.sh and the wheelhouse

Both launchers call ``onestop/install.sh``, which installs everything offline
and removes the secrets from the (FAT, world-readable) boot partition; a
second launcher finds the work done and stops.
"""

from __future__ import annotations

import shlex
import shutil
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Callable

import yaml

from siteconf.schema import Site

from .bundle import host_name, needs_i2c
from .wheelhouse import role_wheels
from .workspace import ProvisioningError, Wifi

BOOT_MOUNT = "/boot/firmware"
CMDLINE_FIRSTRUN = (f"systemd.run={BOOT_MOUNT}/firstrun.sh systemd.run_success_action=reboot "
                    "systemd.unit=kernel-command-line.target")
LAUNCHERS = ("firstrun", "cloud-init")


def install_script() -> str:
    return resources.files("provisioning").joinpath("scripts/install.sh").read_text(encoding="utf-8")


def firstrun_text(site: Site, device_id: str) -> str:
    device = site.device(device_id)
    name = shlex.quote(host_name(site, device))
    return f"""\
#!/bin/bash
# firstrun.sh for {device_id} ({device.role}) of site {site.site.id}, made by onestop-provision.
# Raspberry Pi OS Bookworm runs it once at the first boot (systemd.run= in cmdline.txt).
set +e
BOOT={BOOT_MOUNT}
[ -d "$BOOT/onestop" ] || BOOT=/boot
HOST_NAME={name}
CURRENT_HOSTNAME=$(tr -d " \\t\\n\\r" </etc/hostname)
if [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ]; then
    /usr/lib/raspberrypi-sys-mods/imager_custom set_hostname "$HOST_NAME"
else
    echo "$HOST_NAME" >/etc/hostname
    sed -i "s/127.0.1.1.*$CURRENT_HOSTNAME/127.0.1.1\\t$HOST_NAME/g" /etc/hosts
fi
bash "$BOOT/onestop/install.sh" all >"$BOOT/onestop-install.log" 2>&1
echo "exit code $?" >>"$BOOT/onestop-install.log"
rm -f "$BOOT/firstrun.sh"
sed -i 's| systemd.run.*||g' "$BOOT/cmdline.txt"
exit 0
"""


def user_data(site: Site, device_id: str) -> dict:
    device = site.device(device_id)
    return {
        "hostname": host_name(site, device),
        "manage_etc_hosts": True,
        "timezone": site.site.timezone,
        "runcmd": [["bash", f"{BOOT_MOUNT}/onestop/install.sh", "all"]],
    }


def network_config(wifi: Wifi | None) -> dict:
    config: dict = {"network": {"version": 2,
                                "ethernets": {"eth0": {"dhcp4": True, "dhcp6": True, "optional": True}}}}
    if wifi is not None:
        config["network"]["wifis"] = {"wlan0": {
            "dhcp4": True, "dhcp6": True, "optional": True, "regulatory-domain": wifi.country,
            "access-points": {wifi.ssid: {"password": wifi.psk, **({"hidden": True} if wifi.hidden else {})}},
        }}
    return config


def write_boot_bundle(site: Site, device_id: str, bundle: Path, wheelhouse: Path, target: Path,
                      wifi: Wifi | None, launchers: tuple[str, ...] = LAUNCHERS,
                      step: Callable[[str], None] = lambda _label: None, debs: Path | None = None) -> list[Path]:
    """Write the first-boot bundle of ``device_id`` into ``target`` (a mounted boot partition or a
    folder).  ``bundle`` is the device's built bundle; ``wheelhouse`` the aarch64 wheels; ``debs`` the
    role's .deb files (``onestop-provision debs``), copied when there are any, so that install.sh
    needs no network for the packages either."""
    if site.device(device_id) is None:
        raise ProvisioningError(f"devices: no device {device_id!r} in the site file")
    if not (bundle / "manifest.env").exists():
        raise ProvisioningError(f"{bundle}: no bundle for {device_id} here; run `onestop-provision build` first")
    role = site.device(device_id).role
    wheels = role_wheels(wheelhouse, role)
    if not any(w.name.startswith("onestop_firmware-") for w in wheels) or not any(
            w.name.startswith("pip-") for w in wheels):
        raise ProvisioningError(f"{wheelhouse}: not a wheelhouse with the firmware and pip for a {role}; "
                                "run `onestop-provision wheelhouse` first")
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    onestop = target / "onestop"
    if onestop.exists():
        shutil.rmtree(onestop)
    step("device files")
    shutil.copytree(bundle, onestop)
    _write(onestop / "install.sh", install_script(), written)
    written.append(onestop)
    step("wheelhouse")
    (onestop / "wheelhouse").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, onestop / "wheelhouse" / wheel.name)
    if needs_i2c(site.device(device_id)):
        config = target / "config.txt"
        if config.exists():
            _write(config, with_i2c(config.read_text(encoding="utf-8")), written)
    if debs is not None and any(debs.glob("*.deb")):
        (onestop / "debs").mkdir()
        for deb in sorted(debs.glob("*.deb")):
            shutil.copy2(deb, onestop / "debs" / deb.name)
    step("launchers")
    if "firstrun" in launchers:
        _write(target / "firstrun.sh", firstrun_text(site, device_id), written)
        cmdline = target / "cmdline.txt"
        if cmdline.exists():
            _write(cmdline, add_firstrun_to_cmdline(cmdline.read_text(encoding="utf-8")), written)
    if "cloud-init" in launchers:
        _write(target / "user-data", "#cloud-config\n" + yaml.safe_dump(user_data(site, device_id),
                                                                        sort_keys=False), written)
        _write(target / "network-config", yaml.safe_dump(network_config(wifi), sort_keys=False), written)
        instance = f"onestop-{site.site.id}-{device_id}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        _write(target / "meta-data", yaml.safe_dump({"instance-id": instance}, sort_keys=False), written)
    return written


def with_i2c(config: str) -> str:
    """config.txt with the I2C bus on (what ``raspi-config nonint do_i2c 0`` writes); once."""
    lines = [line for line in config.splitlines() if not line.strip().startswith("dtparam=i2c_arm=")]
    return "\n".join(lines + ["dtparam=i2c_arm=on"]) + "\n"


def add_firstrun_to_cmdline(text: str) -> str:
    """cmdline.txt is one line: drop any earlier systemd.run entry, then append ours."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    kept = [token for token in line.split() if not token.startswith(("systemd.run", "systemd.unit="))]
    return " ".join(kept + CMDLINE_FIRSTRUN.split()) + "\n"


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.write_text(text, encoding="utf-8")
    written.append(path)
