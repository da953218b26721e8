"""The information point's content pack: one TOML file per language beside the site file.

``<site file's folder>/<kiosk.content_dir>/<language>.toml`` (default folder
``content``) says, in plain words, what each service does, which documents to
bring, where it is and when it is open, plus the SOS Immigrant Line and a few
short topics.  The hub reads the folder and publishes each language retained
on ``content/<language>`` with its version and a digest of the text, and
kiosks cache what they received, so every kiosk shows the same version.

A file that cannot be used is reported (file, key, problem) and left out;
the other languages are still published.  A missing language is allowed: the
kiosk then shows the English, else the Portuguese pack.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract import payloads

from .load import FileKind, SiteFileError, read_toml, validated
from .schema import MAX_SERVICES, Ident, LangCode, Site

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Short = Annotated[str, Field(min_length=1, max_length=120)]
#: documents to bring for one service; the longest real list (residence permit) has about 10
MAX_DOCUMENTS = 30
#: short pages of general information
MAX_TOPICS = 50
#: the largest language file of the example is 15 KB; every kiosk receives each pack
CONTENT_FILE = FileKind("content pack file", 256 * 1024,
                        "Fix the file, then `systemctl reload onestop-hub`; until then kiosks show this "
                        "language's information from the English pack, else the Portuguese one.")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class HelpLine(_Model):
    name: Short
    #: as dialled in Portugal, digits and spaces (also printed on tickets)
    number: Annotated[str, Field(pattern=r"^[0-9 +]{3,20}$")]
    mobile: Annotated[str, Field(pattern=r"^[0-9 +]{3,20}$")] | None = None
    text: Text


class ServiceInfo(_Model):
    """What a visitor needs to know about one service of the site file."""

    service: Ident
    what: Text
    documents: list[Short] = Field(default=[], max_length=MAX_DOCUMENTS)
    where: Short
    hours: Short


class Topic(_Model):
    """A short page of general information (rights, interpreters, emergencies...)."""

    id: Ident
    title: Short
    text: Text


class ContentPack(_Model):
    schema_version: Literal[1] = 1
    #: the pack's version, e.g. "2026.05-1"; give every language file of one edition the same version
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]
    language: LangCode
    title: Short
    intro: Text
    helpline: HelpLine
    services: list[ServiceInfo] = Field(min_length=1, max_length=MAX_SERVICES)
    topics: list[Topic] = Field(default=[], max_length=MAX_TOPICS)

    @model_validator(mode="after")
    def _unique(self) -> "ContentPack":
        services = [s.service for s in self.services]
        if len(set(services)) != len(services):
            raise ValueError("services: a service is described twice")
        topics = [t.id for t in self.topics]
        if len(set(topics)) != len(topics):
            raise ValueError("topics: a topic id is used twice")
        return self

    def digest(self) -> str:
        """A short fingerprint of the text, so an edit without a new version is still noticed."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def payload(self) -> dict:
        """What the hub publishes retained on ``content/<language>``."""
        return payloads.content(self.language, self.version, self.digest(), self.model_dump(mode="json"))


@dataclass
class ContentPacks:
    """The packs the hub could read, and what was wrong with the others."""

    folder: Path | None
    packs: dict[str, ContentPack] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def content_folder(site: Site, site_file: Path | str) -> Path:
    folder = Path(site.kiosk.content_dir)
    return folder if folder.is_absolute() else Path(site_file).resolve().parent / folder


def load_pack(path: Path | str, site: Site | None = None) -> ContentPack:
    """One language file; SiteFileError names the file, the key and the problem."""
    path = Path(path)
    pack = validated(ContentPack, read_toml(path, CONTENT_FILE), path, CONTENT_FILE)
    problems = []
    if pack.language != path.stem:
        problems.append(f"language: {pack.language!r} but the file is named {path.name}")
    if site is not None:
        if pack.language not in site.site.languages:
            problems.append(f"language: {pack.language!r} is not in the site's languages")
        for i, info in enumerate(pack.services):
            if site.service(info.service) is None:
                problems.append(f"services[{i}].service: unknown service {info.service!r}")
    if problems:
        raise SiteFileError(path, problems, CONTENT_FILE.fix)
    return pack


def load_content(site: Site, site_file: Path | str) -> ContentPacks:
    """Every language file of the site's content folder (a missing folder is no error: no packs).
    Never raises: a file that cannot be used is a problem in the result, and the others still count."""
    folder = content_folder(site, site_file)
    result = ContentPacks(folder)
    if not os.path.isdir(folder):  # False, not an error, for a folder it may not look into
        return result
    for language in site.site.languages:
        path = folder / f"{language}.toml"
        if not os.path.lexists(path):
            continue
        try:
            result.packs[language] = load_pack(path, site)
        except SiteFileError as exc:
            result.problems.append(str(exc))
    return result
