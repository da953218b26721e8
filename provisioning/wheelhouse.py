"""The aarch64 wheelhouse a Pi installs the firmware from, without internet access.

Made on the technician's laptop (any architecture) with pip itself:
the firmware's own wheel (``pip wheel --no-deps``), then every dependency as a
binary wheel for Raspberry Pi OS Bookworm (aarch64, CPython 3.11, glibc 2.36)::

    pip download --only-binary=:all: --python-version 3.11 --implementation cp
        --platform manylinux2014_aarch64 --platform manylinux_2_17_aarch64 ...

pip keeps what it already downloaded in the folder, so the folder is the
cache: a second run only fetches what changed (``build/wheelhouse`` by default).
"""

from __future__ import annotations

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


def project_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def project_dependencies(root: Path | None = None) -> list[str]:
    """The firmware's requirements, as pyproject.toml states them."""
    pyproject = (root or project_dir()) / "pyproject.toml"
    try:
        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ProvisioningError(f"{pyproject}: cannot read the firmware's dependencies: {exc}") from None


def download_command(out: Path, requirements: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
               "--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
               "--dest", str(out)]
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


def download_wheels(out: Path, requirements: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _run(download_command(out, requirements), "download the aarch64 wheels (is PyPI reachable?)")


def build_wheelhouse(out: Path, requirements: list[str] | None = None, step=lambda _label: None) -> list[Path]:
    """Everything a Pi needs to install the firmware offline; returns the wheels."""
    step("firmware wheel")
    build_project_wheel(out)
    step("dependencies (aarch64)")
    download_wheels(out, list(BOOTSTRAP) + (project_dependencies() if requirements is None else requirements))
    return sorted(out.glob("*.whl"))


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise ProvisioningError(f"cannot {what}:\n{tail}")
