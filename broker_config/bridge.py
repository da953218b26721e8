"""The optional bridge from a site's broker to a central broker (a national network of centres).

Only what the centre network needs goes up, and nothing comes down:

=============  ==============================  =====================================
topics_up      local topics (under oss/v1/<site>/)  why
=============  ==============================  =====================================
events         event/+/+                       every call, transfer... (not by default: each
                                               carries a code and the visitor's language)
presence       presence/+                      which devices are online (retained)
health         health/+                        paper low, scanner unplugged (retained)
statistics     state/service/+                 waiting counts and estimated waits
=============  ==============================  =====================================

Requests, replies, configuration and per-counter state never leave the site.
Each topic is mapped to ``<remote_prefix><site>/v<contract version>/...`` on
the central broker (``centres/cnai-lisboa/v1/event/ground/called``), so the
central ACL can confine a site's bridge to its own prefix.

Reconnect behaviour: the bridge keeps a persistent session on both sides
(``cleansession false``), so what happens during a WAN outage is queued on
the site broker (up to ``max_queued_messages``) and sent when the link is
back; Mosquitto retries with a growing, jittered delay (``restart_timeout``).
Its state is published retained on ``$SYS/broker/connection/<name>/state``
(1 up, 0 down, the latter as its last will on the central broker), which the
central operator watches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract.topics import CONTRACT_VERSION, Topics
from siteconf.schema import Site

UP_TOPICS: dict[str, tuple[str, ...]] = {
    "events": ("event/+/+",),
    "presence": ("presence/+",),
    "health": ("health/+",),
    "statistics": ("state/service/+",),
}
PREFIX_RE = re.compile(r"^([A-Za-z0-9_-]+/)*$")


class BridgeError(ValueError):
    """A bridge setting that cannot work; ``str()`` names the key and the problem."""


@dataclass(frozen=True)
class BridgeAuth:
    """How the site's broker logs in to the central broker: TLS files from the central
    operator (their CA, this site's bridge certificate and key) and/or a user name and password.
    Paths are where the files live on the hub."""

    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class BridgeTiming:
    """Retry delays: ``restart_timeout <base> <cap>`` (seconds); tests use short ones."""

    restart_base_s: int = 5
    restart_cap_s: int = 120
    keepalive_s: int = 60


def connection_name(site: Site) -> str:
    return f"{site.site.id}-central"


def notification_topic(site: Site) -> str:
    return f"$SYS/broker/connection/{connection_name(site)}/state"


def remote_prefix(site: Site) -> str:
    prefix = site.bridge.remote_prefix
    if not PREFIX_RE.match(prefix):
        raise BridgeError(f"bridge.remote_prefix: {prefix!r} must be topic levels ending in '/' "
                          "(letters, digits, '-', '_'), e.g. \"centres/\"")
    return f"{prefix}{site.site.id}/v{CONTRACT_VERSION}/"


def bridge_text(site: Site, auth: BridgeAuth, timing: BridgeTiming = BridgeTiming(),
                address: str | None = None) -> str:
    """Mosquitto ``connection`` block for the site's bridge (conf.d/bridge.conf).

    ``address`` overrides ``host:port`` from the site file (tests on loopback).
    """
    bridge = site.bridge
    if not bridge.enabled:
        raise BridgeError("bridge.enabled is false: there is no bridge to write")
    if bridge.tls and not auth.cafile:
        raise BridgeError("bridge.tls: the central broker's CA certificate is needed (bridge/ca.crt)")
    if (auth.certfile is None) != (auth.keyfile is None):
        raise BridgeError("bridge: a client certificate needs both its certificate and its key")
    if not (auth.certfile or auth.username):
        raise BridgeError("bridge: no way to log in to the central broker (a certificate or a user name)")
    if not bridge.topics_up:
        raise BridgeError("bridge.topics_up is empty: nothing would go up")
    local = f"{Topics(site.site.id).base}/"
    remote = remote_prefix(site)
    name = connection_name(site)
    lines = [
        f"# Bridge of site {site.site.id} to the central broker, made by broker_config.bridge.",
        "# Only these topics go up (out); nothing comes down.  Regenerate, do not edit.",
        f"connection {name}",
        f"address {address or f'{bridge.host}:{bridge.port}'}",
        f"remote_clientid {site.site.id}-bridge",
        "bridge_protocol_version mqttv311",
        "cleansession false",
        "start_type automatic",
        f"restart_timeout {timing.restart_base_s} {timing.restart_cap_s}",
        f"keepalive_interval {timing.keepalive_s}",
        "notifications true",
        f"notification_topic {notification_topic(site)}",
    ]
    if bridge.tls:
        lines += [f"bridge_cafile {auth.cafile}", "bridge_tls_version tlsv1.2", "bridge_insecure false"]
    if auth.certfile:
        lines += [f"bridge_certfile {auth.certfile}", f"bridge_keyfile {auth.keyfile}"]
    if auth.username:
        lines.append(f"remote_username {auth.username}")
    if auth.password:
        lines.append(f"remote_password {auth.password}")
    for kind in bridge.topics_up:
        for pattern in UP_TOPICS[kind]:
            lines.append(f"topic {pattern} out 1 {local} {remote}")
    return "\n".join(lines) + "\n"


def central_acl_text(site: Site, bridge_user: str | None = None) -> str:
    """What the central broker's ACL needs for this site's bridge (for the central operator):
    write only under the site's own prefix, and its connection-state notification."""
    user = bridge_user or f"{site.site.id}-bridge"
    return (f"# Central broker ACL for the bridge of site {site.site.id}, made by broker_config.bridge.\n"
            f"user {user}\n"
            f"topic write {remote_prefix(site)}#\n"
            f"topic readwrite {notification_topic(site)}\n")
