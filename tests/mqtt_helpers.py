"""Waiting for MQTT messages in tests without sleeping."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable


class Inbox:
    """Collects (topic, payload) from DeviceLink.subscribe; ``wait_for`` blocks until a match."""

    def __init__(self):
        self.messages: list[tuple[str, Any]] = []
        self._cond = threading.Condition()

    def __call__(self, topic: str, payload: Any) -> None:
        with self._cond:
            self.messages.append((topic, payload))
            self._cond.notify_all()

    def wait_for(self, match: Callable[[str, Any], bool], timeout: float = 5.0) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for topic, payload in self.messages[seen:]:
                    if match(topic, payload):
                        return topic, payload
                seen = len(self.messages)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching message within {timeout} s; got "
                                         f"{[t for t, _ in self.messages][-10:]}")
                self._cond.wait(remaining)

    def events(self, kind: str) -> list[dict]:
        with self._cond:
            return [p for t, p in self.messages if isinstance(p, dict) and p.get("event") == kind]

    def latest(self, topic: str) -> Any:
        with self._cond:
            for t, p in reversed(self.messages):
                if t == topic:
                    return p
        return None


def event_is(kind: str, **data) -> Callable[[str, Any], bool]:
    def match(topic: str, payload: Any) -> bool:
        return (isinstance(payload, dict) and payload.get("event") == kind
                and all(payload["data"].get(k) == v for k, v in data.items()))
    return match


def topic_is(topic: str, check: Callable[[Any], bool] = lambda p: True) -> Callable[[str, Any], bool]:
    return lambda t, p: t == topic and check(p)


def start_hub_from_file(centre, folder, site: dict):
    """Write ``site`` as a site file in ``folder``, the hub's device file beside it, and start the hub
    of ``centre`` (a ``broker_only``) on them, as the hub-side commands find it; the device file's path."""
    import tomli_w
    site_file = folder / "site.toml"
    site_file.write_text(tomli_w.dumps(site), encoding="utf-8")
    device_file = centre.write_hub_device_file(site_file)
    centre.start_hub()
    return device_file
