"""``onestop-provision fleet``: which devices are online, which need a hand (paper, scanner), last seen.

Runs on the hub with the hub's device file (only the hub may read every
device's presence and health).  It reads the retained ``presence/+`` and
``health/+`` topics, then lists every device of the site file with what the
broker holds for it; a device never seen is listed too.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import click

from contract.topics import Topics
from mqttlink.bootstrap import DEFAULT_DEVICE_FILE, tls_files
from mqttlink.paho_setup import make_client
from siteconf import SiteFileError, load_site
from siteconf.device import load_device_file

from .workspace import ProvisioningError

#: health values that need nobody's attention
FINE = {"ok", "disabled", "unmonitored"}


@dataclass
class DeviceStatus:
    device: str
    role: str
    online: bool | None = None  # None: never seen
    since: float | None = None
    health: dict = field(default_factory=dict)

    @property
    def last_heard(self) -> float | None:
        """The latest time the device said anything (presence change or health report)."""
        times = [t for t in (self.since, self.health.get("at")) if isinstance(t, (int, float))]
        return max(times) if times else None

    @property
    def problems(self) -> list[str]:
        return [f"{part} {value}" for part, value in sorted(self.health.items())
                if part not in ("v", "type", "device", "at") and isinstance(value, str) and value not in FINE]


def read_fleet(device_file: str, timeout: float = 3.0) -> tuple[str, list[DeviceStatus]]:
    """(site id, a status per device of the site file plus any unknown device seen on the broker)."""
    try:
        device = load_device_file(device_file)
        site = load_site(device.site_file) if device.site_file else None
        password = device.broker.read_password()
    except SiteFileError as exc:
        raise ProvisioningError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise ProvisioningError(f"{device_file}: broker: {exc}") from None
    topics = Topics(device.site_id)
    marker = f"{topics.base}/fleet-probe/{uuid.uuid4().hex}"
    seen: dict[str, dict] = {}
    done, box = threading.Event(), {}
    client = make_client(f"fleet-{uuid.uuid4().hex[:8]}", device.device_id, password, tls=tls_files(device))

    def on_connect(c, _u, _f, reason, _p):
        box["connack"] = reason
        if reason.is_failure:
            done.set()
            return
        c.subscribe([(topics.all_presence(), 1), (topics.all_health(), 1), (marker, 1)])

    def on_subscribe(c, *_a):
        c.publish(marker, b"end", qos=1)  # arrives after every retained message

    def on_message(_c, _u, message):
        if message.topic == marker:
            done.set()
            return
        for kind in ("presence", "health"):
            who = topics.parse_device_topic(message.topic, kind)
            if who:
                try:
                    seen.setdefault(who, {})[kind] = json.loads(message.payload)
                except ValueError:
                    pass

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    try:
        client.connect(device.broker.host, device.broker.port, keepalive=10)
    except OSError as exc:
        raise ProvisioningError(f"cannot reach the broker at {device.broker.host}:{device.broker.port}: {exc} "
                                "(on the hub: systemctl status mosquitto)") from None
    client.loop_start()
    finished = done.wait(timeout)
    client.disconnect()
    client.loop_stop()
    connack = box.get("connack")
    if connack is None or connack.is_failure:
        raise ProvisioningError(f"the broker did not let {device.device_id} in ({connack or 'no answer'}); "
                                "fleet runs with the hub's device file")
    if not finished:
        raise ProvisioningError(f"the broker did not send the retained state within {timeout} s")
    known = [(d.id, d.role) for d in site.devices] if site else []
    known += [(d, seen[d].get("presence", {}).get("role", "?")) for d in sorted(seen)
              if d not in {k for k, _ in known}]
    statuses = []
    for device_id, role in known:
        presence = seen.get(device_id, {}).get("presence")
        status = DeviceStatus(device_id, role, health=seen.get(device_id, {}).get("health", {}))
        if presence is not None:
            status.online, status.since = bool(presence.get("online")), presence.get("since")
        statuses.append(status)
    return device.site_id, statuses


def format_fleet(site_id: str, statuses: list[DeviceStatus], now: float | None = None) -> str:
    now = time.time() if now is None else now
    lines = [f"site {site_id}: {sum(s.online is True for s in statuses)} of {len(statuses)} devices online",
             f"{'device':<18}{'role':<9}{'state':<9}{'last heard':<20}attention"]
    for s in statuses:
        state = {True: "online", False: "OFFLINE", None: "never"}[s.online]
        heard = s.last_heard
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(heard)) if heard else "-"
        if s.online is False and heard:
            since = _ago(now - heard)
        lines.append(f"{s.device:<18}{s.role:<9}{state:<9}{since:<20}{', '.join(s.problems) or '-'}")
    return "\n".join(lines)


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


@click.command()
@click.option("--device", "device_file", default=DEFAULT_DEVICE_FILE, show_default=True,
              type=click.Path(dir_okay=False), help="the hub's device file")
@click.option("--timeout", default=3.0, show_default=True)
def fleet(device_file: str, timeout: float) -> int:
    """On the hub: every device's presence, health and last change."""
    site_id, statuses = read_fleet(device_file, timeout)
    click.echo(format_fleet(site_id, statuses))
    return 0
