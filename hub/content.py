"""The information-point content pack, as the hub publishes it.

The hub reads ``<site file's folder>/<kiosk.content_dir>/<language>.toml``
(see siteconf/content.py) when it starts and on every reload, and publishes
each language retained on ``content/<language>``; kiosks cache what they get,
so every kiosk shows the version the hub has.  A broken language file is
logged and left out; it never stops the hub from issuing tickets.
"""

from __future__ import annotations

import logging
from pathlib import Path

from contract import payloads
from contract.topics import Topics
from siteconf.content import ContentPacks, load_content
from siteconf.schema import Site

log = logging.getLogger(__name__)


def read_content(site: Site, site_file: Path | str | None) -> ContentPacks:
    """The site's content packs; problems are logged for the technician, never raised."""
    if site_file is None:
        return ContentPacks(None)
    packs = load_content(site, site_file)
    for problem in packs.problems:
        log.error("content pack left out:\n%s", problem)
    if packs.packs:
        log.info("content pack %s for %s from %s", ", ".join(sorted({p.version for p in packs.packs.values()})),
                 " ".join(packs.packs), packs.folder)
    return packs


def content_messages(topics: Topics, packs: ContentPacks | None) -> list[tuple[str, bytes]]:
    """(topic, payload) for every language the hub has a pack for, retained."""
    if packs is None:
        return []
    return [(topics.content(language), payloads.encode(pack.payload())) for language, pack in packs.packs.items()]
