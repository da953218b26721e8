"""``guest.toml``: the page server's login, its site and where the broker is.

The page server reads nothing else of the machine it runs on: on the hub, the hub's device file
holds the hub's own broker password, which the page server's user must not read.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from contract.acl import GUESTPAGE_ID

#: the page server's own copy (its user reads nothing of /etc/onestop; install.sh)
DEFAULT_CONFIG = "/etc/onestop-guest/guest.toml"


def config_data(site_id: str, password: str, host: str, port: int) -> dict:
    """``guest.toml``: the page server's login (``provisioning.identity``) and where the broker is; the
    page server reads nothing else of the machine (on the hub, the hub's device file holds its password)."""
    return {"identity": GUESTPAGE_ID, "password": password, "site_id": site_id, "broker": {"host": host, "port": port}}


def load_config(path: str) -> tuple[str, str, str, int]:
    """(site id, password, broker host, broker port) from ``guest.toml``; ProvisioningError names what is wrong."""
    from provisioning.identity import load_tool_login
    from provisioning.workspace import ProvisioningError
    login = load_tool_login(path, GUESTPAGE_ID)
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    broker = data.get("broker")
    site_id = data.get("site_id")
    if login.password is None or not isinstance(site_id, str) or not isinstance(broker, dict) \
            or not isinstance(broker.get("host"), str) or not isinstance(broker.get("port"), int):
        raise ProvisioningError(f"{path}: needs password, site_id and [broker] host and port; make the bundle "
                                "again (onestop-provision build)")
    return site_id, login.password, broker["host"], broker["port"]


def hub_secret(device_file: str | Path) -> str:
    """What the hub derives the guest ids' key from (``contract.guest.guest_key``): the password in the
    ``guest.toml`` beside its device file.  Plain ``tomllib``: the hub imports nothing of provisioning
    for it (that cost it 0.27 s and the cryptography package at every start).  ValueError or OSError
    name what is wrong; the hub then runs without the feed."""
    path = Path(device_file).parent / "guest.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    password = data.get("password")
    if data.get("identity") != GUESTPAGE_ID or not isinstance(password, str) or not password:
        raise ValueError(f"{path}: needs identity = {GUESTPAGE_ID!r} and its password; make the bundle again")
    return password
