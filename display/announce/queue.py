"""The order of announcements: one at a time, first come first spoken.

Rules (tested on a fake clock in tests/test_announce_queue.py):

* **order**: calls are announced in the order they arrived;
* **no cut-off**: nothing starts while an announcement is playing; the
  player calls ``finish`` when the last sound has ended;
* **recall**: a recall is announced again, unless the same ticket at the same
  counter is still waiting its turn in the queue (then the waiting one covers
  it; saying it twice in a row helps nobody);
* **merge**: when calls pile up (a busy morning, several counters pressing
  NEXT together), a call that has waited longer than ``max_delay_s`` is
  not dropped: every such call is merged into one announcement with a single
  chime, so the queue catches up while everyone is still called.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from display.board import CallToAnnounce


@dataclass
class Waiting:
    call: CallToAnnounce
    queued_at: float


@dataclass
class Announcement:
    """What the player says next: one call, or several merged under one chime."""

    calls: list[CallToAnnounce]
    started_at: float
    waited_s: list[float] = field(default_factory=list)

    @property
    def merged(self) -> bool:
        return len(self.calls) > 1


class AnnouncementQueue:
    def __init__(self, max_delay_s: float = 20.0):
        if max_delay_s <= 0:
            raise ValueError("max_delay_s must be positive")
        self.max_delay_s = max_delay_s
        self.waiting: list[Waiting] = []
        self.current: Announcement | None = None
        #: calls folded into one already waiting (a recall of a queued ticket)
        self.folded = 0

    @property
    def busy(self) -> bool:
        return self.current is not None

    def push(self, call: CallToAnnounce, now: float) -> bool:
        """Queue a call; False when an identical ticket+counter is already waiting (folded into it)."""
        for item in self.waiting:
            if item.call.code == call.code and item.call.counter == call.counter:
                if call.recall > item.call.recall:
                    item.call = CallToAnnounce(**{**item.call.__dict__, "recall": call.recall, "rev": call.rev})
                self.folded += 1
                return False
        self.waiting.append(Waiting(call, now))
        return True

    def start_next(self, now: float) -> Announcement | None:
        """The next announcement to play, or None (busy, or nothing waiting)."""
        if self.current is not None or not self.waiting:
            return None
        head = self.waiting[0]
        if now - head.queued_at > self.max_delay_s:
            overdue = [w for w in self.waiting if now - w.queued_at > self.max_delay_s]
            taken = overdue
        else:
            taken = [head]
        for item in taken:
            self.waiting.remove(item)
        self.current = Announcement(calls=[w.call for w in taken], started_at=now,
                                    waited_s=[now - w.queued_at for w in taken])
        return self.current

    def finish(self, now: float) -> None:
        """The current announcement's last sound ended."""
        self.current = None
