"""One thread for every "later" of a device: hold times, bounce windows, reply deadlines.

``threading.Timer`` starts a thread per call, and a thread starting or waking
to be cancelled competes for the interpreter exactly when a press is on its way
to the hub.  A ``Scheduler`` keeps one sleeping thread and a heap of due times;
cancelling only marks the entry.

    timers = Scheduler("counter-timers")
    hold = timers.call_later(1.0, on_hold)     # on the scheduler's thread, in due order
    hold.cancel()                               # released in time: it never runs
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable

from .device import HardwareDevice

log = logging.getLogger(__name__)


class Scheduled:
    """A pending call; ``cancel()`` before it is due and it never runs."""

    __slots__ = ("due", "action", "cancelled")

    def __init__(self, due: float, action: Callable[[], None]):
        self.due = due
        self.action = action
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler(HardwareDevice):
    """One thread that runs each ``call_later`` action when it is due."""

    def __init__(self, name: str = "scheduler"):
        super().__init__()
        self.name = name
        self._heap: list[tuple[float, int, Scheduled]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call_later(self, delay: float, action: Callable[[], None]) -> Scheduled:
        entry = Scheduled(time.monotonic() + max(0.0, delay), action)
        with self._cond:
            first = not self._heap or entry.due < self._heap[0][0]
            heapq.heappush(self._heap, (entry.due, next(self._order), entry))
            if first:
                self._cond.notify()
        return entry

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self.closed:
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self.closed:
                    return
                _, _, entry = heapq.heappop(self._heap)
            if not entry.cancelled:
                try:
                    entry.action()
                except Exception:
                    log.exception("a scheduled action failed")

    def _close(self) -> None:
        """Drop what is pending and stop."""
        with self._cond:
            self._heap.clear()
            self._cond.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _where(self) -> str:
        return repr(self.name)

    def _state(self) -> str:
        with self._cond:
            pending = sum(not entry.cancelled for _, _, entry in self._heap)
        return f"{pending} pending"
