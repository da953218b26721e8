"""Certificates for the broker tests, made once per test run (EC keys are fast, but not free).

``make_test_pki(folder)`` gives the small test site's CA with a server
certificate for the loopback address, a certificate per device and one for
its doctor (``doctor.<id>``, as ``onestop-provision build`` makes them), a
retired device whose certificates are revoked, and a second CA (another site)
with a certificate for ``kiosk-1``, which the site's broker must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from broker_config.pki import SiteCA
from contract.acl import doctor_id
from mqttlink.paho_setup import TlsFiles
from sites import SITE_ID, small_site

RETIRED = "kiosk-old"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]


@dataclass
class PkiSet:
    ca: SiteCA
    other_ca: SiteCA

    def client(self, device_id: str) -> TlsFiles:
        cert, key = self.ca.device_paths(device_id)
        return TlsFiles(str(self.ca.ca_path), str(cert), str(key))

    def foreign_client(self, device_id: str = "kiosk-1") -> TlsFiles:
        """A certificate for ``device_id`` from another CA (the client still trusts our server)."""
        cert, key = self.other_ca.device_paths(device_id)
        return TlsFiles(str(self.ca.ca_path), str(cert), str(key))

    def retired_client(self) -> TlsFiles:
        return TlsFiles(str(self.ca.ca_path), str(self.ca.folder / "retired.crt"),
                         str(self.ca.folder / "retired.key"))


def make_test_pki(folder: Path) -> PkiSet:
    site = small_site()
    ca = SiteCA.open(folder / "site", SITE_ID)
    ca.ensure_server(LOOPBACK_HOSTS)
    for device in site.devices:
        ca.ensure_device(device.id)
        ca.ensure_device(doctor_id(device.id))
    # a device that was part of the site, then retired: keep a copy of its files, then revoke
    cert, key = ca.ensure_device(RETIRED)
    ca.ensure_device(doctor_id(RETIRED))
    (ca.folder / "retired.crt").write_bytes(cert.read_bytes())
    (ca.folder / "retired.key").write_bytes(key.read_bytes())
    current = {d.id for d in site.devices} | {doctor_id(d.id) for d in site.devices}
    assert ca.revoke_devices_not_in(current) == sorted([RETIRED, doctor_id(RETIRED)])
    other = SiteCA.open(folder / "other", "another-site")
    other.ensure_device("kiosk-1")
    return PkiSet(ca, other)
