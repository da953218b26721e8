"""Edits of a site file that keep the technician's comments and layout (tomlkit).

Every edit is validated as a whole site before it is written: a bad edit
(unknown zone, duplicate id, a counter device without a counter) is refused
with the site schema's own message and the file is left as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from siteconf import EXAMPLE_SITE, SiteFileError, parse_site
from siteconf.load import SITE_FILE, read_toml
from siteconf.schema import Site

from .workspace import ProvisioningError

ROLES = ("kiosk", "counter", "display")


def new_site(folder: Path | str, site_id: str, name: str, example: Path = EXAMPLE_SITE) -> Path:
    """A new site folder from the example: site.toml (with this id and name) and secrets/."""
    folder = Path(folder)
    target = folder / "site.toml"
    if target.exists():
        raise ProvisioningError(f"{target}: already exists; a new site needs an empty folder")
    doc = _read(example)
    doc["site"]["id"] = site_id
    doc["site"]["name"] = name
    _check(doc, target)
    folder.mkdir(parents=True, exist_ok=True)
    content = example.parent / str(doc.get("kiosk", {}).get("content_dir", "content"))
    if content.is_dir() and not (folder / content.name).exists():
        shutil.copytree(content, folder / content.name)
    _write(target, doc)
    (folder / "secrets").mkdir(exist_ok=True)
    os.chmod(folder / "secrets", 0o700)
    return target


def add_device(site_file: Path | str, device_id: str, role: str, zone: str | None = None,
               counter: str | None = None) -> Site:
    site_file = Path(site_file)
    if role not in ROLES:
        raise ProvisioningError(f"role {role!r}: use one of {', '.join(ROLES)} (a site has one hub)")
    doc = _read(site_file)
    entry = tomlkit.table()
    entry["id"] = device_id
    entry["role"] = role
    if zone:
        entry["zone"] = zone
    if counter:
        entry["counter"] = counter
    devices = doc.setdefault("devices", tomlkit.aot())
    if any(d.get("id") == device_id for d in devices):
        raise ProvisioningError(f"{site_file}: devices: {device_id!r} already exists")
    devices.append(entry)
    site = _check(doc, site_file)
    _write(site_file, doc)
    return site


def remove_device(site_file: Path | str, device_id: str) -> Site:
    site_file = Path(site_file)
    doc = _read(site_file)
    devices = doc.get("devices", [])
    index = next((i for i, d in enumerate(devices) if d.get("id") == device_id), None)
    if index is None:
        raise ProvisioningError(f"{site_file}: devices: no device {device_id!r}")
    if devices[index].get("role") == "hub":
        raise ProvisioningError(f"{site_file}: devices: {device_id!r} is the hub; replace it, do not retire it")
    del devices[index]
    site = _check(doc, site_file)
    _write(site_file, doc)
    return site


def _read(path: Path) -> tomlkit.TOMLDocument:
    """The site file as tomlkit's document, once the loader has seen it is a TOML file of a sane
    size and depth (its message, not tomlkit's, for a file that is not)."""
    try:
        read_toml(path, SITE_FILE)
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except SiteFileError as exc:
        raise ProvisioningError(str(exc)) from None
    except (OSError, UnicodeDecodeError, TOMLKitError, RecursionError) as exc:
        raise ProvisioningError(f"{path}: cannot read it: {exc}") from None


def _check(doc: tomlkit.TOMLDocument, path: Path) -> Site:
    try:
        return parse_site(doc.unwrap(), path)
    except SiteFileError as exc:
        raise ProvisioningError(f"not changed: {exc}") from None


def _write(path: Path, doc: tomlkit.TOMLDocument) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)
