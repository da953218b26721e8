"""A paho MQTT v5 test client that waits for each acknowledgement, for asserting reason codes.

Used by the broker tests (passwords on the loopback listener, client
certificates on the TLS listener).  A refused TLS handshake (no certificate,
another CA, a revoked certificate) shows as ``connect()`` returning
``REFUSED_TLS``: the broker closed the connection before any CONNACK.
"""

from __future__ import annotations

import ssl
import threading

import paho.mqtt.client as mqtt

from mqttlink.paho_setup import TlsFiles, make_client

WAIT_S = 5.0
#: connect() result when the TLS handshake or the connection failed before a CONNACK
REFUSED_TLS = -1


class Peer:
    def __init__(self, host: str, port: int, user: str | None, password: str | None = None,
                 client_id: str | None = None, clean_start: bool = True, session_expiry: int = 0,
                 tls: TlsFiles | None = None, log=lambda: ""):
        self.host, self.port = host, port
        self.log = log
        # paho's own reconnect pauses (1 s to 2 min): a refused peer must not come back while a test looks
        self.client = make_client(client_id or f"test-{user}", user, password, reconnect_min_s=1,
                                  reconnect_max_s=120, tls=tls)
        self.clean_start = clean_start
        self.session_expiry = session_expiry
        self.cond = threading.Condition()
        self.connack = None
        self.closed = False
        self.session_present = None
        self.acks: dict[int, object] = {}
        self.messages: list[mqtt.MQTTMessage] = []
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = lambda _c, _u: self._closed()
        self.client.on_disconnect = lambda *_a: self._closed()
        self.client.on_publish = lambda _c, _u, mid, reason, _p: self._ack(mid, reason)
        self.client.on_subscribe = lambda _c, _u, mid, reasons, _p: self._ack(mid, reasons)
        self.client.on_message = self._on_message

    # callbacks (paho's network thread)
    def _on_connect(self, _c, _u, flags, reason, _p):
        with self.cond:
            self.connack, self.session_present = reason, flags.session_present
            self.cond.notify_all()

    def _closed(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _ack(self, mid, reason):
        with self.cond:
            self.acks[mid] = reason
            self.cond.notify_all()

    def _on_message(self, _c, _u, message):
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def _wait(self, predicate, what: str):
        with self.cond:
            if not self.cond.wait_for(predicate, WAIT_S):
                raise AssertionError(f"no {what} within {WAIT_S} s\n{self.log()[-2000:]}")

    # actions
    def connect(self) -> int:
        """The CONNACK reason code, or REFUSED_TLS when the connection ended before one."""
        props = mqtt.Properties(mqtt.PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        try:
            self.client.connect(self.host, self.port, keepalive=10, clean_start=self.clean_start,
                                properties=props)
        except (ssl.SSLError, OSError):
            return REFUSED_TLS
        self.client.loop_start()
        self._wait(lambda: self.connack is not None or self.closed, "CONNACK")
        if self.connack is None:
            return REFUSED_TLS
        return self.connack.value

    def publish(self, topic: str, payload: bytes = b"{}", retain: bool = False) -> int:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        self._wait(lambda: info.mid in self.acks, f"PUBACK for {topic}")
        return self.acks[info.mid].value

    def subscribe(self, topic: str) -> int:
        _rc, mid = self.client.subscribe(topic, qos=1)
        self._wait(lambda: mid in self.acks, f"SUBACK for {topic}")
        return self.acks[mid][0].value

    def wait_for(self, topic: str) -> mqtt.MQTTMessage:
        self._wait(lambda: any(m.topic == topic for m in self.messages), f"message on {topic}")
        return next(m for m in self.messages if m.topic == topic)

    def topics(self) -> list[str]:
        with self.cond:
            return [m.topic for m in self.messages]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
