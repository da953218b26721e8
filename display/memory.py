"""The display's last picture on disk, so a restart while the broker or the hub
is down still shows the last calls (marked offline) and opens the window at
the right size and orientation straight away.

Only what the hub published retained is kept (site configuration, the
device's slice, the zone state): public data, no personal data.  Written in
the background, to a temporary file then renamed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

KINDS = ("site", "device", "zone_state")


class Memory:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._data: dict = {}
        self._pending = False
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="display-memory")

    def load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        with self._lock:
            self._data = {k: v for k, v in data.items() if k in KINDS and isinstance(v, dict)}
            return dict(self._data)

    def remember(self, kind: str, payload: dict | None) -> None:
        """Keep ``payload`` (not changed afterwards by the caller); written soon, off the caller's thread."""
        if kind not in KINDS or not payload:
            return
        with self._lock:
            self._data[kind] = payload
            if self._pending:
                return  # the write already queued will take this one too
            self._pending = True
        self._writer.submit(self._write)

    def _write(self) -> None:
        with self._lock:
            self._pending = False
            data = dict(self._data)
        text = json.dumps(data, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("display: cannot keep the last picture in %s: %s", self.path, exc)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
