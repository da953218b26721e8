"""The aarch64 wheelhouse a Pi installs the firmware from, without internet access.

Made on the technician's laptop (any architecture) with pip itself:
the firmware's own wheel (``pip wheel --no-deps``), then every dependency as a
binary wheel for Raspberry Pi OS Bookworm (aarch64, CPython 3.11, glibc 2.36)::

    pip download --only-binary=:all: --python-version 3.11 --implementation cp
        --platform manylinux2014_aarch64 --platform manylinux_2_17_aarch64 ...

Downloads go to a cache folder beside the wheelhouse (``wheel-cache``): pip
skips what it already has, so a second run fetches only what changed.  The
wheelhouse itself gets exactly the wheels pip chose this time (one version of
each project), and ``install.sh`` installs all of them with ``--no-deps``.

One wheelhouse per role (``build/wheelhouse/<role>/``), from the role's extra in
pyproject.toml (``hub``, ``kiosk``, ``display``, ``counter``) beside the dependencies every role
shares: the hub carries no Kivy and the counter no matplotlib.  In the rehearsal's first boots
(docs/performance.md) the one wheelhouse for every role had grown to 399 MB of venv on each device
once the reports and the phone page came; pip's install under emulation is most of a first boot.

A dependency with no binary wheel on PyPI (python-evdev publishes only
sources) cannot be built for aarch64 here; it comes from Debian instead
(``FROM_DEBIAN``: installed by install.sh's packages step, seen by the
firmware's virtual environment through ``--system-site-packages``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from .workspace import ProvisioningError

PYTHON_VERSION = "3.11"
#: Bookworm's glibc is 2.36: every manylinux tag up to it runs there
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64",
             "manylinux_2_34_aarch64", "manylinux_2_36_aarch64", "linux_aarch64")
#: installed first on the Pi, from the wheelhouse (python3 -m venv --without-pip)
BOOTSTRAP = ("pip",)
#: requirements PyPI has no aarch64 wheel for -> the Debian package that provides them on the Pi
FROM_DEBIAN = {"evdev": "python3-evdev"}
SAVED_RE = re.compile(r"^(?:Saved|File was already downloaded) (.+\.whl)$")


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return match.group(0).lower().replace("_", "-") if match else requirement


def project_dir() -> Path:
    return Path(__file__).resolve().parent.parent


#: the roles a Pi can have, each an extra of pyproject.toml
ROLES = ("hub", "kiosk", "display", "counter")
#: what each role runs (its units' programs, and the technician's tool on every device): each imports
#: with its role's wheels alone (tests/test_role_requirements.py here, the rehearsal on aarch64)
ROLE_MODULES = {
    "hub": ("hub.main", "guest.main", "guest.server", "report.main", "report.charts", "console.main",
            "console.server", "console.accounts", "provisioning.cli", "provisioning.doctor"),
    "kiosk": ("kiosk.main", "kiosk.launch", "kiosk.app", "hardware.printer", "hardware.scanner", "typeset.pillow",
              "provisioning.cli", "provisioning.doctor"),
    "display": ("display.main", "display.app", "typeset.pillow", "provisioning.cli", "provisioning.doctor"),
    "counter": ("counter.main", "counter.device", "hardware.printer", "hardware.counter_display",
                "provisioning.cli", "provisioning.doctor"),
}


def _project(root: Path | None = None) -> dict:
    pyproject = (root or project_dir()) / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ProvisioningError(f"{pyproject}: cannot read the firmware's dependencies: {exc}") from None


def project_dependencies(root: Path | None = None, extra: str | None = "all") -> list[str]:
    """The firmware's requirements, as pyproject.toml states them: those of every role plus the
    ``extra``'s (a role, ``all``, or None for the shared ones only), the extras' references to the
    firmware itself (``onestop-firmware[text]``) expanded, each requirement once."""
    from packaging.requirements import Requirement
    project = _project(root)
    extras = project.get("optional-dependencies", {})
    own = project["name"].lower().replace("_", "-")
    found: list[str] = []
    seen_extras: set[str] = set()

    def add(requirements: list[str]) -> None:
        for text in requirements:
            requirement = Requirement(text)
            if requirement.name.lower().replace("_", "-") == own:
                for name in sorted(requirement.extras):
                    add_extra(name)
            elif text not in found:
                found.append(text)

    def add_extra(name: str) -> None:
        if name in seen_extras:
            return
        if name not in extras:
            raise ProvisioningError(f"pyproject.toml: no extra {name!r} (the roles: {', '.join(ROLES)})")
        seen_extras.add(name)
        add(list(extras[name]))

    add(list(project.get("dependencies", [])))
    if extra is not None:
        add_extra(extra)
    return found


def download_command(out: Path, requirements: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--progress-bar", "off",
               "--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
               "--dest", str(out), "--find-links", str(out)]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    return command + list(requirements)


def build_project_wheel(out: Path, root: Path | None = None) -> Path:
    root = root or project_dir()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("onestop_firmware-*.whl"):
        old.unlink()
    _run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--quiet", "--no-deps",
          "--wheel-dir", str(out), str(root)], "build the firmware's wheel")
    wheels = sorted(out.glob("onestop_firmware-*.whl"))
    if not wheels:
        raise ProvisioningError(f"{out}: pip made no onestop_firmware wheel")
    return wheels[-1]


def download_wheels(cache: Path, requirements: list[str]) -> list[Path]:
    """Download (or find in ``cache``) the aarch64 wheels; returns the ones pip chose.

    A pure-Python dependency published only as sources (docopt) is built into a
    ``py3-none-any`` wheel here, once, and found in the cache by the next try."""
    cache.mkdir(parents=True, exist_ok=True)
    built: set[str] = set()
    while True:
        result = subprocess.run(download_command(cache, requirements), capture_output=True, text=True)
        if result.returncode == 0:
            break
        missing = set(_no_wheel_for(result.stdout + result.stderr)) - built
        if not missing:
            _fail("download the aarch64 wheels (is PyPI reachable?)", result)
        for name in sorted(missing):
            build_pure_wheel(name, cache)
            built.add(name)
    output = result.stdout
    chosen = []
    for line in output.splitlines():
        match = SAVED_RE.match(line.strip())
        if match:
            path = Path(match.group(1))
            chosen.append(path if path.is_absolute() else cache / path.name)
    return chosen


#: the Pi's environment for the requirements' markers (``lgpio; platform_machine == 'aarch64'``)
PI_MARKERS = {"platform_machine": "aarch64", "sys_platform": "linux", "platform_system": "Linux",
              "os_name": "posix", "python_version": PYTHON_VERSION, "python_full_version": f"{PYTHON_VERSION}.2",
              "implementation_name": "cpython", "platform_python_implementation": "CPython"}


def for_the_pi(requirements: list[str]) -> list[str]:
    """The requirements that apply on the Pi, without their markers.  pip evaluates markers for the
    machine it runs on, also with ``--platform``: on a laptop ``lgpio; platform_machine == 'aarch64'``
    was silently left out, and gpiozero on the Pi had no GPIO driver (found by the rehearsal)."""
    from packaging.requirements import Requirement
    kept = []
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(PI_MARKERS):
            requirement.marker = None
            kept.append(str(requirement))
    return kept


def build_wheelhouse(out: Path, requirements: list[str] | None = None, cache: Path | None = None,
                     step=lambda _label: None, roles: tuple[str, ...] = ROLES) -> list[Path]:
    """Everything a Pi needs to install the firmware offline, exactly one version of each; returns
    the wheels.  By default one folder per role (``out/<role>/``, the firmware's wheel, pip and the
    role's dependencies); with ``requirements`` (tests, ``--only``) one flat folder of those."""
    cache = cache or out.parent / "wheel-cache"
    if requirements is not None:
        step("dependencies (aarch64)")
        chosen = download_wheels(cache, list(BOOTSTRAP) + _wanted(requirements))
        step("firmware wheel")
        if out.exists():
            shutil.rmtree(out)
        own = build_project_wheel(out)
        for wheel in chosen:
            _link_or_copy(wheel, out / wheel.name)
        return sorted([own] + [out / w.name for w in chosen])
    per_role = {}
    for role in roles:
        step(f"{role}: dependencies (aarch64)")
        per_role[role] = download_wheels(cache, list(BOOTSTRAP) + _wanted(project_dependencies(extra=role)))
    step("firmware wheel")
    if out.exists():
        shutil.rmtree(out)
    own = build_project_wheel(out / "firmware")
    made = []
    for role, chosen in per_role.items():
        (out / role).mkdir()
        for wheel in [own, *chosen]:
            _link_or_copy(wheel, out / role / wheel.name)
            made.append(out / role / wheel.name)
    shutil.rmtree(out / "firmware")
    return sorted(made)


def role_wheels(wheelhouse: Path, role: str) -> list[Path]:
    """The wheels a device of ``role`` installs: its role's folder of the wheelhouse, or a flat
    wheelhouse's every wheel (``--only``)."""
    folder = wheelhouse / role if (wheelhouse / role).is_dir() else wheelhouse
    return sorted(folder.glob("*.whl")) if folder.is_dir() else []


def _wanted(requirements: list[str]) -> list[str]:
    return [r for r in for_the_pi(requirements) if requirement_name(r) not in FROM_DEBIAN]


def _no_wheel_for(output: str) -> list[str]:
    """Projects pip found no matching wheel for ("no matching distributions ... environment:" list,
    or "No matching distribution found for X")."""
    names = re.findall(r"No matching distribution found for ([A-Za-z0-9._-]+)", output)
    block = re.search(r"no matching distributions available for your environment:\n((?:[ \t]+[A-Za-z0-9._-]+[ \t]*\n)+)",
                      output)
    if block:
        names += block.group(1).split()
    return [requirement_name(n) for n in names]


def build_pure_wheel(name: str, cache: Path) -> Path:
    """Build ``name`` from its sources here; only a pure-Python (``none-any``) wheel runs on the Pi."""
    before = set(cache.glob("*.whl"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps",
                             "--wheel-dir", str(cache), name], capture_output=True, text=True)
    if result.returncode != 0:
        _fail(f"build a wheel of {name} (it has no aarch64 wheel on PyPI)", result)
    made = sorted(set(cache.glob("*.whl")) - before) or sorted(cache.glob(f"{name.replace('-', '_')}-*.whl"))
    for wheel in made:
        if not wheel.name.endswith("-none-any.whl"):
            wheel.unlink()
            raise ProvisioningError(f"{name} has no aarch64 wheel on PyPI and is not pure Python: add it to "
                                    "provisioning.wheelhouse.FROM_DEBIAN with the Debian package that provides it")
    if not made:
        raise ProvisioningError(f"pip built no wheel for {name}")
    return made[-1]


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _run(command: list[str], what: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        _fail(what, result)
    return result.stdout


def _fail(what: str, result: subprocess.CompletedProcess):
    lines = [line for line in (result.stderr or result.stdout).strip().splitlines()
             if not line.startswith("WARNING: Location")]
    raise ProvisioningError(f"cannot {what}:\n" + "\n".join(lines[-8:]))
