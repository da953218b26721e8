"""Rehearse a centre's first boots on this machine: arm64 Debian Bookworm trees under qemu, offline.

Nothing of the first boot can be tried on the day without a Pi; this builds a Pi-like root file
system here (Debian arm64 stands in for Raspberry Pi OS Lite, whose archive is not public in the
same way: ``docs/technician.md`` lists what differs) and runs each device's real first-boot path
in it, then the roles themselves, on a small private network::

    sudo onestop-provision rehearse ~/centres/porto/site.toml          # the hub, a kiosk, a counter, a display

1. **The base tree** (``base_tree``): ``debootstrap --arch=arm64 --variant=minbase`` with what
   Raspberry Pi OS Lite has that the firmware relies on (``PI_LITE_PACKAGES``), cached under
   ``/var/cache/onestop-pi/base-<key>`` (the key is a digest of the recipe), built in a temporary
   folder and renamed when complete, so an interrupted build is never reused.
2. **Per device, an overlay** of the base (``RoleTree``: overlayfs, plus /proc, /sys, /dev), a
   boot partition as the Pi sees it (``cmdline.txt``, ``config.txt``), filled by the same code as
   ``onestop-provision sd-card`` with the role's ``.deb`` files (``provisioning.debs``) and the
   aarch64 wheelhouse.
3. **The first boot, offline**: the bundle's ``firstrun.sh`` (or the commands of its cloud-init
   ``user-data``) run in the tree with no network at all (``unshare --net``), as root, as the Pi
   runs them; ``install.sh`` installs the packages from ``debs/`` and the firmware from the
   wheelhouse.
4. **The roles, started as their units say** (``start_unit``): systemd cannot be PID 1 of an
   emulated tree here (this machine's PID 1 is not systemd and qemu-user does not emulate what
   systemd needs), so each unit's ``ExecStart`` runs with its ``User``, ``Environment`` and state
   folders, in a network namespace with one veth link to a bridge on this machine, where the
   hub's host name resolves to the hub's tree.  Mosquitto and chrony run from their Debian units
   (chrony with ``-x``: it serves time but may not set this machine's clock).

Every mount and namespace is undone when the rehearsal ends, also after a failure.  Needs root,
``qemu-user-static`` with binfmt_misc (``update-binfmts --enable qemu-aarch64``), ``debootstrap``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .workspace import ProvisioningError

CACHE = Path(os.environ.get("ONESTOP_PI_CACHE", "/var/cache/onestop-pi"))
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
#: what Raspberry Pi OS Lite (Bookworm, 64-bit) has that the firmware's first boot relies on
PI_LITE_PACKAGES = ("python3", "python3-venv", "systemd", "systemd-sysv", "systemd-timesyncd", "udev", "kmod",
                    "iproute2", "iputils-ping", "netbase", "ca-certificates", "tzdata", "sudo", "procps",
                    "dbus", "less")
#: bumped when the recipe changes in a way the package list does not show
RECIPE = "1"
#: a Pi's boot partition as Raspberry Pi OS Lite writes it (what sd-card edits)
CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes "
           "rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n")
CONFIG_TXT = "# Raspberry Pi OS default (trimmed)\ndtparam=audio=on\ncamera_auto_detect=1\ndisplay_auto_detect=1\n" \
             "auto_initramfs=1\ndtoverlay=vc4-kms-v3d\nmax_framebuffers=2\narm_64bit=1\n"
#: the private network of the rehearsal: this machine is .1 on the bridge, devices from .10
SUBNET = "10.77.0"
BRIDGE = "onestopbr0"

Step = Callable[[str], None]


def _run(cmd: list[str], *, check: bool = True, timeout: float | None = None, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and done.returncode != 0:
        raise ProvisioningError(f"{' '.join(cmd[:6])}... failed ({done.returncode}):\n"
                                f"{(done.stderr or done.stdout)[-2000:]}")
    return done


# ---------------------------------------------------------------------------
# What this machine needs
# ---------------------------------------------------------------------------


def missing_tools() -> list[str]:
    """What keeps this machine from rehearsing, as fixes for a person (empty: ready)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("run it as root (sudo): it mounts file systems and makes network namespaces")
    for tool, package in (("debootstrap", "debootstrap"), ("qemu-aarch64-static", "qemu-user-static"),
                          ("unshare", "util-linux"), ("ip", "iproute2"), ("apt-get", "apt")):
        if shutil.which(tool) is None:
            problems.append(f"no {tool}: apt-get install {package}")
    if not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        problems.append("arm64 programs cannot run here: mount -t binfmt_misc binfmt_misc "
                        "/proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-aarch64")
    return problems


def enable_arm64() -> None:
    """Make arm64 binaries runnable (binfmt_misc and qemu's handler), as far as root can."""
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        _run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)], check=False)
    if not (binfmt / "qemu-aarch64").exists() and shutil.which("update-binfmts"):
        _run(["update-binfmts", "--enable", "qemu-aarch64"], check=False)


# ---------------------------------------------------------------------------
# The base tree
# ---------------------------------------------------------------------------


def base_key(packages: tuple[str, ...] = PI_LITE_PACKAGES) -> str:
    return hashlib.sha256(f"{SUITE} arm64 minbase {RECIPE} {' '.join(sorted(packages))}".encode()).hexdigest()[:12]


def base_tree(cache: Path = CACHE, mirror: str = MIRROR, step: Step = lambda _s: None) -> Path:
    """The cached arm64 base tree, built when missing (about 3.5 minutes here)."""
    final = cache / f"base-{base_key()}"
    if (final / ".onestop-complete").exists():
        step(f"base tree {final} (cached)")
        return final
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"building-{final.name}-", dir=cache))
    step(f"building the arm64 base tree (debootstrap, a few minutes) into {building}")
    try:
        _run(["debootstrap", "--arch=arm64", "--variant=minbase", f"--include={','.join(PI_LITE_PACKAGES)}",
              SUITE, str(building), mirror], timeout=1800)
        # a chroot has no running systemd: packages must not try to start services while the first
        # boot installs them (on the Pi, install.sh runs under systemd and they would start)
        policy = building / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
        policy.chmod(0o755)
        (building / ".onestop-complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
        if final.exists():
            shutil.rmtree(final)
        building.rename(final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return final


# ---------------------------------------------------------------------------
# One device's tree
# ---------------------------------------------------------------------------


@dataclass
class RoleTree:
    """An overlay of the base tree for one device, with /proc, /sys and /dev; ``close()`` undoes it."""

    device_id: str
    base: Path
    workdir: Path
    mounts: list[Path] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.workdir / "root"

    @property
    def upper(self) -> Path:
        return self.workdir / "upper"

    def open(self) -> "RoleTree":
        for name in ("upper", "work", "root"):
            (self.workdir / name).mkdir(parents=True, exist_ok=True)
        self._mount(["-t", "overlay", "overlay", "-o", f"lowerdir={self.base},upperdir={self.upper},"
                     f"workdir={self.workdir / 'work'}"], self.root)
        for source, target, kind in (("/proc", "proc", "proc"), ("/sys", "sys", "bind"), ("/dev", "dev", "bind"),
                                     ("/dev/pts", "dev/pts", "bind")):
            mountpoint = self.root / target
            mountpoint.mkdir(parents=True, exist_ok=True)
            if kind == "proc":
                self._mount(["-t", "proc", "proc"], mountpoint)
            else:
                self._mount(["--bind", source], mountpoint)
        (self.root / "boot/firmware").mkdir(parents=True, exist_ok=True)
        return self

    def _mount(self, args: list[str], target: Path) -> None:
        _run(["mount", *args, str(target)])
        self.mounts.append(target)

    def close(self) -> None:
        for target in reversed(self.mounts):
            done = _run(["umount", str(target)], check=False)
            if done.returncode != 0:
                _run(["umount", "-l", str(target)], check=False)
        self.mounts.clear()

    def __enter__(self) -> "RoleTree":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def chroot(self, command: list[str], *, env: dict[str, str] | None = None, user: str | None = None,
               netns: str | None = None, offline: bool = False) -> list[str]:
        """The command line that runs ``command`` inside this tree (clean environment)."""
        base_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                    "HOME": "/root" if user is None else "/var/lib/onestop"}
        prefix: list[str] = []
        if netns:
            prefix = ["ip", "netns", "exec", netns]
        elif offline:
            prefix = ["unshare", "--net"]
        userspec = ["--userspec", f"{user}:{user}"] if user else []
        envs = [f"{k}={v}" for k, v in {**base_env, **(env or {})}.items()]
        return [*prefix, "chroot", *userspec, str(self.root), "/usr/bin/env", "-i", *envs, *command]


def prepare_boot_partition(tree: RoleTree) -> Path:
    """The boot partition as Raspberry Pi OS Lite leaves it (sd-card then adds the bundle)."""
    boot = tree.root / "boot/firmware"
    (boot / "cmdline.txt").write_text(CMDLINE, encoding="utf-8")
    (boot / "config.txt").write_text(CONFIG_TXT, encoding="utf-8")
    return boot


def first_boot(tree: RoleTree, launcher: str, timeout: float = 900) -> str:
    """Run the first-boot path the Pi would, with no network; returns its log."""
    boot = "/boot/firmware"
    if launcher == "firstrun":
        done = _run(tree.chroot(["/bin/bash", f"{boot}/firstrun.sh"], offline=True), timeout=timeout, check=False)
        log_file = tree.root / "boot/firmware/onestop-install.log"
        log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else done.stdout
        if "exit code 0" not in log:
            raise ProvisioningError(f"{tree.device_id}: firstrun.sh failed:\n{log[-3000:]}\n{done.stderr[-1000:]}")
        return log
    if launcher == "cloud-init":
        import yaml
        data = yaml.safe_load((tree.root / "boot/firmware/user-data").read_text(encoding="utf-8"))
        (tree.root / "etc/hostname").write_text(data["hostname"] + "\n", encoding="utf-8")
        log = []
        for command in data.get("runcmd", []):
            done = _run(tree.chroot([str(c) for c in command], offline=True), timeout=timeout, check=False)
            log.append(done.stdout + done.stderr)
            if done.returncode != 0:
                raise ProvisioningError(f"{tree.device_id}: cloud-init runcmd {command} failed:\n{log[-1][-3000:]}")
        return "\n".join(log)
    raise ValueError(launcher)


# ---------------------------------------------------------------------------
# The private network
# ---------------------------------------------------------------------------


@dataclass
class Lan:
    """A bridge on this machine and one network namespace per device, each with a veth link."""

    spaces: list[str] = field(default_factory=list)
    up: bool = False

    def open(self) -> "Lan":
        _run(["ip", "link", "del", BRIDGE], check=False)
        _run(["ip", "link", "add", BRIDGE, "type", "bridge"])
        _run(["ip", "addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE])
        _run(["ip", "link", "set", BRIDGE, "up"])
        self.up = True
        return self

    def join(self, name: str, host_number: int) -> tuple[str, str]:
        """A namespace for a device, linked to the bridge; returns (namespace, its address)."""
        space, here, there = f"onestop-{name}"[:15], f"osv{host_number}a", f"osv{host_number}b"
        _run(["ip", "netns", "del", space], check=False)
        _run(["ip", "netns", "add", space])
        self.spaces.append(space)
        _run(["ip", "link", "add", here, "type", "veth", "peer", "name", there])
        _run(["ip", "link", "set", here, "master", BRIDGE, "up"])
        _run(["ip", "link", "set", there, "netns", space])
        address = f"{SUBNET}.{host_number}"
        for cmd in (["ip", "addr", "add", f"{address}/24", "dev", there], ["ip", "link", "set", there, "up"],
                    ["ip", "link", "set", "lo", "up"], ["ip", "route", "add", "default", "via", f"{SUBNET}.1"]):
            _run(["ip", "netns", "exec", space, *cmd])
        return space, address

    def close(self) -> None:
        for space in self.spaces:
            _run(["ip", "netns", "pids", space], check=False)
            for pid in (_run(["ip", "netns", "pids", space], check=False).stdout.split()):
                _run(["kill", "-9", pid], check=False)
            _run(["ip", "netns", "del", space], check=False)
        self.spaces.clear()
        if self.up:
            _run(["ip", "link", "del", BRIDGE], check=False)
            self.up = False


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """What of a systemd unit file the rehearsal honours."""

    exec_start: list[str]
    user: str | None
    environment: dict[str, str]
    state_dirs: list[str]
    #: ExecStartPre lines, run as root before (Debian's mosquitto makes /run/mosquitto there)
    pre: tuple[tuple[str, ...], ...] = ()


def read_unit(root: Path, name: str) -> Unit:
    """A unit as systemd would assemble it in the tree at ``root``: /etc/systemd/system before
    /lib/systemd/system, then its drop-ins (``<name>.d/*.conf``); an empty ``ExecStart=`` resets."""
    import shlex
    main = next((p for p in (root / "etc/systemd/system" / name, root / "lib/systemd/system" / name)
                 if p.exists()), None)
    if main is None:
        raise ProvisioningError(f"no unit {name} in {root}")
    files = [main] + sorted((root / "etc/systemd/system" / f"{name}.d").glob("*.conf"))
    exec_start: list[str] = []
    user = None
    env: dict[str, str] = {}
    dirs: list[str] = []
    pre: list[tuple[str, ...]] = []
    bases = {"StateDirectory": "/var/lib", "CacheDirectory": "/var/cache", "RuntimeDirectory": "/run",
             "LogsDirectory": "/var/log"}
    for path in files:
        for raw in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = raw.strip().partition("=")
            if not sep or key.startswith("#"):
                continue
            if key == "ExecStartPre":
                pre.append(tuple(shlex.split(value.lstrip("-@+!"))))
            elif key == "ExecStart":
                exec_start = shlex.split(value.lstrip("-@+!")) if value else []
            elif key == "User":
                user = value
            elif key == "Environment":
                for item in shlex.split(value):
                    k, _, v = item.partition("=")
                    env[k] = v
            elif key in bases:
                dirs += [f"{bases[key]}/{folder}" for folder in value.split()]
    if not exec_start:
        raise ProvisioningError(f"{main}: no ExecStart")
    return Unit(exec_start, user, env, dirs, tuple(pre))


def cleanup_stale() -> None:
    """Undo what an interrupted rehearsal left: its mounts (under ``onestop-rehearsal/``), its
    network namespaces, links and bridge."""
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for target in sorted((m for m in mounts if "/onestop-rehearsal/" in m), key=len, reverse=True):
        _run(["umount", "-l", target], check=False)
    for line in _run(["ip", "netns", "list"], check=False).stdout.splitlines():
        space = line.split()[0] if line.strip() else ""
        if space.startswith("onestop-"):
            for pid in _run(["ip", "netns", "pids", space], check=False).stdout.split():
                _run(["kill", "-9", pid], check=False)
            _run(["ip", "netns", "del", space], check=False)
    _run(["ip", "link", "del", BRIDGE], check=False)


def start_unit(tree: RoleTree, unit: Unit, netns: str, log: Path, *, command: list[str] | None = None,
               extra_env: dict[str, str] | None = None, stdin=subprocess.DEVNULL) -> subprocess.Popen:
    """Start a unit's ExecStart (or ``command`` in its place) as systemd would: its user, its
    environment, its state folders made and owned by that user; in ``netns``."""
    for folder in unit.state_dirs:
        path = tree.root / folder.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        if unit.user:
            _run(["chroot", str(tree.root), "chown", f"{unit.user}:{unit.user}", folder])
    for step in unit.pre:
        _run(tree.chroot(list(step)), check=False)
    env = {**unit.environment, **(extra_env or {})}
    out = open(log, "ab")  # noqa: SIM115 - handed to the process, closed with it
    return subprocess.Popen(tree.chroot(command or unit.exec_start, env=env, user=unit.user, netns=netns),
                            stdout=out, stderr=subprocess.STDOUT, stdin=stdin)


def tree_figures(tree: RoleTree) -> dict:
    """What is real under emulation: size added by the first boot, packages, the firmware's size."""
    added = _run(["du", "-sxb", str(tree.upper)]).stdout.split()[0]
    venv = tree.root / "opt/onestop/venv"
    venv_size = _run(["du", "-sb", str(venv)]).stdout.split()[0] if venv.exists() else "0"
    packages = _run(tree.chroot(["dpkg-query", "-W", "-f", "${Status}\\n"])).stdout.count("install ok installed")
    return {"added_mb": round(int(added) / 1e6, 1), "venv_mb": round(int(venv_size) / 1e6, 1), "packages": packages}


def cleanup(stack: ExitStack) -> None:
    stack.close()
