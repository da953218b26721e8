"""What a display subscribes to, handed on as (kind, payload) in arrival order.

The display learns its zone from its own slice first (``config/device/<id>``),
then follows ``state/zone/<zone>`` and ``event/<zone>/+``; it also reads the
site configuration, the hub's presence and its own link's state.  ``post``
is called on paho's network thread: the Kivy app queues the messages for its
main thread, the console applies them under a lock.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from contract.topics import HUB_ID
from mqttlink.link import DeviceLink

SITE, DEVICE, ZONE_STATE, EVENT, HUB, LINK = "site", "device", "zone_state", "event", "hub", "link"

Post = Callable[[str, Any], None]


class ZoneFeed:
    def __init__(self, link: DeviceLink, device_id: str, post: Post):
        self.link = link
        self.device_id = device_id
        self.post = post
        self.zone: str | None = None
        self._lock = threading.Lock()
        topics = link.topics
        link.on_connection_change = lambda up: post(LINK, up)
        link.subscribe(topics.device_config(device_id), self._on_device)
        link.subscribe(topics.site_config(), lambda _t, p: post(SITE, p))
        link.subscribe(topics.presence(HUB_ID), lambda _t, p: post(HUB, p))

    def _on_device(self, _topic: str, payload: Any) -> None:
        self.post(DEVICE, payload)
        zone = (payload or {}).get("device", {}).get("zone")
        with self._lock:
            if not zone or zone == self.zone:
                return
            self.zone = zone
        self.follow(zone)

    def follow(self, zone: str) -> None:
        """Subscribe to a zone's state and events (the zone from the slice, or remembered from last time)."""
        topics = self.link.topics
        self.link.subscribe(topics.zone_state(zone), lambda _t, p: self.post(ZONE_STATE, p))
        self.link.subscribe(topics.zone_events(zone), lambda _t, p: self.post(EVENT, p))
