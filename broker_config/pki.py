"""The site's own certificate authority: broker server certificate, device client certificates, CRL.

Every site has its own CA (an EC P-256 key made once on the technician's
laptop), so a certificate from another site or any other CA is refused by
the broker's TLS listener.  A device's certificate carries its id as Common
Name; the broker uses it as the MQTT user name (``use_identity_as_username``),
so the ACL's ``%u`` rules bind the certificate to the device's own topics.

Revocation: retiring or replacing a device revokes its certificate, and the
CRL the broker loads (``crlfile``) lists every revoked serial.  Validity dates
are chosen for devices without a clock battery: certificates and the CRL
start in the past (``NOT_BEFORE``), so a Pi whose clock still shows the
image's build date at first boot accepts them, and they last for years
(an expired CRL would make OpenSSL refuse every client).

Files (the ``pki/`` folder in the site's secrets, mode 0600 for keys)::

    ca.key ca.crt                  the site CA
    server.key server.crt          the broker's TLS identity (hub host name + addresses)
    devices/<id>.key <id>.crt      one pair per device (the current one)
    index.toml                     every certificate issued: serial, device, status
    crl.pem                        the revocation list, remade after each change
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: every certificate and CRL is valid from here, so a Pi booting with an old clock accepts them
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
CA_YEARS = 30
LEAF_YEARS = 20
CRL_YEARS = 20


class PkiError(Exception):
    """A CA folder that cannot be used; ``str()`` names the file and the problem."""


@dataclass
class IssuedCert:
    serial: int
    subject: str
    kind: str  # "server" | "device"
    status: str = "valid"  # "valid" | "revoked"
    revoked_at: str | None = None

    def as_dict(self) -> dict:
        data = {"serial": f"{self.serial:x}", "subject": self.subject, "kind": self.kind, "status": self.status}
        if self.revoked_at:
            data["revoked_at"] = self.revoked_at
        return data


@dataclass
class SiteCA:
    """The CA of one site, kept in ``folder``; ``open`` makes it on first use."""

    folder: Path
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    issued: list[IssuedCert] = field(default_factory=list)

    # --- opening ---------------------------------------------------------------
    @classmethod
    def open(cls, folder: Path | str, site_id: str, create: bool = True) -> "SiteCA":
        folder = Path(folder)
        key_path, cert_path = folder / "ca.key", folder / "ca.crt"
        if not key_path.exists():
            if not create:
                raise PkiError(f"{key_path}: no site CA here (build the site first)")
            return cls._create(folder, site_id)
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise PkiError(f"{folder}: cannot read the site CA: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise PkiError(f"{key_path}: not an EC key")
        ca = cls(folder, key, cert)
        ca._load_index()
        return ca

    @classmethod
    def _create(cls, folder: Path, site_id: str) -> "SiteCA":
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "onestop"),
                          x509.NameAttribute(NameOID.COMMON_NAME, f"{site_id} site CA")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(NOT_BEFORE).not_valid_after(_years_from_now(CA_YEARS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=True, crl_sign=True, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        folder.mkdir(parents=True, exist_ok=True)
        write_secret(folder / "ca.key", _key_pem(key))
        write_public(folder / "ca.crt", cert.public_bytes(serialization.Encoding.PEM))
        ca = cls(folder, key, cert)
        ca._save_index()
        ca.write_crl()
        return ca

    # --- paths -------------------------------------------------------------------
    @property
    def ca_path(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def crl_path(self) -> Path:
        return self.folder / "crl.pem"

    @property
    def server_paths(self) -> tuple[Path, Path]:
        return self.folder / "server.crt", self.folder / "server.key"

    def named_server_paths(self, name: str) -> tuple[Path, Path]:
        """Another server of the site than the broker (``console``: the supervisor's HTTPS console)."""
        return self.folder / "servers" / f"{name}.crt", self.folder / "servers" / f"{name}.key"

    def device_paths(self, device_id: str) -> tuple[Path, Path]:
        return self.folder / "devices" / f"{device_id}.crt", self.folder / "devices" / f"{device_id}.key"

    # --- issuing -------------------------------------------------------------------
    def ensure_server(self, hosts: list[str], name: str = "server") -> tuple[Path, Path]:
        """The broker's certificate for ``hosts`` (names and addresses), or another server's by ``name``
        (its own key: the console's user never holds the broker's); remade when the list changed."""
        cert_path, key_path = self.server_paths if name == "server" else self.named_server_paths(name)
        wanted = sorted(set(hosts))
        if cert_path.exists() and key_path.exists():
            current = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if _san_hosts(current) == wanted and self.signed_by_me(current):
                return cert_path, key_path
            self._revoke_serial(current.serial_number)
        names: list[x509.GeneralName] = []
        for host in wanted:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        self._issue(wanted[0], "server", cert_path, key_path, ExtendedKeyUsageOID.SERVER_AUTH,
                    x509.SubjectAlternativeName(names))
        return cert_path, key_path

    def ensure_device(self, device_id: str) -> tuple[Path, Path]:
        """The device's current certificate, issued when it has none that is valid."""
        cert_path, key_path = self.device_paths(device_id)
        if cert_path.exists() and key_path.exists():
            current = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if self.signed_by_me(current) and not self.is_revoked(current.serial_number):
                return cert_path, key_path
        return self._issue(device_id, "device", cert_path, key_path, ExtendedKeyUsageOID.CLIENT_AUTH)

    def replace_device(self, device_id: str) -> tuple[Path, Path]:
        """Revoke the device's certificate (a lost or broken SD card) and issue a new one."""
        self.revoke_device(device_id)
        return self.ensure_device(device_id)

    def revoke_device(self, device_id: str) -> list[int]:
        """Revoke every valid certificate of the device; its files are removed.  Returns the serials."""
        serials = [c.serial for c in self.issued if c.kind == "device" and c.subject == device_id
                   and c.status == "valid"]
        for serial in serials:
            self._revoke_serial(serial, save=False)
        for path in self.device_paths(device_id):
            path.unlink(missing_ok=True)
        self._save_index()
        self.write_crl()
        return serials

    def revoke_devices_not_in(self, device_ids: set[str]) -> list[str]:
        """Retire certificates of devices that left the site file; returns their ids."""
        gone = sorted({c.subject for c in self.issued if c.kind == "device" and c.status == "valid"} - device_ids)
        for device_id in gone:
            self.revoke_device(device_id)
        return gone

    def _issue(self, subject: str, kind: str, cert_path: Path, key_path: Path, usage,
               san: x509.SubjectAlternativeName | None = None) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        serial = x509.random_serial_number()
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "onestop"),
                                            x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(self.cert.subject).public_key(key.public_key()).serial_number(serial)
                   .not_valid_before(NOT_BEFORE).not_valid_after(_years_from_now(LEAF_YEARS))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                                  critical=False))
        if san is not None:
            builder = builder.add_extension(san, critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        write_secret(key_path, _key_pem(key))
        write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        self.issued.append(IssuedCert(serial, subject, kind))
        self._save_index()
        return cert_path, key_path

    # --- revocation -----------------------------------------------------------------
    def is_revoked(self, serial: int) -> bool:
        return any(c.serial == serial and c.status == "revoked" for c in self.issued)

    def revoked_serials(self) -> list[int]:
        return [c.serial for c in self.issued if c.status == "revoked"]

    def _revoke_serial(self, serial: int, save: bool = True) -> None:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        for cert in self.issued:
            if cert.serial == serial and cert.status == "valid":
                cert.status, cert.revoked_at = "revoked", now
        if save:
            self._save_index()
            self.write_crl()

    def write_crl(self) -> Path:
        """The CRL the broker loads; valid from NOT_BEFORE for years (see the module docstring)."""
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject)
                   .last_update(NOT_BEFORE).next_update(_years_from_now(CRL_YEARS)))
        for serial in self.revoked_serials():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOT_BEFORE).build())
        crl = builder.sign(self.key, hashes.SHA256())
        write_public(self.crl_path, crl.public_bytes(serialization.Encoding.PEM))
        return self.crl_path

    # --- checks -----------------------------------------------------------------------
    def signed_by_me(self, cert: x509.Certificate) -> bool:
        try:
            cert.verify_directly_issued_by(self.cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    # --- index ------------------------------------------------------------------------
    @property
    def _index_path(self) -> Path:
        return self.folder / "index.toml"

    def _load_index(self) -> None:
        try:
            data = tomllib.loads(self._index_path.read_text(encoding="utf-8"))
            self.issued = [IssuedCert(int(c["serial"], 16), c["subject"], c["kind"], c.get("status", "valid"),
                                      c.get("revoked_at")) for c in data.get("certificates", [])]
        except FileNotFoundError:
            self.issued = []
        except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
            raise PkiError(f"{self._index_path}: cannot read the certificate index: {exc}") from None

    def _save_index(self) -> None:
        text = ("# Every certificate this site CA issued, made by broker_config.pki. Do not edit.\n"
                + tomli_w.dumps({"certificates": [c.as_dict() for c in self.issued]}))
        write_public(self._index_path, text.encode())


def _san_hosts(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return sorted([str(v) for v in san.get_values_for_type(x509.IPAddress)] + san.get_values_for_type(x509.DNSName))


def _years_from_now(years: int) -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return now + dt.timedelta(days=365 * years)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_secret(path: Path, data: bytes) -> None:
    _write(path, data, 0o600)


def write_public(path: Path, data: bytes) -> None:
    _write(path, data, 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Atomic write with an exact mode (a key must never be readable by others, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
    os.replace(tmp, path)
