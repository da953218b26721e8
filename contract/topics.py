"""Topic names of the wire contract.

Every topic starts with ``oss/v1/<site>/`` so one broker (or a central broker
that bridges many sites) can carry several sites and several contract
versions side by side.  The device id is always the segment right after the
topic class for anything a device publishes, so the broker's ``%u`` ACL
patterns can bind it to the connecting user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .fields import ID

CONTRACT_VERSION = 1
ROOT = f"oss/v{CONTRACT_VERSION}"

#: ids used in topic segments (``contract.fields.ID``)
ID_RE = re.compile(rf"^{ID}$")

#: the hub's device id (the site file's hub device must have it), so every device can read
#: ``presence/hub`` through one fixed ACL line
HUB_ID = "hub"

#: MQTT message expiry (seconds) of the hub's replies and events; a request's is its device's
#: ``timing.request_expiry_s``, by default ``REQUEST_EXPIRY_S``
REPLY_EXPIRY_S = 60
EVENT_EXPIRY_S = 300
REQUEST_EXPIRY_S = 5.0


def is_valid_id(value: str) -> bool:
    return bool(ID_RE.match(value))


@dataclass(frozen=True)
class Topics:
    """Builds and parses the topics of one site."""

    site: str

    @property
    def base(self) -> str:
        return f"{ROOT}/{self.site}"

    # --- device -> hub ---------------------------------------------------
    def request(self, device_id: str, action: str) -> str:
        return f"{self.base}/req/{device_id}/{action}"

    def all_requests(self) -> str:
        return f"{self.base}/req/+/+"

    def device_requests(self, device_id: str) -> str:
        """Every request of one device (the hub subscribes device by device, to stop hearing a flooder)."""
        return f"{self.base}/req/{device_id}/+"

    def reply(self, device_id: str) -> str:
        return f"{self.base}/reply/{device_id}"

    def presence(self, device_id: str) -> str:
        return f"{self.base}/presence/{device_id}"

    def all_presence(self) -> str:
        return f"{self.base}/presence/+"

    def health(self, device_id: str) -> str:
        return f"{self.base}/health/{device_id}"

    def all_health(self) -> str:
        return f"{self.base}/health/+"

    # --- hub -> devices: retained configuration -----------------------------
    def site_config(self) -> str:
        return f"{self.base}/config/site"

    def device_config(self, device_id: str) -> str:
        return f"{self.base}/config/device/{device_id}"

    def content(self, language: str) -> str:
        return f"{self.base}/content/{language}"

    # --- hub -> devices: retained state -----------------------------------
    def service_state(self, service_id: str) -> str:
        return f"{self.base}/state/service/{service_id}"

    def counter_state(self, counter_id: str) -> str:
        return f"{self.base}/state/counter/{counter_id}"

    def zone_state(self, zone_id: str) -> str:
        return f"{self.base}/state/zone/{zone_id}"

    def recent_calls(self) -> str:
        return f"{self.base}/state/calls"

    def guest_service(self, service_id: str) -> str:
        """A service's waiting list by opaque id, for the guest page server only (not under
        ``state/``, which the monitors read)."""
        return f"{self.base}/guest/service/{service_id}"

    def all_guest_services(self) -> str:
        return f"{self.base}/guest/service/+"

    # --- hub -> devices: event stream (not retained) -----------------------
    def event(self, zone_id: str, event_type: str) -> str:
        return f"{self.base}/event/{zone_id}/{event_type}"

    def zone_events(self, zone_id: str) -> str:
        return f"{self.base}/event/{zone_id}/+"

    # --- parsing ------------------------------------------------------------
    def parse_request(self, topic: str) -> tuple[str, str] | None:
        """Return (device_id, action) for a request topic of this site, else None."""
        prefix = f"{self.base}/req/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix):].split("/")
        if len(parts) != 2 or not all(parts):
            return None
        return parts[0], parts[1]

    def parse_device_topic(self, topic: str, kind: str) -> str | None:
        """Device id from ``.../<kind>/<device>`` (presence, health, reply)."""
        prefix = f"{self.base}/{kind}/"
        if not topic.startswith(prefix):
            return None
        rest = topic[len(prefix):]
        return rest if rest and "/" not in rest else None
