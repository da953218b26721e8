"""Start a device role from its bootstrap file: who am I, where is the broker.

Every role's entry point (kiosk, counter, display) begins here, so a missing
or wrong device file gives the same clear message everywhere: the file, the
key and what to do, exit code 2, never a traceback.  The files the device file
points to (password, TLS certificate and key) are read here too, before the
MQTT client is made, so a missing certificate is reported as the key that
names it rather than as an error deep inside paho.
"""

from __future__ import annotations

import ssl
import sys

from siteconf import SiteFileError
from siteconf.device import DEVICE_FILE, DeviceFile, broker_password, load_device_file

from .link import DeviceLink
from .paho_setup import TlsFiles

DEFAULT_DEVICE_FILE = "/etc/onestop/device.toml"


def open_link(device_file: str, role: str) -> tuple[DeviceFile, DeviceLink]:
    """Read the device file and make (not start) the device's link; exit 2 with a message on error."""
    try:
        device = load_device_file(device_file)
        password = broker_password(device, device_file)
        tls = checked_tls_files(device, device_file)
        try:
            link = DeviceLink(device.site_id, device.device_id, password, host=device.broker.host,
                              port=device.broker.port, role=role, timing=device.timing,
                              keepalive_s=device.broker.keepalive_s, tls=tls)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError; checked above, so only a race
            raise SiteFileError(device_file, [f"broker: {exc}"], DEVICE_FILE.fix) from None
    except SiteFileError as exc:
        _fail(role, str(exc))
    return device, link


def tls_files(device: DeviceFile) -> TlsFiles | None:
    """The device file's TLS settings for paho (None: plain TCP with a password)."""
    broker = device.broker
    if not broker.uses_tls:
        return None
    return TlsFiles(broker.tls_ca, broker.tls_cert, broker.tls_key)


def checked_tls_files(device: DeviceFile, device_file: str) -> TlsFiles | None:
    """``tls_files(device)`` once its files load the way paho will load them (the site CA, then the
    certificate with its key); SiteFileError names the key of the file that does not."""
    tls = tls_files(device)
    if tls is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    files = [("broker.tls_ca", tls.ca), ("broker.tls_cert", tls.cert), ("broker.tls_key", tls.key)]
    problem = next((f"{key}: {path}: {why}" for key, path in files if path and (why := _unreadable(path))), None)
    if problem is None:
        try:
            context.load_verify_locations(cafile=tls.ca)
        except ssl.SSLError as exc:
            problem = f"broker.tls_ca: {tls.ca}: not a PEM certificate ({exc.reason or exc})"
    if problem is None and tls.cert:
        try:
            context.load_cert_chain(tls.cert, tls.key)
        except ssl.SSLError as exc:
            problem = (f"broker.tls_cert, broker.tls_key: {tls.cert} and {tls.key} are not a certificate and "
                       f"its key ({exc.reason or exc})")
    if problem is not None:
        raise SiteFileError(device_file, [problem], TLS_FIX)
    return tls


TLS_FIX = ("The site CA, the device's certificate and its key come with the device's bundle "
           "(`onestop-provision build`, build/devices/<id>/etc/onestop/tls/): install them again, "
           "or make a new bundle with `onestop-provision replace-device`.")


def _unreadable(path: str) -> str | None:
    """Why ``path`` cannot be read (file not found, permission denied, a folder...), or None."""
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return "file not found" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))


def _fail(role: str, message: str):
    print(f"onestop-{role}: cannot start.\n{message}", file=sys.stderr)
    sys.exit(2)
