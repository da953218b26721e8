"""Start a device role from its bootstrap file: who am I, where is the broker.

Every role's entry point (kiosk, counter, display) begins here, so a missing
or wrong device file gives the same clear message everywhere.
"""

from __future__ import annotations

import sys

from siteconf import SiteFileError
from siteconf.device import DeviceFile, load_device_file

from .link import DeviceLink
from .paho_setup import TlsFiles

DEFAULT_DEVICE_FILE = "/etc/onestop/device.toml"


def open_link(device_file: str, role: str) -> tuple[DeviceFile, DeviceLink]:
    """Read the device file and make (not start) the device's link; exit 2 with a message on error."""
    try:
        device = load_device_file(device_file)
        password = device.broker.read_password()
    except SiteFileError as exc:
        _fail(role, str(exc))
    except (OSError, ValueError) as exc:
        _fail(role, f"{device_file}: broker: {exc}")
    link = DeviceLink(device.site_id, device.device_id, password, device.broker.host, device.broker.port,
                      role=role, timing=device.timing, keepalive_s=device.broker.keepalive_s,
                      tls=tls_files(device))
    return device, link


def tls_files(device: DeviceFile) -> TlsFiles | None:
    """The device file's TLS settings for paho (None: plain TCP with a password)."""
    broker = device.broker
    if not broker.uses_tls:
        return None
    return TlsFiles(broker.tls_ca, broker.tls_cert, broker.tls_key)


def _fail(role: str, message: str):
    print(f"onestop-{role}: cannot start.\n{message}", file=sys.stderr)
    sys.exit(2)
