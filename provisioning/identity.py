"""The broker identities of ``fleet`` and ``doctor``: a small file beside the device file.

``fleet`` (on the hub) and ``doctor`` (on any device) used to log in with the
device's own credentials.  The broker binds the client id to the identity
(``use_username_as_clientid``), so a second login as the device would take its
connection over: the hub would be thrown off by ``fleet``, a kiosk by its own
``doctor``.  Each tool therefore has an identity of its own, read only
(``contract.acl``: ``monitor.fleet``, ``doctor.<device>``), made by
``onestop-provision build`` and installed beside the device file::

    /etc/onestop/fleet.toml     on the hub:      identity = "monitor.fleet", password = "..."
    /etc/onestop/guest.toml     on the hub and the guest page server's machine: identity =
                                "guestpage.web", password = "..." (the hub derives the guest
                                feed's id key from it: contract.guest)
    /etc/onestop/doctor.toml    on every device: identity = "doctor.<id>", and a password (the hub,
                                a site without TLS) or tls_cert + tls_key (the device's doctor
                                certificate, in /etc/onestop/tls/)

Where the broker is (host, port, the site CA) still comes from the device file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from contract.acl import FLEET_ID, doctor_id, tool_of
from mqttlink.paho_setup import TlsFiles
from siteconf.device import DeviceFile

from .workspace import ProvisioningError

FLEET_FILE = "fleet.toml"
GUEST_FILE = "guest.toml"
DOCTOR_FILE = "doctor.toml"
REBUILD = ("make the bundle again (`onestop-provision build`) and install "
           "build/devices/<id>/etc/onestop/ on this machine")


@dataclass(frozen=True)
class ToolLogin:
    """Who a tool is on the broker, and how it proves it."""

    identity: str
    password: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    def tls(self, device: DeviceFile) -> TlsFiles | None:
        """TLS settings for paho: the device file's CA, the tool's own certificate (if any)."""
        if not device.broker.uses_tls:
            return None
        return TlsFiles(device.broker.tls_ca, self.tls_cert, self.tls_key)


def tool_file_data(identity: str, password: str | None = None, tls_cert: str | None = None,
                   tls_key: str | None = None) -> dict:
    """The content of a tool's file (give a password, or a certificate and its key)."""
    data: dict = {"identity": identity}
    if tls_cert is not None:
        data |= {"tls_cert": tls_cert, "tls_key": tls_key}
    else:
        data["password"] = password
    return data


def tool_file_path(device_file: str | Path, name: str) -> Path:
    return Path(device_file).parent / name


def load_tool_login(path: str | Path, expected: str) -> ToolLogin:
    """Read a tool's file; ``expected`` is the identity it must hold (``monitor.fleet``, ``doctor.<id>``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvisioningError(f"{path}: not found: this machine has no broker identity for {expected}; "
                                + REBUILD) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProvisioningError(f"{path}: cannot read it ({exc}); {REBUILD}") from None
    identity = data.get("identity")
    if identity != expected or tool_of(identity) is None:
        raise ProvisioningError(f"{path}: identity: {identity!r} is not {expected!r}; {REBUILD}")
    login = ToolLogin(identity, data.get("password"), data.get("tls_cert"), data.get("tls_key"))
    fields = (login.password, login.tls_cert, login.tls_key)
    if not all(isinstance(v, str) and v for v in fields if v is not None) or \
            (login.password is None) == (login.tls_cert is None) or (login.tls_cert is None) != (login.tls_key is None):
        raise ProvisioningError(f"{path}: give either a password or tls_cert and tls_key (non-empty strings); "
                                + REBUILD)
    return login


def fleet_login(device_file: str | Path) -> ToolLogin:
    return load_tool_login(tool_file_path(device_file, FLEET_FILE), FLEET_ID)


def doctor_login(device_file: str | Path, device_id: str) -> ToolLogin:
    return load_tool_login(tool_file_path(device_file, DOCTOR_FILE), doctor_id(device_id))
