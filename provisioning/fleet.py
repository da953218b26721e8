"""``onestop-provision fleet``: which devices are online, which need a hand (paper, scanner), last seen.

Runs on the hub with the hub's device file (where the broker is) and its own
read-only broker identity, ``monitor.fleet`` (``fleet.toml`` beside the device
file, made by ``build``): it never logs in as the hub, whose connection and
stored session the broker would otherwise hand over to it.  It reads the
retained ``presence/+`` and ``health/+`` topics, then lists every device of
the site file with what the broker holds for it; a device never seen is
listed too.  What a device retained is read by ``device_reports`` (checked
field by field): a payload that is not what a device sends shows as
"unreadable" in that device's row, with the reason, and every other row is as
usual.  Topics whose last segment is not a device id are skipped (the broker
lets a device publish only under its own id, so no device can write them).

A monitor may not publish, so the end of the retained messages is found with
a second SUBSCRIBE: Mosquitto sends a subscription's retained messages right
after its SUBACK, QoS 0 ones at once, in order, so the SUBACK of a second
subscription (to a topic that holds nothing) comes after all of them.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import click

from contract.topics import Topics, is_valid_id
from mqttlink.bootstrap import DEFAULT_DEVICE_FILE, tls_files
from mqttlink.paho_setup import make_client
from siteconf import SiteFileError, load_site
from siteconf.device import load_device_file

from .device_reports import Health, Presence, Unreadable, read_report
from .identity import fleet_login
from .workspace import ProvisioningError

#: health values that need nobody's attention
FINE = {"ok", "disabled", "unmonitored"}
#: longest text of a health part shown in a row (the rest is cut, with "...")
SHOWN_TEXT = 60


@dataclass
class DeviceStatus:
    device: str
    role: str
    online: bool | None = None  # None: never seen, or its presence is unreadable
    since: float | None = None
    #: the health report's text parts (``printer``: ``paper_out``...), checked
    health: dict[str, str] = field(default_factory=dict)
    health_at: float | None = None
    #: "presence" / "health" -> why what the device retained there cannot be used
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def last_heard(self) -> float | None:
        """The latest time the device said anything (presence change or health report)."""
        times = [t for t in (self.since, self.health_at) if t is not None]
        return max(times) if times else None

    @property
    def state(self) -> str:
        if "presence" in self.unreadable:
            return "unreadable"
        return {True: "online", False: "OFFLINE", None: "never"}[self.online]

    @property
    def problems(self) -> list[str]:
        unreadable = [f"{kind} unreadable: {reason}" for kind, reason in sorted(self.unreadable.items())]
        return unreadable + [f"{part} {_cut(value)}" for part, value in sorted(self.health.items())
                             if value not in FINE]

    def take(self, kind: str, report: Presence | Health | Unreadable) -> None:
        """What the device retained on its ``kind`` topic (read by ``device_reports.read_report``)."""
        if isinstance(report, Unreadable):
            self.unreadable[kind] = report.reason
        elif isinstance(report, Presence):
            self.online, self.since = report.online, report.since
        else:
            self.health, self.health_at = dict(report.parts), report.at


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT - 3] + "..."


def read_fleet(device_file: str, timeout: float = 3.0) -> tuple[str, list[DeviceStatus]]:
    """(site id, a status per device of the site file plus any unknown device seen on the broker)."""
    try:
        device = load_device_file(device_file)
        site = load_site(device.site_file) if device.site_file else None
    except SiteFileError as exc:
        raise ProvisioningError(str(exc)) from None
    login = fleet_login(device_file)
    topics = Topics(device.site_id)
    marker = f"{topics.base}/fleet-probe/{uuid.uuid4().hex}"  # holds nothing: its SUBACK ends the retained
    seen: dict[str, dict[str, bytes]] = {}  # device -> kind -> its last payload, read once all are in
    done, box = threading.Event(), {}
    client = make_client(login.identity, login.identity, login.password, tls=login.tls(device))

    def on_connect(c, _u, _f, reason, _p):
        box["connack"] = reason
        if reason.is_failure:
            done.set()
            return
        c.subscribe([(topics.all_presence(), 0), (topics.all_health(), 0)])
        box["end"] = c.subscribe(marker, 0)[1]

    def on_subscribe(_c, _u, mid, _reasons, _p):
        if mid == box.get("end"):
            done.set()

    def on_message(_c, _u, message):
        for kind in ("presence", "health"):
            who = topics.parse_device_topic(message.topic, kind)
            if who and is_valid_id(who):
                seen.setdefault(who, {})[kind] = message.payload

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
        raise ProvisioningError(f"the broker did not let {login.identity} in ({connack or 'no answer'}); "
                                "fleet runs on the hub with the hub's device file and fleet.toml beside it")
    if not finished:
        raise ProvisioningError(f"the broker did not send the retained state within {timeout} s")
    return device.site_id, fleet_statuses([(d.id, d.role) for d in site.devices] if site else [], seen)


def fleet_statuses(known: list[tuple[str, str]], seen: dict[str, dict[str, bytes]]) -> list[DeviceStatus]:
    """A status per device of the site file (in its order), then per other device seen on the broker,
    from the payloads each retained (``seen``: device -> "presence"/"health" -> bytes)."""
    statuses = {device_id: DeviceStatus(device_id, role) for device_id, role in known}
    for device_id in sorted(seen):
        reports = {kind: read_report(Presence if kind == "presence" else Health, payload)
                   for kind, payload in seen[device_id].items()}
        if device_id not in statuses:
            presence = reports.get("presence")
            role = presence.role if isinstance(presence, Presence) and presence.role else "?"
            statuses[device_id] = DeviceStatus(device_id, role)
        for kind, report in reports.items():
            statuses[device_id].take(kind, report)
    return list(statuses.values())


def format_fleet(site_id: str, statuses: list[DeviceStatus], now: float | None = None) -> str:
    now = time.time() if now is None else now
    unreadable = sum(bool(s.unreadable) for s in statuses)
    lines = [f"site {site_id}: {sum(s.online is True for s in statuses)} of {len(statuses)} devices online"
             + (f", {unreadable} with unreadable reports" if unreadable else ""),
             f"{'device':<18}{'role':<9}{'state':<11}{'last heard':<20}attention"]
    for s in statuses:
        heard = s.last_heard
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(heard)) if heard is not None else "-"
        if s.online is False and heard is not None:
            since = _ago(now - heard)
        lines.append(f"{s.device:<18}{s.role:<9}{s.state:<11}{since:<20}{', '.join(s.problems) or '-'}")
    return "\n".join(lines)


def _ago(seconds: float) -> str:
    if seconds < -60:
        return "later than now (clock?)"
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
