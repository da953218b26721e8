"""The hub on MQTT: one paho client, one worker thread, group commits.

paho's network thread only queues what arrives; the worker takes everything
queued, runs it through the engine in one transaction, and publishes the
replies, events and retained state after the commit.  Requests are
acknowledged (manual QoS 1 ack) only after the commit, so a hub that dies
mid-batch gets them again from its persistent broker session, and the stored
replies make that harmless.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from contract.topics import Topics
from mqttlink.paho_setup import connect_properties, make_client, publish_properties
from siteconf.content import ContentPacks
from siteconf.schema import Site

from .clock import Clock
from .engine import Engine, Incoming, Outgoing
from .store import Store

log = logging.getLogger(__name__)

MAX_BATCH = 256
#: how often an idle hub checks whether a new service day has begun
TICK_S = 15.0
REPLY_EXPIRY_S = 60
EVENT_EXPIRY_S = 300


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str
    password: str
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 10.0
    keepalive_s: int = 10


class _Republish:
    """Worker task: publish all retained state (after every (re)connection)."""


def _presence(online: bool, since: float) -> bytes:
    return json.dumps({"v": 1, "type": "presence", "device": "hub", "role": "hub", "online": online,
                       "since": since}).encode()


class HubService:
    def __init__(self, site: Site, database: str, broker: BrokerAddress, clock: Clock | None = None,
                 content: ContentPacks | None = None, appointments: list | None = None):
        self.site = site
        self.broker = broker
        self.topics = Topics(site.site.id)
        self.store = Store(database)
        self.engine = Engine(site, self.store, clock, content, appointments)
        self.hub_id = site.hub_device.id
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._ready = threading.Event()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._beat = time.monotonic()
        self.batches = 0
        self._event_props = publish_properties(MessageExpiryInterval=EVENT_EXPIRY_S)  # the same for every event
        self.client = make_client(self.hub_id, broker.username, broker.password,
                                  broker.reconnect_min_s, broker.reconnect_max_s, manual_ack=True)
        self.client.will_set(self.topics.presence(self.hub_id), _presence(False, time.time()), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "HubService":
        self._worker = threading.Thread(target=self._work, name="hub-worker", daemon=True)
        self._worker.start()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.broker.keepalive_s,
                                  clean_start=False, properties=connect_properties(persistent=True))
        self.client.loop_start()
        return self

    def is_alive(self) -> bool:
        """The worker runs and has gone round its loop lately (the systemd watchdog asks)."""
        return (self._worker is not None and self._worker.is_alive()
                and time.monotonic() - self._beat < 3 * TICK_S)

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once connected, subscribed and all retained state is published."""
        return self._ready.wait(timeout)

    def stop(self) -> None:
        """Graceful stop: say offline, finish the queued work, close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._tasks.put(None)
        if self._worker:
            self._worker.join(timeout=10)
        if self._connected.is_set():
            info = self.client.publish(self.topics.presence(self.hub_id), _presence(False, time.time()),
                                       qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        self.store.close()

    close = stop

    def __enter__(self) -> "HubService":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------- paho callbacks
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("the broker refused the hub: %s", reason_code)
            return
        self._connected.set()
        client.subscribe(self.topics.all_requests(), qos=1)
        self._tasks.put(_Republish())

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
        self._ready.clear()
        if not self._stopping.is_set():
            log.warning("lost the broker (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        parsed = self.topics.parse_request(message.topic)
        if parsed is None:
            client.ack(message.mid, message.qos)
            return
        props = message.properties
        correlation = getattr(props, "CorrelationData", None) if props is not None else None
        self._tasks.put(Incoming(parsed[0], parsed[1], message.payload, correlation, message.mid))

    # ------------------------------------------------------------- the work
    def _work(self) -> None:
        while True:
            self._beat = time.monotonic()
            try:
                task = self._tasks.get(timeout=TICK_S)
            except queue.Empty:
                self._tick()
                continue
            if task is None:
                return
            batch: list[Incoming] = []
            republish = False
            while True:
                if isinstance(task, _Republish):
                    republish = True
                elif task is None:
                    self._tasks.put(None)
                    break
                else:
                    batch.append(task)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    task = self._tasks.get_nowait()
                except queue.Empty:
                    break
            try:
                if republish:
                    self._publish(self.engine.everything())
                    self.client.publish(self.topics.presence(self.hub_id), _presence(True, time.time()),
                                        qos=1, retain=True)
                    self._ready.set()
                if batch:
                    self._publish(self.engine.process(batch))
                    self.batches += 1
                    for incoming in batch:
                        self.client.ack(incoming.mid, 1)
            except Exception:  # the engine rolled back and reloaded; the broker redelivers unacked requests
                log.exception("the hub could not process a batch of %d requests", len(batch))

    def _tick(self) -> None:
        try:
            self._publish(self.engine.tick())
        except Exception:
            log.exception("the periodic check failed")

    def _publish(self, outgoing: list[Outgoing]) -> None:
        for out in outgoing:
            if out.kind == "reply":
                props = publish_properties(MessageExpiryInterval=REPLY_EXPIRY_S)
                if out.correlation is not None:
                    props.CorrelationData = out.correlation
                self.client.publish(out.topic, out.payload, qos=1, properties=props)
            elif out.kind == "event":
                self.client.publish(out.topic, out.payload, qos=1, properties=self._event_props)
            else:
                self.client.publish(out.topic, out.payload, qos=1, retain=out.retain)
