"""The site's broker passwords, kept in a TOML secrets file on the technician's side.

One password per broker identity: every device of the site file, and every
read-only tool (``contract.acl.site_tools``: the site's monitors, e.g.
``monitor.fleet``, and a ``doctor.<device>`` per device).  ``ensure`` keeps
existing ones (a regenerated broker config must not lock out installed
devices) and drops identities that left the site file, so a retired device's
password (and its doctor's) stops working at the next broker config.  The
file is written with mode 0600.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from contract.acl import SITE_MONITORS, site_tools, tool_of
from contract.topics import is_valid_id
from siteconf.schema import Site

from .passwords import new_password

HEADER = (
    "# Broker passwords of one site's devices, made by broker_config.credentials.\n"
    "# SECRET: keep it with the technician's provisioning files, never on a shared drive.\n"
)


class CredentialsError(Exception):
    """A secrets file that cannot be used; ``str()`` is a message for a technician."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")


@dataclass
class CredentialChanges:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class SiteCredentials:
    passwords: dict[str, str] = field(default_factory=dict)

    # --- keeping it in step with the site file -------------------------------
    def ensure(self, site: Site, monitors: tuple[str, ...] = SITE_MONITORS) -> CredentialChanges:
        """Give every device (the hub included) and every tool of the site (``monitors``, a doctor per
        device) a password; forget identities no longer in the site."""
        devices = [d.id for d in site.devices]
        wanted = devices + [tool.id for tool in site_tools(devices, monitors)]
        changes = CredentialChanges()
        for device_id in wanted:
            if device_id not in self.passwords:
                self.passwords[device_id] = new_password()
                changes.added.append(device_id)
        for device_id in list(self.passwords):
            if device_id not in wanted:
                del self.passwords[device_id]
                changes.removed.append(device_id)
        return changes

    def password_for(self, device_id: str) -> str:
        try:
            return self.passwords[device_id]
        except KeyError:
            raise KeyError(f"no broker password for {device_id!r}; "
                           "run the provisioning tool so the secrets file covers the site") from None

    # --- the file -------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str, missing_ok: bool = False) -> "SiteCredentials":
        """Read a secrets file; a missing file is an error unless ``missing_ok`` (first provisioning)."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if missing_ok:
                return cls()
            raise CredentialsError(path, "secrets file not found") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CredentialsError(path, f"cannot read it: {exc}") from None
        table = data.get("passwords", {})
        if not isinstance(table, dict):
            raise CredentialsError(path, "[passwords] must be a table of device_id = \"password\"")
        for device_id, password in table.items():
            if not is_valid_id(device_id) and tool_of(device_id) is None:
                raise CredentialsError(path, f"[passwords]: {device_id!r} is neither a device id nor a tool's "
                                             "identity (monitor.<name>, doctor.<device>)")
            if not isinstance(password, str) or not password:
                raise CredentialsError(path, f"[passwords].{device_id}: must be a non-empty string")
        return cls(dict(table))

    def save(self, path: Path | str) -> None:
        """Write atomically with mode 0600 (only the owner may read passwords)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = HEADER + tomli_w.dumps({"passwords": dict(sorted(self.passwords.items()))})
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)  # the umask or an old tmp file must not widen it
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
