"""The arm64 Debian packages a role needs, fetched on the technician's laptop for an offline first boot.

``install.sh`` installs a role's packages (``bundle.ROLE_PACKAGES``: Mosquitto and chrony on the
hub, GL and fonts on the screens...) from the bundle's ``debs/`` folder when it has one, else from
the network; a Pi in a centre without internet then waits for ``onestop-packages.service``.
``fetch_debs`` fills that folder with the packages and every dependency the Pi does not already
have, using the laptop's own apt with a private configuration (any architecture, no root)::

    apt-get -o APT::Architecture=arm64 -o Dir::State::status=<the Pi's dpkg status> \\
            install --download-only --no-install-recommends <packages>

The Pi's dpkg status says what is installed already: the rehearsal's base tree has one
(``provisioning.rehearsal``); without it every dependency down to libc is fetched, which costs
space, not correctness (installing a package at the version already there does nothing).
Downloads are kept in a cache folder, so a second run fetches only what changed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .workspace import ProvisioningError

MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://deb.debian.org/debian-security"
SUITE = "bookworm"
ARCH = "arm64"


def sources_text(mirror: str = MIRROR, security: str = SECURITY, suite: str = SUITE) -> str:
    return f"deb {mirror} {suite} main\ndeb {mirror} {suite}-updates main\ndeb {security} {suite}-security main\n"


def apt_options(cache: Path, status: Path | None) -> list[str]:
    """apt-get options for a private arm64 view of Debian: its own lists, archives and status."""
    cache = cache.resolve()
    status_file = status if status is not None else cache / "empty-status"
    if status is None:
        status_file.touch()
    settings = {
        "Dir::Etc::SourceList": str(cache / "sources.list"), "Dir::Etc::SourceParts": "/dev/null",
        "Dir::Etc::Preferences": "/dev/null", "Dir::Etc::PreferencesParts": "/dev/null",
        "Dir::State": str(cache / "state"), "Dir::Cache": str(cache / "cache"),
        "Dir::State::status": str(status_file), "APT::Architecture": ARCH, "APT::Architectures::": ARCH,
        "Debug::NoLocking": "1", "APT::Get::AllowUnauthenticated": "false",
    }
    return [arg for key, value in settings.items() for arg in ("-o", f"{key}={value}")]


def fetch_debs(packages: list[str], out: Path, cache: Path, status: Path | None = None,
               mirror: str = MIRROR, run=subprocess.run) -> list[Path]:
    """Download ``packages`` for arm64 with what ``status`` (a dpkg status file) lacks into ``out``;
    returns the .deb files.  Raises ProvisioningError with apt's own words when it cannot."""
    if shutil.which("apt-get") is None:
        raise ProvisioningError("apt-get is not here: fetch the packages on a Debian or Ubuntu machine")
    cache.mkdir(parents=True, exist_ok=True)
    for folder in ("state/lists/partial", "cache/archives/partial"):
        (cache / folder).mkdir(parents=True, exist_ok=True)
    (cache / "sources.list").write_text(sources_text(mirror), encoding="utf-8")
    options = apt_options(cache, status)
    env = {"LC_ALL": "C.UTF-8", "PATH": "/usr/sbin:/usr/bin:/bin"}
    plan = None
    for args in (["update", "-qq"], ["install", "--download-only", "--no-install-recommends", "-y", "-qq", *packages],
                 ["install", "--simulate", "--no-install-recommends", "-y", *packages]):
        done = run(["apt-get", *options, *args], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise ProvisioningError(f"apt-get {args[0]} for arm64 failed:\n{(done.stderr or done.stdout)[-1500:]}")
        plan = done.stdout
    archives = cache.resolve() / "cache" / "archives"
    chosen = [archives / deb_name(name, version, arch) for name, version, arch in planned(plan)]
    missing = [p.name for p in chosen if not p.exists()]
    if missing:
        raise ProvisioningError(f"apt chose packages it did not download: {', '.join(missing[:5])}")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.deb"):
        old.unlink()
    for deb in chosen:
        shutil.copy2(deb, out / deb.name)
    return [out / deb.name for deb in chosen]


def planned(simulation: str) -> list[tuple[str, str, str]]:
    """(package, version, architecture) of every ``Inst`` line of ``apt-get --simulate install``."""
    found = []
    for line in simulation.splitlines():
        # Inst libfoo1 (1.2-3 Debian:12.8/stable [arm64])
        match = re.match(r"^Inst (\S+) (?:\[[^]]*\] )?\((\S+) .*\[(\S+)\]\)", line)
        if match:
            name, version, arch = match.groups()
            found.append((name.split(":")[0], version, arch))
    return found


def deb_name(name: str, version: str, arch: str) -> str:
    """The file name apt gives a downloaded package (an epoch's colon is written %3a)."""
    return f"{name}_{version.replace(':', '%3a')}_{arch}.deb"
