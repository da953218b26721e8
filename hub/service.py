"""The hub on MQTT: one paho client, one worker thread, group commits.

paho's network thread only queues what arrives; the worker takes everything
queued, runs it through the engine in one transaction, and publishes the
replies, events and retained state after the commit.  Requests are
acknowledged (manual QoS 1 ack) only after the commit, so a hub that dies
mid-batch gets them again from its persistent broker session, and the stored
replies make that harmless.  Replies and events are written to an outbox in
the transaction of their effect and deleted once the broker has acknowledged
them; a hub that died in between publishes what is left at its next start.

Nothing a device sends can stop the worker: the engine judges every request
on its own (a poison request is refused ``internal``), and a failure of the
database itself is retried with a pause while the watchdog (``is_alive``)
stops being fed once a request has waited unacknowledged for
``stuck_after_s``, so systemd restarts a hub that has gone deaf.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from contract import payloads
from contract.acl import SITE_OPERATORS
from contract.errors import Reason
from contract.topics import EVENT_EXPIRY_S, HUB_ID, REPLY_EXPIRY_S, Topics
from mqttlink.paho_setup import connect_properties, make_client, publish_and_wait, publish_properties
from siteconf.content import ContentPacks
from siteconf.schema import Site

from .clock import Clock
from .engine import MAX_CORRELATION_BYTES, Engine, Incoming, Outgoing, error_reply
from .limits import QUARANTINE_AFTER_DROPS, FairIntake, RequestLimiter, device_limits
from .store import Store

log = logging.getLogger(__name__)

MAX_BATCH = 256
#: how often an idle hub checks whether a new service day has begun
TICK_S = 15.0
#: a request unacknowledged this long means the hub is deaf: the watchdog stops being fed
STUCK_AFTER_S = 10.0
#: the hub's retained health report is refreshed at most this often (when something changed)
HEALTH_EVERY_S = 5.0
#: one summary line of refusals in the log at most this often
LOG_SUMMARY_EVERY_S = 60.0
#: pauses between attempts at a batch the database refused (locked, disk error)
RETRY_PAUSES_S = (0.05, 0.2, 0.5, 1.0, 2.0)
#: test-only: ``after_commit`` or ``after_publish`` (optionally ``:N``: in the batch that holds the
#: Nth request since start) kills the hub there with SIGKILL, for the crash tests
#: (tests/test_hub_holds.py)
CRASH_ENV = "ONESTOP_TEST_CRASH_AT"


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


def presence(online: bool, since: float) -> bytes:
    """The hub's retained presence (and, offline, its last will)."""
    return json.dumps(payloads.presence(HUB_ID, "hub", online, since)).encode()


class HubService:
    def __init__(self, site: Site, database: str, broker: BrokerAddress, clock: Clock | None = None,
                 content: ContentPacks | None = None, appointments: list | None = None, *,
                 stuck_after_s: float = STUCK_AFTER_S, guest_key: bytes | None = None):
        self.site = site
        self.broker = broker
        self.topics = Topics(site.site.id)
        self.store = Store(database)
        self.engine = Engine(site, self.store, clock, content, appointments, guest_key=guest_key)
        self.hub_id = site.hub_device.id
        self.stuck_after_s = stuck_after_s
        self._intake: FairIntake[str, Incoming] = FairIntake()
        #: per-device token buckets, judged on paho's thread before anything is parsed
        self.limiter = RequestLimiter(device_limits(site))
        #: what paho's thread refused or dropped before the worker saw it: (device, why) -> count
        self.intake_refused: Counter[tuple[str, str]] = Counter()
        self.intake_dropped: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._ready = threading.Event()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._beat = self._ticked = time.monotonic()
        self.batches = 0
        self.requests = 0
        #: QoS 1 requests received and not yet acknowledged: mid -> when (monotonic), in arrival order
        self._unacked: dict[int, float] = {}
        self._unacked_lock = threading.Lock()
        #: PUBACKed message ids (paho's thread) -> outbox rows the worker deletes with its next commit
        self._puback_mids: queue.SimpleQueue = queue.SimpleQueue()
        self._outbox_mids: dict[int, int] = {}
        self._delivered: list[int] = []
        self._drained = False
        self._crash_at = _crash_point(os.environ.get(CRASH_ENV, ""))
        self._health = _HealthReporter(self)
        self._event_props = publish_properties(MessageExpiryInterval=EVENT_EXPIRY_S)  # the same for every event
        self.client = make_client(self.hub_id, broker.username, broker.password,
                                  broker.reconnect_min_s, broker.reconnect_max_s, manual_ack=True)
        self.client.will_set(self.topics.presence(self.hub_id), presence(False, time.time()), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "HubService":
        self._worker = threading.Thread(target=self._work, name="hub-worker", daemon=True)
        self._worker.start()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.broker.keepalive_s,
                                  clean_start=False, properties=connect_properties(persistent=True))
        self.client.loop_start()
        return self

    def is_alive(self) -> bool:
        """Whether systemd's watchdog may be fed: the worker runs and turns, the hub is connected,
        and no request has waited unacknowledged longer than ``stuck_after_s``.

        A hub whose worker turns but acknowledges nothing is deaf: the broker stops delivering
        once ``max_inflight_messages`` requests wait for it, for every device at once.  Only a
        restart (the broker then delivers them again) helps."""
        return (self._worker is not None and self._worker.is_alive()
                and time.monotonic() - self._beat < 3 * TICK_S
                and self._connected.is_set()
                and self.oldest_unacked_s() < self.stuck_after_s)

    def oldest_unacked_s(self) -> float:
        """How long the oldest request not yet acknowledged has waited (0 when none)."""
        with self._unacked_lock:
            first = next(iter(self._unacked.values()), None)
        return 0.0 if first is None else time.monotonic() - first

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once connected, subscribed and all retained state is published."""
        return self._ready.wait(timeout)

    def stop(self) -> None:
        """Graceful stop: say offline, finish the queued work, close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._intake.put_control(None)
        if self._worker:
            self._worker.join(timeout=10)
        if self._connected.is_set():
            publish_and_wait(self.client, self.topics.presence(self.hub_id), presence(False, time.time()), timeout=2)
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
        self._intake.put_control(_Republish())  # the worker subscribes (the session keeps what it had)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
        self._ready.clear()
        with self._unacked_lock:
            self._unacked.clear()  # the broker delivers them again on the next connection
        if not self._stopping.is_set():
            log.warning("lost the broker (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        parsed = self.topics.parse_request(message.topic)
        if parsed is None:
            client.ack(message.mid, message.qos)  # ack() does nothing for QoS 0
            return
        device, action = parsed
        props = message.properties
        correlation = getattr(props, "CorrelationData", None) if props is not None else None
        verdict = self.limiter.judge(device)
        if verdict != "ok":
            client.ack(message.mid, message.qos)
            if verdict == "quarantine":
                self.intake_dropped["rate_limited"] += 1
                self.client.unsubscribe(self.topics.device_requests(device))
                log.warning("%s floods the hub (%d requests over its limit in a second): not listening to it for "
                            "%.0f s", device, QUARANTINE_AFTER_DROPS, self.limiter.quarantine_s(device))
                return
            if verdict == "drop":
                self.intake_dropped["unknown_device" if device not in self.limiter.limits else "rate_limited"] += 1
                return
            self.intake_refused[(device, str(Reason.RATE_LIMITED))] += 1
            reply = error_reply(action, None, self.engine.rev, Reason.RATE_LIMITED,
                                "more requests than this device's limit (site file: limits); nothing was read")
            props = publish_properties(MessageExpiryInterval=REPLY_EXPIRY_S)
            if correlation is not None and len(correlation) <= MAX_CORRELATION_BYTES:
                props.CorrelationData = correlation
            client.publish(self.topics.reply(device), reply, qos=1, properties=props)
            return
        if message.qos:
            with self._unacked_lock:
                self._unacked.setdefault(message.mid, time.monotonic())
        self._intake.put(device, Incoming(device, action, message.payload, correlation, message.mid, message.qos))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._puback_mids.put(mid)

    # ------------------------------------------------------------- the work
    def _work(self) -> None:
        while True:
            self._beat = time.monotonic()
            self._collect_delivered()
            self._release_quarantined()
            wait = 1.0 if self._delivered or self._health.due() else TICK_S
            release = self.limiter.next_release_in()
            if release is not None:
                wait = min(wait, release + 0.01)
            control, batch = self._intake.take(MAX_BATCH, timeout=wait)
            if not control and not batch:
                self._tick()
                continue
            if None in control:
                if batch:  # taken before the stop: the broker delivers them to the next start
                    with self._unacked_lock:
                        for incoming in batch:
                            self._unacked.pop(incoming.mid, None)
                self._flush_outbox()
                return
            if control:
                self._republish()
            if batch:
                self._process(batch)
            if time.monotonic() - self._ticked >= TICK_S:  # a busy hub is never idle for a whole tick
                self._tick()
            self._health.maybe_publish()

    def _subscribe(self) -> None:
        """Listen to each device's requests (not ``req/+/+``: a flooder's topic can then be left
        alone), and stop listening to what an earlier site file or firmware had subscribed."""
        senders = [d.id for d in self.site.devices if d.role != "hub"] + list(SITE_OPERATORS)
        wanted = {self.topics.device_requests(who) for who in senders if who not in self.limiter.quarantined}
        previous = set(json.loads(self.store.meta("subscriptions") or "[]")) | {self.topics.all_requests()}
        stale = sorted(previous - wanted)
        if stale:
            self.client.unsubscribe(stale)
        if wanted:
            self.client.subscribe([(topic, 1) for topic in sorted(wanted)])
        self.store.begin()
        self.store.set_meta("subscriptions", json.dumps(sorted(wanted)))
        self.store.commit()

    def _release_quarantined(self) -> None:
        for device in self.limiter.release_due():
            log.info("listening to %s again", device)
            self.client.subscribe(self.topics.device_requests(device), qos=1)

    def _republish(self) -> None:
        try:
            self._subscribe()
            if not self._drained:  # what a hub that died after a commit had not delivered
                self._drained = True
                left = self.engine.undelivered()
                if left:
                    log.info("delivering %d replies and events committed before the last stop", len(left))
                self._publish(left)
            self._publish(self.engine.everything())
            self.client.publish(self.topics.presence(self.hub_id), presence(True, time.time()), qos=1, retain=True)
            self._health.publish()
            self._ready.set()
        except Exception:
            log.exception("could not publish the retained state; trying again")
            self._intake.put_control(_Republish())
            time.sleep(RETRY_PAUSES_S[-1])

    def _process(self, batch: list[Incoming]) -> None:
        """Apply, publish, then acknowledge.  Only the database can make ``engine.process`` fail
        (a poison request is refused inside it); then the same batch is tried again after a
        pause, and the requests stay unacknowledged, so the watchdog sees a hub that is stuck."""
        for attempt in range(10 ** 9):
            if self._stopping.is_set():
                return  # unacknowledged: the broker delivers them to the next start
            try:
                outgoing = self.engine.process(batch, self._delivered)
                break
            except Exception as exc:
                if attempt == 0:
                    log.error("the database refused a batch of %d requests (%s); trying again", len(batch), exc)
                self._beat = time.monotonic()
                time.sleep(RETRY_PAUSES_S[min(attempt, len(RETRY_PAUSES_S) - 1)])
        self._delivered = []
        self.batches += 1
        self.requests += len(batch)
        self._maybe_crash("after_commit")
        self._publish(outgoing)
        self._maybe_crash("after_publish")
        with self._unacked_lock:
            for incoming in batch:
                self._unacked.pop(incoming.mid, None)
        for incoming in batch:
            if incoming.qos:
                self.client.ack(incoming.mid, incoming.qos)

    def _tick(self) -> None:
        self._ticked = time.monotonic()
        try:
            self._publish(self.engine.tick(self._delivered))
            self._delivered = []
        except Exception:
            log.exception("the periodic check failed")
        self._health.maybe_publish()

    def _flush_outbox(self, timeout: float = 2.0) -> None:
        """On a graceful stop: wait briefly for the broker's PUBACKs, then forget what it has, so
        the next start does not publish it again."""
        deadline = time.monotonic() + timeout
        while self._connected.is_set() and len(self._outbox_mids) and time.monotonic() < deadline:
            time.sleep(0.01)
            self._collect_delivered()
        self._collect_delivered()
        try:
            self.engine.tick(self._delivered)
            self._delivered = []
        except Exception:
            log.exception("could not forget the delivered replies and events")

    def _collect_delivered(self) -> None:
        while True:
            try:
                mid = self._puback_mids.get_nowait()
            except queue.Empty:
                return
            row = self._outbox_mids.pop(mid, None)
            if row is not None:
                self._delivered.append(row)

    def _publish(self, outgoing: list[Outgoing]) -> None:
        now = time.time()
        for out in outgoing:
            if out.kind == "reply":
                props = publish_properties(MessageExpiryInterval=_expiry(REPLY_EXPIRY_S, out.at, now))
                if out.correlation is not None:
                    props.CorrelationData = out.correlation
            elif out.kind == "event":
                props = self._event_props if out.at is None or now - out.at < 1 else publish_properties(
                    MessageExpiryInterval=_expiry(EVENT_EXPIRY_S, out.at, now))
            else:
                self.client.publish(out.topic, out.payload, qos=1, retain=out.retain)
                continue
            info = self.client.publish(out.topic, out.payload, qos=1, properties=props)
            if out.outbox_id is not None:
                self._outbox_mids[info.mid] = out.outbox_id

    def _maybe_crash(self, point: str) -> None:
        if self._crash_at is not None and self._crash_at[0] == point and self.requests >= self._crash_at[1]:
            log.warning("test hook %s=%s: killing the hub", CRASH_ENV, point)
            os.kill(os.getpid(), signal.SIGKILL)


def _expiry(lifetime_s: int, at: float | None, now: float) -> int:
    """What is left of a message's lifetime when a late start delivers it (at least 1 s)."""
    if at is None:
        return lifetime_s
    return max(1, int(lifetime_s - max(0.0, now - at)))


def _crash_point(value: str) -> tuple[str, int] | None:
    point, _, nth = value.partition(":")
    if point not in ("after_commit", "after_publish"):
        return None
    return point, int(nth) if nth.isdigit() else 1


class _HealthReporter:
    """The hub's own retained ``health/<hub>`` report and a log summary of refusals.

    A flood of 20,000 refused requests once left no trace; now each is counted by device and
    reason, the counts are published (at most every ``HEALTH_EVERY_S``) and one summary line
    is logged at most every ``LOG_SUMMARY_EVERY_S``."""

    def __init__(self, service: HubService):
        self.service = service
        self._published_at = 0.0
        self._logged_at = time.monotonic()
        self._last: tuple | None = None
        self._logged: Counter = Counter()

    def counts(self) -> tuple[Counter, Counter, Counter]:
        """(refused by (device, reason), dropped by why, internal by exception), the worker's and
        paho's thread's together."""
        service, engine = self.service, self.service.engine
        # dict.copy is one C call: paho's thread may add a key meanwhile without breaking the sum
        return (engine.refused + Counter(dict.copy(service.intake_refused)),
                engine.dropped + Counter(dict.copy(service.intake_dropped)), Counter(engine.poisoned))

    def payload(self) -> dict:
        service, engine = self.service, self.service.engine
        refused_counts, dropped, poisoned = self.counts()
        refused: dict[str, dict[str, int]] = {}
        for (device, reason), n in sorted(refused_counts.items()):
            refused.setdefault(device, {})[reason] = n
        oldest = service.oldest_unacked_s()
        return payloads.health(service.hub_id, time.time(), {
            "worker": "ok" if oldest < service.stuck_after_s else "stuck",
            "answered": engine.answered, "refused_total": sum(refused_counts.values()),
            "refused": refused, "dropped": dict(dropped), "internal": dict(poisoned),
            "oldest_unacked_s": round(oldest, 3), "outbox": len(service._outbox_mids),
            "not_listening_to": sorted(service.limiter.quarantined)}, role="hub")

    def _key(self) -> tuple[int, int, int]:
        return tuple(sum(c.values()) for c in self.counts())

    def due(self) -> bool:
        """Counts changed since the last report (the worker then wakes within a second)."""
        return self._key() != self._last

    def maybe_publish(self) -> None:
        now = time.monotonic()
        if now - self._logged_at >= LOG_SUMMARY_EVERY_S:
            self._log_summary(now)
        if self.due() and now - self._published_at >= HEALTH_EVERY_S:
            self.publish()

    def publish(self) -> None:
        self._last = self._key()
        self._published_at = time.monotonic()
        self.service.client.publish(self.service.topics.health(self.service.hub_id), payloads.encode(self.payload()),
                                    qos=1, retain=True)

    def _log_summary(self, now: float) -> None:
        refused, dropped, poisoned = self.counts()
        counts = Counter({f"{device} {reason}": n for (device, reason), n in refused.items()})
        counts.update({f"dropped {why}": n for why, n in dropped.items()})
        counts.update({f"internal {name}": n for name, n in poisoned.items()})
        new = counts - self._logged
        seconds = now - self._logged_at
        self._logged, self._logged_at = counts, now
        if new:
            top = ", ".join(f"{what} x{n}" for what, n in new.most_common(8))
            more = f" and {len(new) - 8} more kinds" if len(new) > 8 else ""
            log.warning("refused %d requests in the last %.0f s: %s%s", sum(new.values()), seconds, top, more)
