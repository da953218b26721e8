"""Collecting what drivers report from their own threads, with waits instead of sleeps."""

from __future__ import annotations

import threading


class Recorder:
    """Pass ``recorder.status`` as a status callback (printer or scanner) and
    ``recorder.scan`` as a scan callback; wait for what should come."""

    def __init__(self):
        self.states: list[str] = []
        self.scans: list = []
        self._cond = threading.Condition()

    def status(self, status) -> None:
        with self._cond:
            self.states.append(status.state.value)
            self._cond.notify_all()

    def scan(self, scan) -> None:
        with self._cond:
            self.scans.append(scan)
            self._cond.notify_all()

    def wait_state(self, state: str, timeout: float = 5.0) -> None:
        """Until the latest reported state is ``state``."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.states and self.states[-1] == state, timeout):
                raise AssertionError(f"the state never became {state!r}: {self.states}")

    def wait_scans(self, count: int, timeout: float = 5.0) -> list:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.scans) >= count, timeout):
                raise AssertionError(f"expected {count} scans, got {self.scans}")
            return list(self.scans)
