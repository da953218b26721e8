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

    with DeviceLink("cnai-lisboa", "kiosk-01", password, host="10.0.0.2", role="kiosk") as link:
        link.wait_connected()
        link.subscribe(link.topics.site_config(), on_config)
        result = link.request("issue_ticket", service="reception", language="uk")

Like a gpiozero device, it is closed once (``close()`` again does nothing) and
says what it is: ``<DeviceLink kiosk-01 (kiosk) of cnai-lisboa at 10.0.0.2:1883, connected>``.
Time and ids are injected (``clock=``, ``new_id=``) as the hub's ``Engine`` takes
its clock, so a test or the protocol document's example run gets the same
request ids, correlation data and times on every run.
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

from contract import payloads
from contract.acl import OPERATOR_ROLES, TOOL_ROLES
from contract.topics import Topics
from mqttlink.paho_setup import TlsFiles, connect_properties, make_client, publish_and_wait, publish_properties
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


@dataclass(frozen=True)
class OutgoingRequest:
    """A request as the link publishes it (``DeviceLink.request_message``)."""

    topic: str
    payload: bytes
    request_id: str
    correlation: bytes
    expiry_s: int


class DeviceLink:
    """One device's (or tool's) connection to its site's broker.

    ``site_id``, ``device_id`` and ``password`` say who it is; the rest are options: the broker
    (``host``, ``port``, ``keepalive_s``, ``tls``), the device's ``role`` and ``timing``, and
    ``clock`` (Unix seconds: request deadlines, presence and health times) and ``new_id`` (a
    ``uuid.UUID``: request ids and correlation data)."""

    def __init__(self, site_id: str, device_id: str, password: str | None, *, host: str = "127.0.0.1",
                 port: int = 1883, role: str = "device", timing: Timing | None = None,
                 keepalive_s: int = 10, tls: TlsFiles | None = None,
                 clock: Callable[[], float] = time.time, new_id: Callable[[], uuid.UUID] = uuid.uuid4):
        self.topics = Topics(site_id)
        self.site_id = site_id
        self.device_id = device_id
        self.role = role
        self.timing = timing or Timing()
        self.host, self.port, self.keepalive_s = host, port, keepalive_s
        self.clock = clock
        self.new_id = new_id
        self._pending: dict[bytes, _Pending] = {}
        self._lock = threading.Lock()
        self._subscriptions: dict[str, tuple[int, MessageCallback]] = {}
        self._connected = threading.Event()
        self._started = False
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
            self.client.will_set(self.topics.presence(device_id), self.presence_payload(False), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._connected.is_set():
            state = "connected"
        else:
            state = "connecting" if self._started else "not started"
        return (f"<DeviceLink {self.device_id} ({self.role}) of {self.site_id} at {self.host}:{self.port}, "
                f"{state}>")

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "DeviceLink":
        if self._closed:
            raise LinkError(f"{self.device_id}: the link is closed; make a new one")
        if not self._started:
            self._started = True
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
            publish_and_wait(self.client, self.topics.presence(self.device_id), self.presence_payload(False), timeout=1)
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
    def request_message(self, action: str, request_id: str | None = None, **fields) -> OutgoingRequest:
        """The request as it goes out: a new request id unless a retry gives the first one, the
        deadline ``timing.request_expiry_s`` from now (also the MQTT message expiry), new
        correlation data."""
        request_id = request_id or self.new_id().hex
        expiry_s = self.timing.request_expiry_s
        payload = payloads.request(request_id, int((self.clock() + expiry_s) * 1000), fields)
        return OutgoingRequest(self.topics.request(self.device_id, action),
                               json.dumps(payload, separators=(",", ":")).encode(), request_id,
                               self.new_id().bytes, max(1, math.ceil(expiry_s)))

    def request_properties(self, message: OutgoingRequest):
        """The MQTT v5 properties a request is published with: where and how to answer, and its expiry."""
        return publish_properties(ResponseTopic=self.topics.reply(self.device_id), CorrelationData=message.correlation,
                                  MessageExpiryInterval=message.expiry_s)

    def request_async(self, action: str, request_id: str | None = None, **fields) -> Future:
        """Send a request; the future resolves to the reply dict (ok or not)."""
        message = self.request_message(action, request_id, **fields)
        future: Future = Future()
        if self.read_only:
            future.set_exception(LinkError(f"{self.device_id} is a read-only {self.role}: it sends no requests"))
            return future
        if not self._connected.is_set():
            future.set_exception(LinkError("not connected to the broker"))
            return future
        with self._lock:
            self._pending[message.correlation] = _Pending(future, message.request_id)
        info = self.client.publish(message.topic, message.payload, qos=1, properties=self.request_properties(message))
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            with self._lock:
                self._pending.pop(message.correlation, None)
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
    def presence_payload(self, online: bool) -> bytes:
        """The device's retained presence; offline, it is also the last will."""
        return json.dumps(payloads.presence(self.device_id, self.role, online, self.clock())).encode()

    def health_payload(self, **status) -> bytes:
        """The device's retained health report (``publish_health`` sends it)."""
        return json.dumps(payloads.health(self.device_id, self.clock(), status)).encode()

    def publish_health(self, **status) -> None:
        self.client.publish(self.topics.health(self.device_id), self.health_payload(**status), qos=1, retain=True)

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
            client.publish(self.topics.presence(self.device_id), self.presence_payload(True), qos=1, retain=True)
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
            reply = payloads.read(message.payload)
            if reply is None:
                pending.future.set_exception(LinkError("unreadable reply: not a JSON object"))
            else:
                pending.future.set_result(reply)
            return
        payload = payloads.read(message.payload)
        if payload is None and message.payload:
            log.warning("%s: ignoring a message on %s that is not a JSON object", self.device_id, message.topic)
            return
        for pattern, (_, callback) in list(self._subscriptions.items()):
            if mqtt.topic_matches_sub(pattern, message.topic):
                try:
                    callback(message.topic, payload)
                except Exception:
                    log.exception("%s: a subscriber failed on %s", self.device_id, message.topic)
