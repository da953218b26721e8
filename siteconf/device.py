"""The device bootstrap file (``/etc/onestop/device.toml``).

It holds only what a device needs before it can talk to the hub: who it is,
where the broker is, its credentials and its timing.  Everything else (its
zone, counter, printer, pins, audio...) is its slice of the site file, which
the hub publishes retained on ``config/device/<id>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract.topics import REQUEST_EXPIRY_S

from .load import FileKind, SiteFileError, read_toml, validated
from .schema import DevicePath, Host, Ident

#: a device file is a dozen lines (about 1 KB)
DEVICE_FILE = FileKind("device file", 64 * 1024,
                       "The device file comes with the device's bundle (`onestop-provision build`, "
                       "build/devices/<id>/etc/onestop/): fix it, or install the bundle again.")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class BrokerLink(_Model):
    host: Host = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    password: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    password_file: DevicePath | None = None
    #: CA certificate for a TLS listener; plain TCP when None
    tls_ca: DevicePath | None = None
    tls_cert: DevicePath | None = None
    tls_key: DevicePath | None = None
    keepalive_s: int = Field(default=10, ge=2, le=600)

    def read_password(self) -> str | None:
        """The broker password; None when the device proves who it is with its TLS client certificate."""
        if self.password is not None:
            return self.password
        if self.password_file:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        if self.tls_cert:
            return None
        raise ValueError("the device file gives neither broker.password, broker.password_file nor broker.tls_cert")

    @property
    def uses_tls(self) -> bool:
        return self.tls_ca is not None

    @model_validator(mode="after")
    def _tls_pairs(self) -> "BrokerLink":
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.tls_cert is not None and self.tls_ca is None:
            raise ValueError("a client certificate needs tls_ca (the site CA) too")
        return self


class Timing(_Model):
    """Every duration a device uses, so tests can run them in milliseconds."""

    request_timeout_s: float = Field(default=2.0, gt=0, le=300)
    #: how long a request stays valid (MQTT message expiry and the hub's deadline check)
    request_expiry_s: float = Field(default=REQUEST_EXPIRY_S, gt=0, le=3600)
    reconnect_min_s: float = Field(default=0.5, gt=0, le=300)
    reconnect_max_s: float = Field(default=10.0, gt=0, le=3600)


class DeviceFile(_Model):
    device_id: Ident
    site_id: Ident
    broker: BrokerLink = BrokerLink()
    timing: Timing = Timing()
    state_dir: DevicePath = "/var/lib/onestop"
    #: hub only: the site file and the queue database
    site_file: DevicePath | None = None
    database: DevicePath | None = None


def load_device_file(path: Path | str) -> DeviceFile:
    """The device file; SiteFileError names the file, the key and the problem."""
    return validated(DeviceFile, read_toml(path, DEVICE_FILE), path, DEVICE_FILE)


def broker_password(device: DeviceFile, path: Path | str) -> str | None:
    """``device.broker.read_password()``, with a missing or unreadable password file as a SiteFileError
    that names the key (a role's start-up, not a traceback)."""
    try:
        password = device.broker.read_password()
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteFileError(path, [f"broker.password_file: {device.broker.password_file}: "
                                   f"{getattr(exc, 'strerror', None) or 'not UTF-8 text'}"], DEVICE_FILE.fix) from None
    except ValueError as exc:
        raise SiteFileError(path, [f"broker: {exc}"], DEVICE_FILE.fix) from None
    if password is not None and not password:
        raise SiteFileError(path, [f"broker.password_file: {device.broker.password_file} is empty"], DEVICE_FILE.fix)
    return password
