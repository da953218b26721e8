"""End to end through a real Mosquitto (project config, per-device credentials
and ACLs) and the real hub: separate clients play kiosk, counter and display."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pytest
import tomli_w
from mqtt_helpers import Inbox, event_is, topic_is
from sites import small_site_dict

from mqttlink.link import LinkError, RequestRefused
from siteconf.device import Timing


def issue(kiosk, service="reception", language="en", priority=False) -> dict:
    return kiosk.request("issue_ticket", service=service, language=language, priority=priority)["ticket"]


def test_a_ticket_issued_at_a_kiosk_is_called_to_a_counter_and_shown_on_the_display(centre):
    topics = centre.hub.topics
    display = centre.link("display-ground")
    inbox = Inbox()
    display.subscribe(topics.zone_events("ground"), inbox)
    display.subscribe(topics.zone_state("ground"), inbox)
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")

    ticket = issue(kiosk, language="en")
    assert ticket["code"] == "A001"
    assert ticket["people_ahead"] == 0 and ticket["qr"].startswith("OSS1:test-centre:")
    called = counter.request("call_next")["ticket"]
    assert called["code"] == "A001" and called["counter_number"] == 1

    _, event = inbox.wait_for(event_is("ticket_called", code="A001"))
    assert event["data"]["counter_number"] == 1
    assert event["data"]["language"] == "en", "the display needs the visitor's language to announce"
    _, state = inbox.wait_for(topic_is(topics.zone_state("ground"), lambda p: p["calls"]))
    assert state["calls"][0]["code"] == "A001"
    assert state["rev"] >= event["rev"]
    assert {"counter": "c1", "number": 1, "status": "open", "current": "A001"} in state["counters"]


def test_a_transfer_keeps_the_code_and_the_next_service_calls_it(centre):
    topics = centre.hub.topics
    display_first = centre.link("display-first")
    inbox = Inbox()
    display_first.subscribe(topics.zone_events("first"), inbox)
    kiosk, reception, immigration = centre.link("kiosk-1"), centre.link("counter-1"), centre.link("counter-2")

    code = issue(kiosk, language="pt")["code"]
    reception.request("call_next")
    moved = reception.request("transfer", service="immigration")["ticket"]
    assert moved["code"] == code and moved["service"] == "immigration" and moved["status"] == "waiting"
    called = immigration.request("call_next")["ticket"]
    assert called["code"] == code
    _, event = inbox.wait_for(event_is("ticket_called", code=code))
    assert event["data"]["counter"] == "c2" and event["zone"] == "first"


def test_the_priority_ratio_holds_over_thirty_tickets(centre):
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    for i in range(30):
        issue(kiosk, priority=(i >= 20))  # 20 normal first, then 10 priority
    kinds = [counter.request("call_next")["ticket"]["priority"] for _ in range(30)]
    assert sum(kinds) == 10
    assert all(sum(kinds[i:i + 3]) == 1 for i in range(0, 30, 3)), kinds


def test_two_counters_racing_for_the_last_ticket_exactly_one_gets_it(tmp_path):
    data = small_site_dict()
    data["counters"].append({"id": "c3", "number": 3, "name": {"pt": "Balcão 3", "en": "Counter 3"},
                             "zone": "ground", "services": [{"service": "reception"}]})
    data["devices"].append({"id": "counter-3", "role": "counter", "counter": "c3"})
    from sites import small_site
    from simulator.centre import LocalCentre
    with LocalCentre(small_site(data), tmp_path) as centre:
        kiosk, one, three = centre.link("kiosk-1"), centre.link("counter-1"), centre.link("counter-3")
        issue(kiosk)
        results = {}
        barrier = threading.Barrier(2)

        def press(name, link):
            barrier.wait()
            results[name] = link.request("call_next")["ticket"]

        threads = [threading.Thread(target=press, args=(n, l)) for n, l in (("one", one), ("three", three))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = [r["code"] for r in results.values() if r is not None]
        assert got == ["A001"], results


def test_restarting_the_hub_between_steps_loses_nothing(centre):
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    codes = [issue(kiosk)["code"] for _ in range(3)]
    assert counter.request("call_next")["ticket"]["code"] == codes[0]

    centre.stop_hub()
    centre.start_hub()

    display = centre.link("display-ground")
    inbox = Inbox()
    display.subscribe(centre.hub.topics.zone_state("ground"), inbox)
    _, state = inbox.wait_for(lambda t, p: True)
    assert state["calls"][0]["code"] == codes[0], "a restarted display must see the call from retained state"
    assert {"counter": "c1", "number": 1, "status": "open", "current": codes[0]} in state["counters"]
    assert counter.request("call_next")["ticket"]["code"] == codes[1]
    assert issue(kiosk)["code"] == "A004"


def test_a_hub_killed_like_a_power_cut_loses_no_ticket_it_handed_out(broker_only, tmp_path):
    centre = broker_only
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()), encoding="utf-8")
    hub = centre.spawn_hub_process(site_file)
    kiosk = centre.link("kiosk-1")
    handed_out = []
    deadline = time.monotonic() + 15
    while len(handed_out) < 20 and time.monotonic() < deadline:
        try:
            handed_out.append(issue(kiosk)["code"])
        except LinkError:
            time.sleep(0.05)  # the hub process is still starting
    assert len(handed_out) == 20
    hub.send_signal(signal.SIGKILL)
    hub.wait()

    centre.spawn_hub_process(site_file)
    counter = centre.link("counter-1")
    called = []
    deadline = time.monotonic() + 15
    while len(called) < 20 and time.monotonic() < deadline:
        try:
            ticket = counter.request("call_next")["ticket"]
        except LinkError:
            time.sleep(0.05)
            continue
        assert ticket is not None, f"after the crash only {called} were still queued"
        called.append(ticket["code"])
    assert called == handed_out
    assert issue(kiosk)["code"] == "A021"


def test_a_request_sent_while_the_hub_is_down_is_applied_when_it_returns_in_time(centre):
    kiosk = centre.link("kiosk-1", timing=Timing(request_timeout_s=10, request_expiry_s=10,
                                                 reconnect_min_s=0.05, reconnect_max_s=0.5))
    centre.stop_hub()
    future = kiosk.request_async("issue_ticket", service="reception", language="pt", priority=False)
    time.sleep(0.3)
    assert not future.done()
    centre.start_hub()
    reply = future.result(timeout=5)
    assert reply["ok"] and reply["result"]["ticket"]["code"] == "A001"


def test_a_press_during_an_outage_is_never_applied_late(centre):
    kiosk = centre.link("kiosk-1")
    issue(kiosk)
    counter = centre.link("counter-1", timing=Timing(request_timeout_s=0.3, request_expiry_s=1,
                                                     reconnect_min_s=0.05, reconnect_max_s=0.5))
    centre.stop_hub()
    with pytest.raises(LinkError):
        counter.request("call_next")
    time.sleep(1.3)  # the request's expiry passes while the hub is away
    centre.start_hub()
    inbox = Inbox()
    counter.subscribe(centre.hub.topics.counter_state("c1"), inbox)
    _, state = inbox.wait_for(lambda t, p: True)
    time.sleep(0.3)  # give a late delivery every chance to happen
    _, state = inbox.wait_for(lambda t, p: True)
    assert inbox.latest(centre.hub.topics.counter_state("c1"))["current"] is None
    # the staff member presses again once the link is back
    assert counter.request("call_next")["ticket"]["code"] == "A001"


def _publish_reason(link, topic: str, payload: bytes = b"{}") -> int:
    """Publish at QoS 1 with the device's own connection; return the PUBACK reason code."""
    done = threading.Event()
    result = {}

    def on_publish(client, userdata, mid, reason_code, properties):
        result["rc"] = reason_code.value
        done.set()

    link.client.on_publish = on_publish
    link.client.publish(topic, payload, qos=1)
    assert done.wait(5), "no PUBACK"
    return result["rc"]


def _subscribe_reason(link, topic: str) -> int:
    done = threading.Event()
    result = {}

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        result["rc"] = reason_codes[0].value
        done.set()

    link.client.on_subscribe = on_subscribe
    link.client.subscribe(topic, qos=1)
    assert done.wait(5), "no SUBACK"
    return result["rc"]


NOT_AUTHORIZED = 0x87


def test_a_device_publishing_in_another_devices_name_is_refused_by_the_broker(centre):
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    topics = centre.hub.topics
    issue(kiosk)
    forged = (b'{"v":1,"request_id":"forged-0001","deadline_ms":%d}' % int((time.time() + 5) * 1000))
    assert _publish_reason(kiosk, topics.request("counter-1", "call_next"), forged) == NOT_AUTHORIZED
    assert _publish_reason(kiosk, topics.presence("counter-1")) == NOT_AUTHORIZED
    assert _publish_reason(kiosk, topics.zone_state("ground")) == NOT_AUTHORIZED
    assert _publish_reason(kiosk, topics.request("kiosk-1", "ticket_status"),
                           b'{"v":1}') == 0, "its own request topic is allowed"
    # nothing was called on counter-1's behalf
    assert counter.request("call_next")["ticket"]["code"] == "A001"


def test_the_hub_refuses_actions_outside_a_devices_role_even_when_the_broker_lets_them_through(centre):
    display, counter = centre.link("display-ground"), centre.link("counter-1")
    with pytest.raises(RequestRefused) as refused:
        display.request("issue_ticket", service="reception", language="pt")
    assert refused.value.code == "forbidden"
    with pytest.raises(RequestRefused) as refused:
        counter.request("call_next", counter="c2")
    assert refused.value.code == "forbidden"


def _readable(link, topic: str, trigger=None, wait: float = 0.3) -> bool:
    """Whether ``link`` receives anything on ``topic`` (Mosquitto 2.0 may grant a
    subscription and then withhold every message the ACL does not allow)."""
    if _subscribe_reason(link, topic) >= 0x80:
        return False
    inbox = Inbox()
    link.subscribe(topic, inbox)
    if trigger:
        trigger()
    try:
        inbox.wait_for(lambda t, p: True, timeout=wait)
        return True
    except AssertionError:
        return False


def test_acl_probe_per_role(centre):
    t = centre.hub.topics
    kiosk, counter, display = centre.link("kiosk-1"), centre.link("counter-1"), centre.link("display-ground")
    other_counter = centre.link("counter-2")
    issue(kiosk)
    press = lambda: other_counter.request("counter_status", status="paused")  # noqa: E731
    # retained topics: a reader that is allowed gets the retained message at once
    assert _readable(kiosk, t.service_state("reception"))
    assert _readable(kiosk, t.site_config())
    assert not _readable(kiosk, t.device_config("counter-1"))
    assert not _readable(kiosk, t.zone_state("ground")), "a kiosk has no use for the call list"
    assert not _readable(kiosk, t.all_requests(), trigger=press), "only the hub reads all requests"
    assert not _readable(kiosk, t.reply("counter-2"), trigger=press)
    assert _readable(counter, t.counter_state("c1"))
    assert not _readable(counter, t.counter_state("c2"))
    assert _readable(counter, t.device_config("counter-1"))
    assert not _readable(counter, t.device_config("counter-2"))
    assert _readable(display, t.zone_state("ground"))
    assert not _readable(display, t.zone_state("first"))
    assert not _readable(display, t.zone_events("first"), trigger=lambda: other_counter.request("call_next"))
    assert _publish_reason(display, t.event("ground", "ticket_called")) == NOT_AUTHORIZED
    assert _publish_reason(counter, t.counter_state("c1")) == NOT_AUTHORIZED
    assert _publish_reason(kiosk, t.service_state("reception")) == NOT_AUTHORIZED


def test_wrong_password_and_anonymous_clients_are_refused(centre):
    bad = centre.link("kiosk-1", start=False, password="not-the-password")
    bad.start()
    assert not bad.wait_connected(1.0)
    assert bad.last_connack is not None and bad.last_connack.is_failure
    anonymous = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    result = {}
    anonymous.on_connect = lambda c, u, f, rc, p: result.setdefault("rc", rc)
    anonymous.connect("127.0.0.1", centre.port)
    anonymous.loop_start()
    deadline = time.monotonic() + 5
    while "rc" not in result and time.monotonic() < deadline:
        time.sleep(0.01)
    anonymous.loop_stop()
    assert result["rc"].is_failure


def test_each_device_gets_its_own_slice_of_the_site_file_retained(centre):
    counter = centre.link("counter-1")
    inbox = Inbox()
    counter.subscribe(centre.hub.topics.device_config("counter-1"), inbox)
    counter.subscribe(centre.hub.topics.site_config(), inbox)
    _, mine = inbox.wait_for(topic_is(centre.hub.topics.device_config("counter-1")))
    assert mine["device"]["counter"] == "c1" and mine["device"]["zone"] == "ground"
    assert mine["device"]["pins"]["next"] == 17
    _, public = inbox.wait_for(topic_is(centre.hub.topics.site_config()))
    assert [s["id"] for s in public["services"]] == ["reception", "immigration"]
    assert "devices" not in public and "bridge" not in public, "the device list stays on the hub"


def test_presence_is_retained_and_the_last_will_says_offline(centre):
    t = centre.hub.topics
    watcher = centre.link("display-ground")
    inbox = Inbox()
    watcher.subscribe(t.presence("hub"), inbox)
    _, hub = inbox.wait_for(lambda topic, p: True)
    assert hub["online"] is True
    centre.stop_hub()
    inbox.wait_for(lambda topic, p: p["online"] is False)


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d["services"][0].update(prefix="a1"), "services[0].prefix: String should match pattern"),
    (lambda d: d["counters"][0].update(services=[{"service": "nope"}]),
     "counters[0].services[0].service: unknown service 'nope'"),
    (lambda d: d["site"].update(timezone="Lisbon"), "site.timezone: unknown time zone 'Lisbon'"),
    (lambda d: d["counters"][1].update(colour="red"), "counters[1].colour: unknown key (a typo?)"),
])
def test_a_broken_site_file_stops_the_hub_with_a_clear_message(broker_only, tmp_path, breakage, message):
    data = small_site_dict()
    breakage(data)
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    device_file = broker_only.write_hub_device_file(site_file)
    run = subprocess.run([sys.executable, "-m", "hub.main", "--device", str(device_file)],
                         capture_output=True, text=True, timeout=30, env={**os.environ})
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert str(site_file) in run.stderr
    assert message in run.stderr


def test_an_edited_site_file_reaches_devices_on_reload_and_a_broken_edit_changes_nothing(broker_only, tmp_path):
    centre = broker_only
    data = small_site_dict()
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    hub = centre.spawn_hub_process(site_file)
    counter, display = centre.link("counter-1"), centre.link("display-first")
    t = centre.site and counter.topics
    inbox = Inbox()
    counter.subscribe(t.device_config("counter-1"), inbox)
    counter.subscribe(t.site_config(), inbox)
    display.subscribe(t.device_config("display-first"), inbox)
    inbox.wait_for(topic_is(t.site_config()), timeout=15)

    data["counters"][0]["name"]["en"] = "Desk 1 (welcome)"
    data["devices"] = [d for d in data["devices"] if d["id"] != "display-first"]  # retired
    data["devices"][2]["pins"] = {"next": 4}
    site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    hub.send_signal(signal.SIGHUP)
    inbox.wait_for(topic_is(t.site_config(), lambda p: p["counters"][0]["name"]["en"] == "Desk 1 (welcome)"))
    inbox.wait_for(topic_is(t.device_config("counter-1"), lambda p: p["device"]["pins"]["next"] == 4))
    inbox.wait_for(topic_is(t.device_config("display-first"), lambda p: p is None)), "a retired device's slice is cleared"

    site_file.write_text("this is [ not toml", encoding="utf-8")
    hub.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert hub.poll() is None, "a broken edit must not stop the hub"
    kiosk = centre.link("kiosk-1")
    assert issue(kiosk)["code"] == "A001"
    hub.send_signal(signal.SIGTERM)
    _, err = hub.communicate(timeout=10)
    assert "site file NOT reloaded" in err and "not valid TOML" in err


def test_the_hub_answers_only_on_the_requesters_own_reply_topic(centre):
    from mqttlink.paho_setup import publish_properties
    t = centre.hub.topics
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    kiosk_inbox, counter_inbox = Inbox(), Inbox()
    counter.client.on_message = lambda c, u, m: counter_inbox(m.topic, m.payload)
    kiosk.client.on_message = lambda c, u, m: kiosk_inbox(m.topic, m.payload)
    props = publish_properties(ResponseTopic=t.reply("counter-1"), CorrelationData=b"steal",
                               MessageExpiryInterval=5)
    payload = b'{"v":1,"request_id":"redirect-01","deadline_ms":%d,"service":"reception","language":"pt"}' % (
        int((time.time() + 5) * 1000))
    kiosk.client.publish(t.request("kiosk-1", "issue_ticket"), payload, qos=1, properties=props)
    topic, _ = kiosk_inbox.wait_for(lambda topic, p: True)
    assert topic == t.reply("kiosk-1")
    with pytest.raises(AssertionError):
        counter_inbox.wait_for(lambda topic, p: True, timeout=0.3)
