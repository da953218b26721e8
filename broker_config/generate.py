"""Turn a site file and its credentials into the Mosquitto config that enforces the contract.

The ACL comes from ``contract.acl.RULES``, the same source as the hub's checks
and docs/protocol.md, so the broker never allows what the contract forbids.
The main ``mosquitto.conf`` has no listener: the listener (port, address,
``user``) comes from a file in ``conf.d/``, so production and tests run the
very same main file.

Mosquitto 2.0 refuses a second ``persistence_location`` ("Duplicate
persistence_location value"), so the persistence directory is fixed here,
at generation time (``data_dir``), not in an include file.

Every listener binds the client id to the identity (``LISTENER_IDENTITY``):
Mosquitto 2.0 reads ``use_username_as_clientid`` per listener (``cur_listener``
in its config parser, whatever ``per_listener_settings`` says), so each
listener file carries it, the test runner's too (broker_config.runner).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from contract.acl import RULES, TOOL_ROLES, Rule, Tool, rules_for, tool_of
from contract.topics import Topics
from siteconf.schema import Site

from .credentials import SiteCredentials
from .passwords import hash_password

LISTENER_FILE = "listener.conf"
BRIDGE_FILE = "bridge.conf"
TLS_LISTENER_FILE = "tls-listener.conf"
#: production autosave interval (s): see mosquitto_conf_text for the power-loss / SD-card-wear trade-off
PRODUCTION_AUTOSAVE_S = 10
#: in every listener block: the client id is the user name (a device id, a tool's identity, or on the TLS
#: listener the certificate's Common Name), so no login can take over another's connection or stored session
LISTENER_IDENTITY = """\
# The client id is replaced by the user name (on TLS: the certificate's CN), so a
# login can neither disconnect another identity nor resume its stored session.
use_username_as_clientid true
"""


@dataclass(frozen=True)
class TlsListener:
    """The LAN listener: TLS with the site CA, a client certificate required, its CN is the user name.

    Paths are where the files live on the hub.  ``host=None`` listens on every address.
    """

    port: int
    cafile: str
    certfile: str
    keyfile: str
    crlfile: str
    host: str | None = None


@dataclass(frozen=True)
class BrokerFiles:
    """Where ``write_broker_files`` put everything (local paths)."""

    out_dir: Path
    conf: Path
    acl: Path
    passwd: Path
    conf_d: Path
    data_dir: Path
    listener: Path | None = None
    tls_listener: Path | None = None
    bridge: Path | None = None


def write_broker_files(site: Site, credentials: SiteCredentials, out_dir: Path | str, *,
                       listener: tuple[str, int] | None = None,
                       install_dir: Path | str | None = None,
                       data_dir: Path | str | None = None,
                       tls: TlsListener | None = None,
                       autosave_s: int = 1,
                       bridge_conf: str | None = None) -> BrokerFiles:
    """Write mosquitto.conf, acl, passwd, conf.d/ (and conf.d/listener.conf when asked).

    ``install_dir`` is where the files will live on the hub (the absolute paths
    written into mosquitto.conf); it defaults to ``out_dir``.  ``data_dir`` is
    the broker's persistence directory, by default ``<install_dir>/data``.
    ``listener=("0.0.0.0", 1883)`` writes the production listener; without it
    no listener file is written (and a stale one from an earlier call is removed).
    ``tls`` writes conf.d/tls-listener.conf (client certificates, CRL); the same
    rule applies.  ``autosave_s`` is the persistence interval (tests: 1 s; a hub:
    ``PRODUCTION_AUTOSAVE_S``).  ``bridge_conf`` (from ``broker_config.bridge``)
    is written to conf.d/bridge.conf.
    """
    out = Path(out_dir).resolve()
    where = Path(install_dir) if install_dir is not None else out
    data = Path(data_dir) if data_dir is not None else where / "data"
    conf_d = out / "conf.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    if install_dir is None:
        data.mkdir(parents=True, exist_ok=True)

    files = BrokerFiles(out_dir=out, conf=out / "mosquitto.conf", acl=out / "acl",
                        passwd=out / "passwd", conf_d=conf_d, data_dir=data)
    _write(files.passwd, passwd_text(site, credentials), 0o640)
    _write(files.acl, acl_text(site, credentials), 0o644)
    _write(files.conf, mosquitto_conf_text(where, data, autosave_s), 0o644)

    made: dict[str, Path] = {}
    listener_path = conf_d / LISTENER_FILE
    if listener is not None:
        host, port = listener
        _write(listener_path, listener_text(host, port), 0o644)
        made["listener"] = listener_path
    else:
        listener_path.unlink(missing_ok=True)
    tls_path = conf_d / TLS_LISTENER_FILE
    if tls is not None:
        _write(tls_path, tls_listener_text(tls), 0o644)
        made["tls_listener"] = tls_path
    else:
        tls_path.unlink(missing_ok=True)
    bridge_path = conf_d / BRIDGE_FILE
    if bridge_conf is not None:
        _write(bridge_path, bridge_conf, 0o640)  # may hold the central broker password
        made["bridge"] = bridge_path
    else:
        bridge_path.unlink(missing_ok=True)
    return BrokerFiles(**{**files.__dict__, **made}) if made else files


# ---------------------------------------------------------------------------
# File contents
# ---------------------------------------------------------------------------


def mosquitto_conf_text(install_dir: Path, data_dir: Path, autosave_s: int = 1) -> str:
    return f"""\
# Mosquitto 2.0 main config of a One-Stop-Shop site, made by broker_config.generate.
# Do not edit: regenerate it from the site file.  No listener here: it comes from
# conf.d/ (listener.conf in production, zz-local.conf when tests run the broker).

per_listener_settings false
allow_anonymous false
password_file {install_dir / "passwd"}
acl_file {install_dir / "acl"}

# Small request/reply messages: send at once instead of waiting for Nagle.
set_tcp_nodelay true

# Sessions, queued QoS 1 messages and retained state survive restarts: a clean
# stop (systemctl stop/restart, SIGTERM) always writes the database.  On a power
# cut, what arrived since the last autosave ({autosave_s} s) is lost: queued requests,
# which devices retry with the same request_id (a handed-out ticket is never
# among them: the hub commits before it replies).  Each autosave rewrites the
# whole database, so the interval trades that loss window against SD-card
# wear (docs/decisions.md: tests 1 s, a hub {PRODUCTION_AUTOSAVE_S} s).
persistence true
persistence_location {str(data_dir).rstrip("/")}/
autosave_interval {autosave_s}
autosave_on_changes false

# Room for bursts (a whole zone calling at opening time) without dropping QoS 1
# messages for a device that is briefly offline; expire sessions of devices that
# never come back (retired without being removed) so their queues do not grow.
max_inflight_messages 100
max_queued_messages 10000
persistent_client_expiration 14d

log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true

include_dir {install_dir / "conf.d"}
"""


def listener_text(host: str, port: int) -> str:
    return f"""\
# Production listener, made by broker_config.generate.
listener {port} {host}
""" + LISTENER_IDENTITY


def tls_listener_text(tls: TlsListener) -> str:
    bind = f"{tls.port} {tls.host}" if tls.host else f"{tls.port}"
    return f"""\
# LAN listener, made by broker_config.generate: TLS with the site's own CA.
# A device proves who it is with its client certificate; the certificate's
# Common Name (the device id, or doctor.<device id> for its doctor) becomes
# its MQTT user name, so the ACL applies.
# A retired or replaced device's certificate is in the CRL and is refused.
listener {bind}
cafile {tls.cafile}
certfile {tls.certfile}
keyfile {tls.keyfile}
crlfile {tls.crlfile}
require_certificate true
use_identity_as_username true
tls_version tlsv1.2
""" + LISTENER_IDENTITY


def broker_tools(site: Site, credentials: SiteCredentials) -> list[Tool]:
    """The tools and operators the broker knows: every such identity the credentials hold a password for
    (``SiteCredentials.ensure``), a doctor only while its device is in the site file."""
    devices = {d.id for d in site.devices}
    tools = [tool_of(identity) for identity in sorted(credentials.passwords)]
    return [t for t in tools if t is not None and (t.role != "doctor" or t.device in devices)]


def passwd_text(site: Site, credentials: SiteCredentials) -> str:
    missing = [d.id for d in site.devices if d.id not in credentials.passwords]
    if missing:
        raise ValueError(f"no broker password for {', '.join(missing)}: "
                         "call SiteCredentials.ensure(site) before writing the broker files")
    users = [d.id for d in site.devices] + [t.id for t in broker_tools(site, credentials)]
    return "".join(f"{user}:{hash_password(credentials.passwords[user])}\n" for user in users)


def acl_text(site: Site, credentials: SiteCredentials) -> str:
    """One ``user`` block per broker identity with its rules filled in: identity-bound rules with its own
    id, role rules with its zone and counter, a doctor's with the device it checks.  No ``pattern`` lines:
    a pattern applies to every user, and the tools must get nothing but their own read rules."""
    base = Topics(site.site.id).base
    lines = [
        f"# Mosquitto ACL of site {site.site.id}, made by broker_config.generate from contract.acl.RULES.",
        "# Do not edit: regenerate it from the site file.  What each rule is for:",
    ]
    lines += [f"#   {r.who} {r.access} {r.topic}: {r.why}" for r in RULES]
    devices = [site.hub_device] + [d for d in site.devices if d.role != "hub"]
    for device in devices:
        lines += ["", f"# --- {device.role} {device.id} ---", f"user {device.id}"]
        lines += [f"topic {rule.access} "
                  + _fill(rule, base=base, device=device.id, zone=site.device_zone(device), counter=device.counter)
                  for rule in rules_for(device.role)]
    for tool in broker_tools(site, credentials):
        kind = "read only" if tool.role in TOOL_ROLES else "operator"
        lines += ["", f"# --- {tool.role} {tool.id} ({kind}) ---", f"user {tool.id}"]
        lines += [f"topic {rule.access} {_fill(rule, base=base, device=tool.device)}"
                  for rule in rules_for(tool.role)]
    return "\n".join(lines) + "\n"


def _fill(rule: Rule, **values: str | None) -> str:
    for name, value in values.items():
        if value is None and f"{{{name}}}" in rule.topic:
            raise ValueError(f"ACL rule for {rule.who!r} needs a {name}, which the device lacks: {rule.topic}")
    try:
        return rule.topic.format(**values)
    except KeyError as exc:
        raise ValueError(f"ACL rule for {rule.who!r} uses {{{exc.args[0]}}}, "
                         f"which cannot be filled here: {rule.topic}") from None


def _write(path: Path, text: str, mode: int) -> None:
    """Write via a temporary file and rename, so a broker reloading never reads half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(text)
    os.replace(tmp, path)

