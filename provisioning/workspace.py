"""A site's folder on the technician's laptop: the site file, its secrets and what is built from them.

::

    my-centre/
      site.toml              the site file (edit it; the hub gets it)
      secrets/               mode 0700: never on a shared drive
        secrets.toml         broker passwords (broker_config.credentials)
        wifi.toml            optional: ssid, psk, country, hidden
        pki/                 the site CA, server and device certificates, CRL (broker_config.pki)
        bridge/              optional, from the central operator: ca.crt, bridge.crt, bridge.key
                             (or remote_username / remote_password in bridge.toml)
      build/                 made by `onestop-provision build` (regenerate at will)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from broker_config import CredentialsError, SiteCredentials
from broker_config.bridge import BridgeAuth
from broker_config.pki import PkiError, SiteCA
from siteconf import SiteFileError, load_site
from siteconf.schema import Site


class ProvisioningError(Exception):
    """Something a technician must fix; ``str()`` names the file or key and the problem."""


@dataclass(frozen=True)
class Wifi:
    ssid: str
    psk: str
    country: str = "PT"
    hidden: bool = False


@dataclass
class Workspace:
    site_file: Path
    secrets_dir: Path
    out_dir: Path

    @classmethod
    def at(cls, site_file: Path | str, secrets_dir: Path | str | None = None,
           out_dir: Path | str | None = None) -> "Workspace":
        site_file = Path(site_file)
        folder = site_file.parent
        return cls(site_file, Path(secrets_dir) if secrets_dir else folder / "secrets",
                   Path(out_dir) if out_dir else folder / "build")

    # --- reading -------------------------------------------------------------------
    def site(self) -> Site:
        try:
            return load_site(self.site_file)
        except SiteFileError as exc:
            raise ProvisioningError(str(exc)) from None

    @property
    def secrets_file(self) -> Path:
        return self.secrets_dir / "secrets.toml"

    @property
    def pki_dir(self) -> Path:
        return self.secrets_dir / "pki"

    @property
    def bridge_dir(self) -> Path:
        return self.secrets_dir / "bridge"

    def ensure_secrets_dir(self) -> None:
        self.secrets_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.secrets_dir, 0o700)

    def credentials(self) -> SiteCredentials:
        try:
            return SiteCredentials.load(self.secrets_file, missing_ok=True)
        except CredentialsError as exc:
            raise ProvisioningError(str(exc)) from None

    def ca(self, site: Site) -> SiteCA:
        self.ensure_secrets_dir()
        try:
            return SiteCA.open(self.pki_dir, site.site.id)
        except PkiError as exc:
            raise ProvisioningError(str(exc)) from None

    def wifi(self) -> Wifi | None:
        path = self.secrets_dir / "wifi.toml"
        data = _read_toml(path)
        if data is None:
            return None
        try:
            wifi = Wifi(ssid=data["ssid"], psk=data["psk"], country=data.get("country", "PT"),
                        hidden=bool(data.get("hidden", False)))
        except KeyError as exc:
            raise ProvisioningError(f"{path}: {exc.args[0]} is required (ssid, psk; country optional)") from None
        if not 8 <= len(wifi.psk) <= 63:
            raise ProvisioningError(f"{path}: psk must be 8 to 63 characters (a WPA2 passphrase)")
        if not (len(wifi.country) == 2 and wifi.country.isalpha() and wifi.country.isupper()):
            raise ProvisioningError(f"{path}: country must be a two-letter code like \"PT\"")
        return wifi

    def bridge_auth(self, site: Site, install_dir: str) -> tuple[BridgeAuth, dict[str, Path]] | None:
        """The bridge login (paths as installed on the hub) and the local files to ship, or None."""
        if not site.bridge.enabled:
            return None
        folder = self.bridge_dir
        files = {name: folder / name for name in ("ca.crt", "bridge.crt", "bridge.key") if (folder / name).exists()}
        extra = _read_toml(folder / "bridge.toml") or {}
        if site.bridge.tls and "ca.crt" not in files:
            raise ProvisioningError(f"{folder / 'ca.crt'}: the central broker's CA certificate is needed "
                                    "(bridge.tls is true); ask the central operator for it")
        if ("bridge.crt" in files) != ("bridge.key" in files):
            raise ProvisioningError(f"{folder}: bridge.crt and bridge.key go together")
        if "bridge.crt" not in files and "remote_username" not in extra:
            raise ProvisioningError(f"{folder}: no login for the central broker: put bridge.crt + bridge.key "
                                    "there, or remote_username/remote_password in bridge.toml")
        where = f"{install_dir}/bridge"
        auth = BridgeAuth(cafile=f"{where}/ca.crt" if "ca.crt" in files else None,
                          certfile=f"{where}/bridge.crt" if "bridge.crt" in files else None,
                          keyfile=f"{where}/bridge.key" if "bridge.key" in files else None,
                          username=extra.get("remote_username"), password=extra.get("remote_password"))
        return auth, files


def _read_toml(path: Path) -> dict | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProvisioningError(f"{path}: cannot read it: {exc}") from None
