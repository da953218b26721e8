"""Shared fixtures: a real Mosquitto on the project's own generated config and
the real hub, per test, on a free loopback port (see simulator.centre)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sites import small_site  # noqa: E402

from simulator.centre import LocalCentre  # noqa: E402

#: screenshots, rendered tickets and captured audio land here for people to look at
BUILD_DIR = Path(os.environ.get("ONESTOP_BUILD_DIR", Path(__file__).resolve().parent.parent / "build"))


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    """The small site's CA, device and server certificates (+ a revoked one, another CA), once per run."""
    from site_pki import make_test_pki
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def build_dir() -> Path:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    return BUILD_DIR


@pytest.fixture
def site():
    return small_site()


@pytest.fixture
def centre(tmp_path, site):
    """Broker + hub for the small test site, started; devices join with centre.link(id)."""
    c = LocalCentre(site, tmp_path).start()
    yield c
    c.close()


@pytest.fixture
def broker_only(tmp_path, site):
    """The broker alone (the test starts and stops the hub itself)."""
    c = LocalCentre(site, tmp_path).start_broker()
    yield c
    c.close()
