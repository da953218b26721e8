"""The firmware's plain top-level names (hub, kiosk, display...) are also names of unrelated PyPI
distributions: every package imported must be this firmware's, and doctor says when one is not."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from provisioning.doctor import check_packages
from provisioning.packages import FIRMWARE_PACKAGES, foreign

REPO = Path(__file__).resolve().parent.parent


def test_the_list_is_what_the_distribution_ships():
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = [p.rstrip("*") for p in data["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert sorted(shipped) == sorted(FIRMWARE_PACKAGES)


def test_every_package_imported_here_is_the_firmwares():
    assert foreign() == {}
    assert check_packages().status == "ok"


def test_a_same_named_package_earlier_on_the_path_is_named_by_doctor(tmp_path):
    """What a Debian python3-display, or a stray ./display folder, would do on a device."""
    impostor = tmp_path / "display"
    impostor.mkdir()
    (impostor / "__init__.py").write_text("")
    probe = ("from provisioning.doctor import check_packages; f = check_packages(); "
             "print(f.status); print(f.message)")
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {probe}"],
                          capture_output=True, text=True, cwd=tmp_path)
    status, message = done.stdout.splitlines()[:2]
    assert status == "fail" and f"display from {impostor}" in message, done.stdout + done.stderr
