"""A device's connection to its site: requests to the hub, retained state, presence.

Every kiosk, counter and display uses ``DeviceLink``.  It logs in with the
device's own credentials, keeps a retained presence with a last will, sends
requests as MQTT v5 messages with a response topic, correlation data and a
message expiry, and hands replies and subscribed messages to callbacks on
paho's network thread (a Kivy app moves them to its main thread itself).

The client id is always the identity: the broker replaces any other with the
user name (``use_username_as_clientid``), so one identity is one connection.
A read-only tool (``contract.acl.TOOL_ROLES``: a monitor, a doctor) uses the
same class for its subscriptions; it keeps no presence and sends no requests.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

import paho.mqtt.client as mqtt

from contract.acl import OPERATOR_ROLES, TOOL_ROLES
from contract.topics import Topics
from mqttlink.paho_setup import TlsFiles, connect_properties, make_client, publish_properties
from siteconf.device import Timing

log = logging.getLogger(__name__)

MessageCallback = Callable[[str, Any], None]


class LinkError(Exception):
    """The hub could not be asked (not connected) or did not answer in time."""


class RequestRefused(Exception):
    """The hub answered with an error reply."""

    def __init__(self, reply: dict):
        self.reply = reply
        self.code = reply.get("error", {}).get("code", "")
        super().__init__(f"{self.code}: {reply.get('error', {}).get('message', '')}")


@dataclass
class _Pending:
    future: Future
    request_id: str


class DeviceLink:
    def __init__(self, site_id: str, device_id: str, password: str | None, host: str = "127.0.0.1",
                 port: int = 1883, role: str = "device", timing: Timing | None = None,
                 keepalive_s: int = 10, tls: TlsFiles | None = None):
        self.topics = Topics(site_id)
        self.device_id = device_id
        self.role = role
        self.timing = timing or Timing()
        self.host, self.port, self.keepalive_s = host, port, keepalive_s
        self._pending: dict[bytes, _Pending] = {}
        self._lock = threading.Lock()
        self._subscriptions: dict[str, tuple[int, MessageCallback]] = {}
        self._connected = threading.Event()
        self._closed = False
        self.on_connection_change: Callable[[bool], None] | None = None
        self.last_connack: mqtt.ReasonCode | None = None
        self.client = make_client(device_id, device_id, password,
                                  self.timing.reconnect_min_s, self.timing.reconnect_max_s, tls=tls)
        #: a read-only tool (a monitor, a doctor): no presence, no replies, no requests
        self.read_only = role in TOOL_ROLES
        #: devices keep a presence; tools and operators (people's commands) do not
        self.announce_presence = not self.read_only and role not in OPERATOR_ROLES
        if self.announce_presence:
            self.client.will_set(self.topics.presence(device_id), self._presence(False), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "DeviceLink":
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive_s, clean_start=True,
                                  properties=connect_properties(persistent=False))
        self.client.loop_start()
        return self

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Say offline and disconnect. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._connected.is_set() and self.announce_presence:
            info = self.client.publish(self.topics.presence(self.device_id), self._presence(False), qos=1,
                                       retain=True)
            try:
                info.wait_for_publish(timeout=1)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        with self._lock:
            for pending in self._pending.values():
                pending.future.set_exception(LinkError("the link was closed"))
            self._pending.clear()

    def __enter__(self) -> "DeviceLink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------ subscriptions
    def subscribe(self, topic: str, callback: MessageCallback, qos: int = 1) -> None:
        """Call ``callback(topic, payload)`` for every message; JSON payloads arrive decoded,
        an empty retained payload (a cleared topic) arrives as None.  Survives reconnects."""
        self._subscriptions[topic] = (qos, callback)
        if self._connected.is_set():
            self.client.subscribe(topic, qos=qos)

    # ------------------------------------------------------------ requests
    def request_async(self, action: str, request_id: str | None = None, **fields) -> Future:
        """Send a request; the future resolves to the reply dict (ok or not)."""
        request_id = request_id or uuid.uuid4().hex
        expiry_s = self.timing.request_expiry_s
        payload = {"v": 1, "request_id": request_id,
                   "deadline_ms": int((time.time() + expiry_s) * 1000), **fields}
        correlation = uuid.uuid4().bytes
        future: Future = Future()
        if self.read_only:
            future.set_exception(LinkError(f"{self.device_id} is a read-only {self.role}: it sends no requests"))
            return future
        if not self._connected.is_set():
            future.set_exception(LinkError("not connected to the broker"))
            return future
        with self._lock:
            self._pending[correlation] = _Pending(future, request_id)
        props = publish_properties(ResponseTopic=self.topics.reply(self.device_id), CorrelationData=correlation,
                                   MessageExpiryInterval=max(1, math.ceil(expiry_s)))
        info = self.client.publish(self.topics.request(self.device_id, action),
                                   json.dumps(payload, separators=(",", ":")).encode(), qos=1, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            with self._lock:
                self._pending.pop(correlation, None)
            future.set_exception(LinkError(f"could not send: {mqtt.error_string(info.rc)}"))
        return future

    def request(self, action: str, timeout: float | None = None, request_id: str | None = None, **fields) -> dict:
        """Send a request and wait for the reply; raise RequestRefused on an error reply,
        LinkError when the hub does not answer within the timeout."""
        future = self.request_async(action, request_id=request_id, **fields)
        wait = self.timing.request_timeout_s if timeout is None else timeout
        try:
            reply = future.result(timeout=wait)
        except TimeoutError:
            self._forget(future)
            raise LinkError(f"the hub did not answer {action} within {wait:.2f} s") from None
        if not reply.get("ok"):
            raise RequestRefused(reply)
        return reply["result"]

    def _forget(self, future: Future) -> None:
        with self._lock:
            for key, pending in list(self._pending.items()):
                if pending.future is future:
                    del self._pending[key]

    # ------------------------------------------------------- presence/health
    def _presence(self, online: bool) -> bytes:
        return json.dumps({"v": 1, "type": "presence", "device": self.device_id, "role": self.role,
                           "online": online, "since": time.time()}).encode()

    def publish_health(self, **status) -> None:
        payload = {"v": 1, "type": "health", "device": self.device_id, "at": time.time(), **status}
        self.client.publish(self.topics.health(self.device_id), json.dumps(payload).encode(), qos=1, retain=True)

    # ------------------------------------------------------ paho callbacks
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self.last_connack = reason_code
        if reason_code.is_failure:
            log.error("%s: the broker refused the connection: %s", self.device_id, reason_code)
            return
        if not self.read_only:
            client.subscribe(self.topics.reply(self.device_id), qos=1)
        for topic, (qos, _) in self._subscriptions.items():
            client.subscribe(topic, qos=qos)
        if self.announce_presence:
            client.publish(self.topics.presence(self.device_id), self._presence(True), qos=1, retain=True)
        self._connected.set()
        if self.on_connection_change:
            self.on_connection_change(True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was and self.on_connection_change:
            self.on_connection_change(False)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if message.topic == self.topics.reply(self.device_id):
            correlation = getattr(message.properties, "CorrelationData", None) if message.properties else None
            with self._lock:
                pending = self._pending.pop(correlation, None) if correlation else None
            if pending is None:
                return  # a late or duplicate reply: the caller has moved on
            try:
                pending.future.set_result(json.loads(message.payload))
            except ValueError as exc:
                pending.future.set_exception(LinkError(f"unreadable reply: {exc}"))
            return
        payload: Any
        if not message.payload:
            payload = None
        else:
            try:
                payload = json.loads(message.payload)
            except ValueError:
                log.warning("%s: ignoring a non-JSON message on %s", self.device_id, message.topic)
                return
        for pattern, (_, callback) in list(self._subscriptions.items()):
            if mqtt.topic_matches_sub(pattern, message.topic):
                try:
                    callback(message.topic, payload)
                except Exception:
                    log.exception("%s: a subscriber failed on %s", self.device_id, message.topic)
