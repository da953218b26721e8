"""What the kiosk last heard from the hub, kept on disk.

A kiosk that restarts while the broker or the hub is down still shows its
menu in every language (saying tickets are unavailable) and the whole
information point, from the site config and content packs it cached.
Writes are atomic (temporary file, then rename), so a power cut leaves the
previous copy, never half a file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


class KioskCache:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def load(self, name: str) -> dict | None:
        path = self._path(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable cache file %s: %s", path, exc)
            return None
        return data if isinstance(data, dict) else None

    def save(self, name: str, data: dict) -> None:
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not cache %s: %s", path, exc)

    def forget(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def contents(self) -> dict[str, dict]:
        """Every cached content pack by language."""
        packs = {}
        for path in sorted((self.folder / "content").glob("*.json")):
            data = self.load(f"content/{path.stem}")
            if data and data.get("type") == "content":
                packs[path.stem] = data
        return packs
