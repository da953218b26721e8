"""``PtyPort``: a pseudo-terminal behind a stable path, for pretend serial devices.

The far end of a serial device in tests and demos: the code under test opens
``port.path`` with pyserial as it would open ``/dev/serial/by-id/...`` (also a
symlink), and the pretend device reads and writes ``port.master``.
``unplug()`` removes the pty and the path (the reader gets I/O errors, a new
open fails); ``plug()`` brings a new pty back behind the same path.
"""

from __future__ import annotations

import os
import tempfile
import tty
from pathlib import Path


class PtyPort:
    def __init__(self, link: str | Path | None = None, prefix: str = "pty-"):
        self._dir = None
        if link is None:
            self._dir = tempfile.TemporaryDirectory(prefix=prefix)
            link = Path(self._dir.name) / "port"
        self.path = str(link)
        self._fds: tuple[int, int] | None = None

    @property
    def plugged(self) -> bool:
        return self._fds is not None

    @property
    def master(self) -> int:
        if self._fds is None:
            raise OSError("the device is unplugged")
        return self._fds[0]

    def plug(self) -> int:
        """A new pty behind ``path``; returns its master fd."""
        if self._fds is None:
            master, slave = os.openpty()
            tty.setraw(slave)  # keep the slave end open: the master then never sees a hang-up
            self._fds = (master, slave)
            tmp = f"{self.path}.new"
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.path)
        return self._fds[0]

    def unplug(self) -> None:
        if self._fds is None:
            return
        for fd in self._fds:
            os.close(fd)
        self._fds = None
        Path(self.path).unlink(missing_ok=True)

    def close(self) -> None:
        self.unplug()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
