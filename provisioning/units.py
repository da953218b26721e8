"""systemd units for every role, and the Mosquitto drop-in of a hub.

The units are made here, from one description per role (its entry point, the
hardware groups it needs, whether it draws on the screen), so the bundle for
a Pi and the copies in the repository's ``systemd/`` folder (for people to
read; a test keeps them current) never drift apart::

    python -m provisioning.units --write systemd/

Every role unit: ``Type=notify`` (the role says READY=1 when it is serving,
``mqttlink.systemd``), ``WatchdogSec=`` (it pings while healthy, systemd
restarts it when it stops), ``Restart=always`` with a start limit, and
hardening (its own user, ``NoNewPrivileges``, ``ProtectSystem=strict`` so
only ``StateDirectory`` /var/lib/onestop and ``CacheDirectory``
/var/cache/onestop are writable).  Kiosk and display run Kivy straight on
KMS/DRM on tty1, without a desktop (Kivy's wheel has no Wayland support).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

INSTALL_DIR = "/opt/onestop"
BIN_DIR = f"{INSTALL_DIR}/venv/bin"
DEVICE_FILE = "/etc/onestop/device.toml"
SERVICE_USER = "onestop"
MOSQUITTO_CONF = "/etc/mosquitto/onestop/mosquitto.conf"
MOSQUITTO_DATA = "/var/lib/mosquitto/onestop"
MOSQUITTO_DROPIN = "mosquitto.service.d/onestop.conf"


@dataclass(frozen=True)
class RoleUnit:
    role: str
    description: str
    command: str
    #: groups of the hardware it uses: video/render (DRM), input (touch, HID scanners), lp (USB
    #: printers), dialout (serial printers/scanners), plugdev (libusb printers), gpio/i2c (buttons,
    #: LEDs, small displays), audio (chime and speech)
    groups: tuple[str, ...]
    graphical: bool = False
    watchdog_s: int = 30
    after: tuple[str, ...] = ("network-online.target", "time-sync.target")
    wants: tuple[str, ...] = ("network-online.target",)
    reload: bool = False
    #: its own system user instead of ``SERVICE_USER`` (the guest page server: phones reach it)
    user: str | None = None
    #: what it starts from (default: the device file)
    arguments: str | None = None
    #: resource limits (``CPUQuota=``, ``MemoryMax=``): a flood of phones must not starve the hub beside it
    resources: tuple[str, ...] = ()

    @property
    def unit_name(self) -> str:
        return f"onestop-{self.role}.service"


ROLE_UNITS: dict[str, RoleUnit] = {
    "hub": RoleUnit("hub", "One-Stop-Shop queue hub (the site's authority)", "onestop-hub", (),
                    watchdog_s=60, after=("network-online.target", "time-sync.target", "mosquitto.service"),
                    wants=("network-online.target", "mosquitto.service"), reload=True),
    "kiosk": RoleUnit("kiosk", "One-Stop-Shop kiosk (touchscreen, ticket printer, scanner)", "onestop-kiosk",
                      ("video", "render", "input", "lp", "dialout", "plugdev", "audio"), graphical=True),
    "display": RoleUnit("display", "One-Stop-Shop wall display (calls, chime, announcements)", "onestop-display",
                        ("video", "render", "input", "audio"), graphical=True),
    "counter": RoleUnit("counter", "One-Stop-Shop counter (call buttons, LEDs, printer, small display)",
                        "onestop-counter", ("gpio", "i2c", "input", "lp", "dialout", "plugdev", "audio")),
    # its own user: the process phones talk to reads guest.toml and nothing of the hub's.  The limits are
    # a first choice (a quarter of a Pi 4's four cores, 150 MB of its 4 GB) until the 1,000-pages bench
    # of issue 16 measures them
    "guest": RoleUnit("guest", "One-Stop-Shop visitors' phone pages (guest Wi-Fi)", "onestop-guest", (),
                      after=("network-online.target", "mosquitto.service"), user="onestop-guest",
                      arguments="--config /etc/onestop-guest/guest.toml --port 80",
                      # port 80, so the link printed on the ticket needs no port; that one capability only
                      resources=("CPUQuota=25%", "MemoryMax=150M", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE")),
    # the supervisor's console (issue 17) on the hub: HTTPS on the staff network's address only
    # (console.toml, network.console_host).  Its own user too: it reads console.toml, its certificate
    # and its copy of the site file, writes only its accounts (its own StateDirectory), and reads the
    # daily reports as a member of the onestop group (onestop-report writes them 0640)
    "console": RoleUnit("console", "One-Stop-Shop supervisor's console (HTTPS, staff network)", "onestop-console", (),
                        after=("network-online.target", "mosquitto.service", "onestop-hub.service"),
                        user="onestop-console", arguments="--config /etc/onestop-console/console.toml",
                        # argon2 takes 64 MiB per login being checked; port 443 needs its one capability
                        resources=("CPUQuota=25%", "MemoryMax=250M", "SupplementaryGroups=onestop",
                                   "StateDirectory=onestop-console", "StateDirectoryMode=0700",
                                   "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                                   "CapabilityBoundingSet=CAP_NET_BIND_SERVICE")),
}

#: every group a unit names; the installer creates missing ones (systemd refuses unknown groups)
ALL_GROUPS = tuple(sorted({g for unit in ROLE_UNITS.values() for g in unit.groups}))


def unit_text(role: str, bin_dir: str = BIN_DIR, device_file: str = DEVICE_FILE, user: str = SERVICE_USER) -> str:
    unit = ROLE_UNITS[role]
    lines = [
        f"# {unit.unit_name}: made by provisioning.units; regenerate rather than edit.",
        "[Unit]",
        f"Description={unit.description}",
        f"After={' '.join(unit.after)}",
        f"Wants={' '.join(unit.wants)}",
        # ten failed starts in five minutes: stop trying (doctor and the technician take over)
        "StartLimitIntervalSec=300",
        "StartLimitBurst=10",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={bin_dir}/{unit.command} {unit.arguments or f'--device {device_file}'}",
    ]
    if unit.reload:
        lines.append("ExecReload=/bin/kill -HUP $MAINPID")
    lines += [
        f"WatchdogSec={unit.watchdog_s}",
        "Restart=always",
        "RestartSec=2",
        "TimeoutStartSec=120",
        "TimeoutStopSec=20",
        f"User={unit.user or user}",
        f"Group={unit.user or user}",
        *unit.resources,
    ]
    if unit.groups:
        lines.append(f"SupplementaryGroups={' '.join(unit.groups)}")
    lines += [
        "UMask=0027",
        # (systemd gives a StateDirectory to the unit's user: the guest's own user must not take the hub's)
        *(() if unit.user else ("StateDirectory=onestop", "CacheDirectory=onestop")),
        f"ConfigurationDirectory={unit.user or 'onestop'}",
        "Environment=PYTHONUNBUFFERED=1",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "RestrictSUIDSGID=yes",
        "RestrictNamespaces=yes",
        "LockPersonality=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    ]
    if unit.graphical:
        lines += [
            # Kivy straight on KMS/DRM on tty1: no desktop, no Wayland
            "Environment=KIVY_WINDOW=sdl2 SDL_VIDEODRIVER=kmsdrm KIVY_NO_ARGS=1 KIVY_TEXT=pil",
            "Environment=KIVY_HOME=/var/lib/onestop/kivy KIVY_NO_FILELOG=1",
            "TTYPath=/dev/tty1",
            "TTYReset=yes",
            "TTYVHangup=yes",
            "StandardInput=tty",
            "StandardOutput=journal",
            "StandardError=journal",
        ]
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    if unit.graphical:
        # the unit owns tty1: no login prompt fighting it for the screen
        lines.insert(lines.index("StartLimitIntervalSec=300"), "Conflicts=getty@tty1.service")
    return "\n".join(lines)


def mosquitto_dropin_text(conf: str = MOSQUITTO_CONF, data_dir: str = MOSQUITTO_DATA) -> str:
    """Debian's mosquitto.service (already Type=notify) started on the site's generated config."""
    return f"""\
# /etc/systemd/system/{MOSQUITTO_DROPIN}: made by provisioning.units.
# The site's broker runs the generated config (TLS listener, ACL from the contract).
[Unit]
StartLimitIntervalSec=300
StartLimitBurst=10

[Service]
ExecStartPre=+/usr/bin/install -d -o mosquitto -g mosquitto -m 0750 {data_dir}
ExecStart=
ExecStart=/usr/sbin/mosquitto -c {conf}
Restart=always
RestartSec=2
"""


SETUP_DIR = "/var/lib/onestop-setup"


def packages_unit_text() -> str:
    """A one-shot unit for the Debian packages a first boot without network could not install."""
    roles = " ".join(unit.unit_name for unit in ROLE_UNITS.values())
    return f"""\
# onestop-packages.service: made by provisioning.units.  Runs once, when the first boot
# could not install the Debian packages (no network and no debs/ in the bundle).
[Unit]
Description=One-Stop-Shop: install the Debian packages this device needs
After=network-online.target
Wants=network-online.target
Before={roles} mosquitto.service
ConditionPathExists={SETUP_DIR}/packages-pending

[Service]
Type=oneshot
ExecStart=/bin/bash {SETUP_DIR}/install.sh packages
RemainAfterExit=yes
TimeoutStartSec=1800

[Install]
WantedBy=multi-user.target
"""


REPORT_SERVICE = "onestop-report.service"
REPORT_TIMER = "onestop-report.timer"
#: where the daily reports go on the hub (the supervisor's console offers them for download)
REPORTS_DIR = "/var/lib/onestop/reports"


def report_service_text(bin_dir: str = BIN_DIR, device_file: str = DEVICE_FILE, user: str = SERVICE_USER) -> str:
    """The hub's daily report (``onestop-report``): one run, at low priority beside the hub.  It only
    reads the database (read-only SQLite, one short snapshot) and writes under ``REPORTS_DIR``."""
    return f"""\
# {REPORT_SERVICE}: made by provisioning.units; regenerate rather than edit.
# Yesterday's report of the centre, started by {REPORT_TIMER}.
[Unit]
Description=One-Stop-Shop daily report (yesterday's figures, HTML, CSV, charts)
After=onestop-hub.service

[Service]
Type=oneshot
ExecStart={bin_dir}/onestop-report --device {device_file} --day yesterday --out {REPORTS_DIR}
User={user}
Group={user}
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=900
UMask=0027
StateDirectory=onestop
CacheDirectory=onestop
ConfigurationDirectory=onestop
# matplotlib's font cache (the home folder is read-only here)
Environment=MPLCONFIGDIR=/var/cache/onestop/matplotlib PYTHONUNBUFFERED=1
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateNetwork=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX
"""


def report_timer_text() -> str:
    """Every night at 00:40 (after the service day's rollover and the hub's purge, which runs within 15 s
    of a new day); ``Persistent=`` runs a night the hub was off at its next start."""
    return f"""\
# {REPORT_TIMER}: made by provisioning.units; regenerate rather than edit.
[Unit]
Description=One-Stop-Shop daily report, every night

[Timer]
OnCalendar=*-*-* 00:40:00
RandomizedDelaySec=300
Persistent=true
Unit={REPORT_SERVICE}

[Install]
WantedBy=timers.target
"""


def write_units(folder: Path | str, roles: list[str] | None = None, bin_dir: str = BIN_DIR,
                device_file: str = DEVICE_FILE, with_mosquitto: bool = True) -> list[Path]:
    """Write the role units (and the Mosquitto drop-in) into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for role in roles or list(ROLE_UNITS):
        path = folder / ROLE_UNITS[role].unit_name
        path.write_text(unit_text(role, bin_dir, device_file), encoding="utf-8")
        written.append(path)
    if with_mosquitto:
        path = folder / MOSQUITTO_DROPIN
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(mosquitto_dropin_text(), encoding="utf-8")
        written.append(path)
        # the hub's too: the daily report and its timer
        for name, text in ((REPORT_SERVICE, report_service_text(bin_dir, device_file)),
                           (REPORT_TIMER, report_timer_text())):
            (folder / name).write_text(text, encoding="utf-8")
            written.append(folder / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provisioning.units",
                                     description="Write the systemd units of every role (and udev rules).")
    parser.add_argument("--write", required=True, help="folder, e.g. systemd/")
    parser.add_argument("--bin-dir", default=BIN_DIR)
    args = parser.parse_args(argv)
    from .udev import write_static_rules

    for path in write_units(args.write, bin_dir=args.bin_dir) + [write_static_rules(Path(args.write) / "udev")]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
