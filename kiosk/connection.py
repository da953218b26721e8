"""The kiosk's side of its site: config, content, the hub's presence, tickets, health.

Wraps the device's ``DeviceLink``.  Tickets can be issued when the broker is
connected, the hub says it is online (``presence/hub``, retained, with the
hub's last will) and the kiosk has the site config.  A request the hub does
not answer in time also makes tickets unavailable; a probe (a harmless
``ticket_status``) then asks again every few seconds and tickets come back
by themselves as soon as the hub answers.  Every change is reported to the
hub as the kiosk's retained health.

Callbacks run on paho's or a worker thread; the Kivy app moves them to its
main thread.  Nothing here imports Kivy.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from contract.qr import new_ref
from contract.topics import HUB_ID
from hardware.health import HealthReport
from mqttlink.link import DeviceLink, LinkError, RequestRefused

from .cache import KioskCache
from .flow import IssueRequest

log = logging.getLogger(__name__)

#: why tickets are unavailable (shown to technicians in the kiosk's health, never to visitors)
REASONS = {
    "broker": "the kiosk cannot reach the broker",
    "hub_offline": "the hub is offline (its presence says so)",
    "no_config": "the kiosk has not received the site config yet",
    "timeout": "the hub did not answer a request in time",
}

Listener = Callable[..., None]


class HubConnection:
    def __init__(self, link: DeviceLink, cache: KioskCache, probe_interval_s: float = 2.0):
        self.link = link
        self.cache = cache
        self.probe_interval_s = probe_interval_s
        self.site_config: dict | None = cache.load("site-config")
        self.device: dict | None = cache.load("device-config")
        self.content: dict[str, dict] = cache.contents()
        self.service_state: dict[str, dict] = {}
        self.hub_online = False
        self.timed_out = False
        #: the kiosk's one retained health message: tickets, content, printer, scanner, last print
        self.health = HealthReport(link.publish_health, connected=lambda: link.connected)
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._probe: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-request")
        self._last_availability: tuple[bool, str] | None = None
        #: on_config(site_config, device), on_content(language, payload or None),
        #: on_availability(available, reason), on_service_state(service, payload)
        self.on_config: Listener | None = None
        self.on_content: Listener | None = None
        self.on_availability: Listener | None = None
        self.on_service_state: Listener | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "HubConnection":
        t = self.link.topics
        self.link.on_connection_change = self._on_connection
        self.link.subscribe(t.site_config(), self._on_site_config)
        self.link.subscribe(t.device_config(self.link.device_id), self._on_device_config)
        self.link.subscribe(t.presence(HUB_ID), self._on_hub_presence)
        self.link.subscribe(t.content("+"), self._on_content)
        self.link.subscribe(t.service_state("+"), self._on_service_state)
        self.link.start()
        return self

    def close(self) -> None:
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.link.close()

    # ------------------------------------------------------------ availability
    def availability(self) -> tuple[bool, str]:
        if not self.link.connected:
            return False, "broker"
        if not self.hub_online:
            return False, "hub_offline"
        if self.site_config is None:
            return False, "no_config"
        if self.timed_out:
            return False, "timeout"
        return True, ""

    def _availability_changed(self) -> None:
        now = self.availability()
        with self._lock:
            if now == self._last_availability:
                return
            self._last_availability = now
        available, reason = now
        if available:
            log.info("tickets available")
        else:
            log.warning("tickets unavailable: %s", REASONS[reason])
        self.report_health(tickets="ok" if available else "unavailable", tickets_reason=reason or None)
        if self.on_availability:
            self.on_availability(available, reason)

    # ------------------------------------------------------------ tickets
    def issue(self, request: IssueRequest, done: Callable[[str, Any], None]) -> None:
        """Ask the hub for a ticket off the caller's thread; ``done(outcome, value)`` with
        ("ok", ticket view), ("refused", reason code) or ("failed", why tickets are unavailable)."""
        self._pool.submit(self._issue, request, done)

    def _issue(self, request: IssueRequest, done: Callable[[str, Any], None]) -> None:
        try:
            result = self.link.request("issue_ticket", service=request.service, language=request.language,
                                       priority=request.priority)
        except RequestRefused as exc:
            log.warning("the hub refused a ticket: %s", exc)
            done("refused", exc.code)
            return
        except LinkError as exc:
            log.warning("no ticket: %s", exc)
            if self.link.connected:
                self.timed_out = True
                self._start_probe()
            self._availability_changed()
            done("failed", self.availability()[1] or "timeout")
            return
        except Exception as exc:  # never leave the visitor waiting on a bug
            log.exception("issuing a ticket failed")
            done("failed", f"internal: {exc}")
            return
        done("ok", result["ticket"])

    def ticket_status(self, ref: str, done: Callable[[str, Any], None]) -> None:
        """Ask the hub about a scanned ticket off the caller's thread; ``done`` as for ``issue``."""
        self._pool.submit(self._status, ref, done)

    def _status(self, ref: str, done: Callable[[str, Any], None]) -> None:
        try:
            done("ok", self.link.request("ticket_status", ref=ref)["ticket"])
        except RequestRefused as exc:
            done("refused", exc.code)
        except LinkError:
            done("failed", self.availability()[1] or "timeout")

    def check_in(self, code: str, language: str, done: Callable[[str, Any], None]) -> None:
        """Check a visitor in by appointment code off the caller's thread; ``done`` as for ``issue``
        with the ticket view the hub issued (the same one again for a second scan) and, under
        ``appointment``, the result's appointment (``timing``: when it is called)."""
        self._pool.submit(self._check_in, code, language, done)

    def _check_in(self, code: str, language: str, done: Callable[[str, Any], None]) -> None:
        try:
            result = self.link.request("check_in", code=code, language=language)
            # the appointment (its time, and when it is called) rides with the ticket to the ticket screen
            done("ok", {**result["ticket"], "appointment": result["appointment"]})
        except RequestRefused as exc:
            done("refused", exc.code)
        except LinkError:
            done("failed", self.availability()[1] or "timeout")

    def answer_survey(self, request, done: Callable[[str, Any], None]) -> None:
        """Send a visitor's survey answers (``kiosk.survey.AnswerRequest``) off the caller's thread;
        ``done`` as for ``issue``, with the result's ``survey`` when accepted."""
        self._pool.submit(self._answer_survey, request, done)

    def _answer_survey(self, request, done: Callable[[str, Any], None]) -> None:
        try:
            done("ok", self.link.request("answer_survey", **request.fields())["survey"])
        except RequestRefused as exc:
            done("refused", exc.code)
        except LinkError:
            done("failed", self.availability()[1] or "timeout")

    def _start_probe(self) -> None:
        with self._lock:
            if self._probe is not None and self._probe.is_alive():
                return
            self._probe = threading.Thread(target=self._probe_until_answered, name="kiosk-probe", daemon=True)
            self._probe.start()

    def _probe_until_answered(self) -> None:
        while self.timed_out and not self._closed.wait(self.probe_interval_s):
            try:
                self.link.request("ticket_status", ref=new_ref())
            except RequestRefused:
                pass  # "unknown_ticket": the hub answered, which is all we asked
            except LinkError:
                continue
            self.timed_out = False
            self._availability_changed()

    # ------------------------------------------------------------ health
    def report_health(self, **fields) -> None:
        """Merge ``fields`` into the kiosk's health and publish it (retained) when it changed."""
        self.health.update(**fields)

    # ------------------------------------------------------------ subscriptions
    def _on_connection(self, connected: bool) -> None:
        if connected:
            self.health.publish()  # say it again after a reconnect
        self._availability_changed()

    def _on_site_config(self, topic: str, payload: dict | None) -> None:
        if not payload:
            return
        self.site_config = payload
        self.cache.save("site-config", payload)
        if self.on_config:
            self.on_config(self.site_config, self.device)
        self._availability_changed()

    def _on_device_config(self, topic: str, payload: dict | None) -> None:
        if not payload:
            return
        self.device = payload.get("device")
        self.cache.save("device-config", self.device)
        if self.on_config and self.site_config:
            self.on_config(self.site_config, self.device)

    def _on_hub_presence(self, topic: str, payload: dict | None) -> None:
        self.hub_online = bool(payload and payload.get("online"))
        if self.hub_online:
            self.timed_out = False
        self._availability_changed()

    def _on_content(self, topic: str, payload: dict | None) -> None:
        language = topic.rsplit("/", 1)[-1]
        if payload is None:
            self.content.pop(language, None)
            self.cache.forget(f"content/{language}")
        elif payload.get("type") == "content":
            self.content[language] = payload
            self.cache.save(f"content/{language}", payload)
        else:
            return
        self.report_health(content={lang: f"{p['version']}/{p['digest']}" for lang, p in sorted(self.content.items())})
        if self.on_content:
            self.on_content(language, payload)

    def _on_service_state(self, topic: str, payload: dict | None) -> None:
        if payload and payload.get("service"):
            self.service_state[payload["service"]] = payload
            if self.on_service_state:
                self.on_service_state(payload["service"], payload)
