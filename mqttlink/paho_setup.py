"""paho-mqtt clients set up the way every part of the product needs them.

MQTT v5 (response topic, correlation data, message expiry, reason codes) and
TCP_NODELAY on the socket: without it Nagle's algorithm plus delayed ACKs
turn a sub-millisecond request/reply into ~88 ms on loopback.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

#: a persistent session survives this long while its client is away (seconds)
SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass(frozen=True)
class TlsFiles:
    """TLS to the site's broker: the site CA, and the device's client certificate (its identity)."""

    ca: str
    cert: str | None = None
    key: str | None = None


def _nodelay(client, userdata, sock) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # a websocket or unix socket has no such option
        pass


def make_client(client_id: str, username: str | None = None, password: str | None = None,
                reconnect_min_s: float = 0.5, reconnect_max_s: float = 10.0,
                manual_ack: bool = False, tls: TlsFiles | None = None) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if username is not None:
        client.username_pw_set(username, password)
    if tls is not None:
        client.tls_set(ca_certs=tls.ca, certfile=tls.cert, keyfile=tls.key, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.on_socket_open = _nodelay
    # paho types these as int but computes with floats, so tests can use milliseconds
    client.reconnect_delay_set(min_delay=reconnect_min_s, max_delay=reconnect_max_s)  # type: ignore[arg-type]
    return client


def connect_properties(persistent: bool) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = SESSION_EXPIRY_S if persistent else 0
    return props


def publish_properties(**values) -> Properties:
    props = Properties(PacketTypes.PUBLISH)
    for name, value in values.items():
        setattr(props, name, value)
    return props


def publish_and_wait(client: mqtt.Client, topic: str, payload: bytes, timeout: float) -> None:
    """Publish retained at QoS 1 and wait at most ``timeout`` for the broker to have it: a goodbye
    (presence offline) before disconnecting, which would otherwise leave with it unsent."""
    info = client.publish(topic, payload, qos=1, retain=True)
    try:
        info.wait_for_publish(timeout=timeout)
    except (RuntimeError, ValueError):  # not connected any more, or the queue refused it
        pass
