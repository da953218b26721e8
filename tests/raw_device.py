"""A device's login used the way an attacker (or a buggy device) would: any payload, any QoS,
on its own request topics, through the real broker; replies collected by correlation data.

``DeviceLink`` only sends well-formed requests; this sends bytes.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from contract.topics import Topics


class RawDevice:
    """The device's own login (the broker makes its client id the device id: close the device's other
    connection first, or this one takes it over)."""

    def __init__(self, centre, device_id: str, password: str | None = None):
        self.topics = Topics(centre.site.site.id)
        self.device_id = device_id
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device_id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(device_id, password or centre.credentials.password_for(device_id))
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.cond = threading.Condition()
        #: correlation -> every reply payload (decoded) that carried it
        self.replies: dict[bytes, list[dict]] = {}
        self.uncorrelated: list[bytes] = []
        self.messages: list[tuple[str, bytes]] = []
        self._subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe(self.topics.reply(device_id), qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", centre.port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(5):
            raise RuntimeError(f"{device_id}: no SUBACK")

    def _on_message(self, _client, _userdata, message) -> None:
        correlation = getattr(message.properties, "CorrelationData", None) if message.properties else None
        with self.cond:
            self.messages.append((message.topic, message.payload))
            if message.topic == self.topics.reply(self.device_id) and correlation is not None:
                self.replies.setdefault(correlation, []).append(json.loads(message.payload))
            elif message.topic == self.topics.reply(self.device_id):
                self.uncorrelated.append(message.payload)
            self.cond.notify_all()

    def subscribe(self, topic: str) -> None:
        self._subscribed.clear()
        self.client.subscribe(topic, qos=1)
        self._subscribed.wait(5)

    def send(self, action: str, payload: bytes | dict, qos: int = 1, expiry_s: int = 60,
             correlation: bytes | None = None) -> bytes:
        """Publish a request; returns its correlation data (new random bytes unless given)."""
        if isinstance(payload, dict):
            payload = json.dumps(payload).encode()
        correlation = correlation or uuid.uuid4().bytes
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = correlation
        props.ResponseTopic = self.topics.reply(self.device_id)
        props.MessageExpiryInterval = expiry_s
        self.client.publish(self.topics.request(self.device_id, action), payload, qos=qos, properties=props)
        return correlation

    def request(self, action: str, request_id: str | None = None, qos: int = 1, deadline_s: float = 60,
                **fields) -> bytes:
        body = {"v": 1, "request_id": request_id or uuid.uuid4().hex,
                "deadline_ms": int((time.time() + deadline_s) * 1000), **fields}
        return self.send(action, body, qos=qos)

    def wait_reply(self, correlation: bytes, timeout: float = 5.0) -> dict:
        with self.cond:
            if not self.cond.wait_for(lambda: correlation in self.replies, timeout):
                raise AssertionError(f"{self.device_id}: no reply within {timeout} s")
            return self.replies[correlation][0]

    def wait_replies(self, correlations, timeout: float = 10.0) -> list[dict]:
        with self.cond:
            missing = lambda: [c for c in correlations if c not in self.replies]  # noqa: E731
            if not self.cond.wait_for(lambda: not missing(), timeout):
                raise AssertionError(f"{self.device_id}: {len(missing())} of {len(correlations)} requests "
                                     f"got no reply within {timeout} s")
            return [self.replies[c][0] for c in correlations]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_hub_online(centre, after: float, timeout: float = 20) -> None:
    """Until the hub says it is online in a presence message sent after ``after`` (Unix time)."""
    from mqtt_helpers import Inbox
    presence = Inbox()
    link = centre.monitor()  # read only: no device's login
    link.subscribe(Topics(centre.site.site.id).presence("hub"), presence)
    presence.wait_for(lambda t, p: p and p["online"] and p["since"] >= after, timeout)
    link.close()
