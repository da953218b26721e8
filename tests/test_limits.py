"""What one device may ask of the hub (issue "Nobody kicks, starves or floods the centre"):
request rates and daily ticket quotas from the site file's ``limits``, and ticket codes that
never overflow.  Through the real broker, with the defaults a real site gets."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from mqtt_helpers import Inbox
from raw_device import RawDevice
from sites import small_site, small_site_dict

from contract.qr import TicketQR
from display.announce.phrases import call_phrase, spoken_code
from hardware.printer import stream, ticket_layout
from hardware.printer.escpos_writer import ticket_bytes
from hardware.printer.media import media_for
from hub import limits as hub_limits
from hub.clock import FakeClock
from hub.engine import Engine, Incoming
from hub.limits import QUARANTINE_AFTER_DROPS, REFUSALS_PER_S
from hub.store import Store
from mqttlink.link import RequestRefused
from siteconf import SiteFileError
from siteconf.limits import MAX_TICKET_NUMBER, Limits
from siteconf.load import parse_site
from siteconf.slices import public_config
from simulator.centre import LocalCentre


def default_limits_site(**devices_limits) -> dict:
    """The small site with the limits a real site gets (the test sites lift them), plus kiosk-2."""
    data = small_site_dict()
    del data["limits"]
    data["devices"].append({"id": "kiosk-2", "role": "kiosk", "zone": "ground"})
    for device in data["devices"]:
        if device["id"] in devices_limits:
            device["limits"] = devices_limits[device["id"]]
    return data


@pytest.fixture
def site():
    return small_site(default_limits_site())


def body(request_id: str | None = None, **fields) -> dict:
    return {"v": 1, "request_id": request_id or f"flood-{time.monotonic_ns()}",
            "deadline_ms": int((time.time() + 60) * 1000), "service": "reception", "language": "pt", **fields}


def flood(centre, device: str, seconds: float) -> subprocess.Popen:
    """The flooder is its own process, as an attacker's machine would be (tests/flood.py)."""
    return subprocess.Popen([sys.executable, str(Path(__file__).parent / "flood.py"), str(centre.port),
                             centre.site.site.id, device, centre.credentials.password_for(device), str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def test_a_flooding_kiosk_is_held_to_its_limit_then_not_heard_while_another_kiosk_is_served(centre, monkeypatch):
    """Before: one kiosk got 55,624 tickets in 21 s and another got 1 answer in 11 tries."""
    monkeypatch.setattr(hub_limits, "QUARANTINE_S", 2.0)
    default = Limits().kiosk
    other = centre.link("kiosk-2")
    started = time.monotonic()
    flooder = flood(centre, "kiosk-1", 4)
    waits = []
    for _ in range(8):  # a visitor every half second at the other kiosk, within its own burst
        t0 = time.monotonic()
        ticket = other.request("issue_ticket", service="reception", language="en", priority=False, timeout=2)
        waits.append(time.monotonic() - t0)
        assert ticket["ticket"]["code"]
        time.sleep(0.5)
    result = json.loads(flooder.communicate(timeout=30)[0])
    elapsed = time.monotonic() - started
    assert result["sent"] > 2000, "the flood was not a flood"
    assert result["ok"] <= default.burst + default.requests_per_s * elapsed + 1, (result, elapsed)
    assert result["codes"].get("rate_limited", 0) <= REFUSALS_PER_S * elapsed + REFUSALS_PER_S
    assert set(result["codes"]) <= {"ok", "rate_limited"}
    assert max(waits) < 2.0, waits
    assert ticket_rows(centre.database, "kiosk-1") == result["ok"]
    # heard again once its quarantine is over, as a kiosk keeping to its limit
    deadline = time.monotonic() + 10
    while centre.hub.limiter.quarantined and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not centre.hub.limiter.quarantined
    time.sleep(0.2)
    assert centre.link("kiosk-1").request("issue_ticket", service="reception", language="pt", priority=False)


def ticket_rows(database: str, source: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM tickets WHERE source = ?", (source,)).fetchone()[0]


def test_the_limits_and_the_counts_are_in_the_hubs_health(centre, monkeypatch):
    from hub import service as hub_service
    monkeypatch.setattr(hub_service, "HEALTH_EVERY_S", 0.1)
    flooder = RawDevice(centre, "kiosk-1")
    for _ in range(40):
        flooder.send("issue_ticket", body())
    health = Inbox()
    probe = centre.monitor()  # read only: never the hub's login
    probe.subscribe(centre.hub.topics.health("hub"), health)
    _, report = health.wait_for(lambda t, p: p and p["refused"].get("kiosk-1", {}).get("rate_limited"), 5)
    assert report["refused"]["kiosk-1"]["rate_limited"] >= 1
    flooder.close()  # one login, one connection: the flood process is kiosk-1 now
    flooding = flood(centre, "kiosk-1", 1)
    flooding.communicate(timeout=30)
    _, report = health.wait_for(lambda t, p: p and p["not_listening_to"] == ["kiosk-1"], 5)
    assert report["dropped"]["rate_limited"] >= QUARANTINE_AFTER_DROPS


def test_a_device_of_its_own_limit_in_the_site_file(tmp_path):
    data = default_limits_site(**{"kiosk-2": {"burst": 3}})
    with LocalCentre(small_site(data), tmp_path) as centre:
        kiosk = centre.link("kiosk-2")
        for _ in range(3):
            kiosk.request("issue_ticket", service="reception", language="pt", priority=False)
        with pytest.raises(RequestRefused) as refused:
            kiosk.request("issue_ticket", service="reception", language="pt", priority=False)
        assert refused.value.code == "rate_limited"
        assert centre.hub.limiter.limits["kiosk-2"].requests_per_s == Limits().kiosk.requests_per_s


def test_the_daily_ticket_quota_holds_across_a_restart_and_ends_with_the_service_day(tmp_path):
    clock = FakeClock(time.time() - 86400)  # yesterday, so that "the next day" is not past any deadline
    data = default_limits_site(**{"kiosk-1": {"tickets_per_day": 3, "burst": 100}})
    centre = LocalCentre(small_site(data), tmp_path, clock=clock).start()
    try:
        kiosk = centre.link("kiosk-1")
        codes = [kiosk.request("issue_ticket", service="reception", language="pt", priority=False,
                               request_id=f"quota-{i:04d}")["ticket"]["code"] for i in range(3)]
        assert codes == ["A001", "A002", "A003"]
        with pytest.raises(RequestRefused) as refused:
            kiosk.request("issue_ticket", service="reception", language="pt", priority=False, request_id="quota-0003")
        assert refused.value.code == "quota_exceeded" and "3 tickets" in str(refused.value)
        assert centre.link("kiosk-2").request("issue_ticket", service="reception", language="pt",
                                              priority=False)["ticket"]["code"] == "A004"
        centre.stop_hub()
        centre.start_hub()
        with pytest.raises(RequestRefused):
            kiosk.request("issue_ticket", service="reception", language="pt", priority=False)
        today = centre.hub.engine.model.service_day
        clock.t = time.time()
        again = kiosk.request("issue_ticket", service="reception", language="pt", priority=False,
                              request_id="quota-0003")  # refused yesterday, not remembered
        assert again["ticket"]["code"] == "A001" and again["ticket"]["service_day"] > today
    finally:
        centre.close()


def test_quotas_that_could_overflow_a_days_numbers_are_refused_in_the_site_file(tmp_path):
    data = default_limits_site()
    data["limits"] = {"kiosk": {"requests_per_s": 1, "burst": 10, "tickets_per_day": 60000}}
    with pytest.raises(SiteFileError) as error:
        parse_site(data, tmp_path / "site.toml")
    assert "limits" in str(error.value) and "99999" in str(error.value)


# ----------------------------------------------------------------------------- codes at the boundary
def test_the_last_number_of_a_day_is_issued_printed_scanned_called_and_said_then_numbers_run_out(tmp_path):
    site = small_site()
    clock = FakeClock(datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Lisbon")).timestamp())
    store = Store(tmp_path / "hub.sqlite3")
    engine = Engine(site, store, clock)
    engine.model.sequences[("A", engine.model.service_day)] = MAX_TICKET_NUMBER - 1

    def ask(device: str, action: str, rid: str, **fields) -> dict:
        import json
        payload = json.dumps({"v": 1, "request_id": rid, "deadline_ms": int(clock.now() * 1000) + 60000,
                              **fields}).encode()
        out = engine.process([Incoming(device, action, payload)])
        return json.loads(next(o for o in out if o.kind == "reply").payload)

    last = ask("kiosk-1", "issue_ticket", "last-00001", service="reception", language="pt")["result"]["ticket"]
    assert last["code"] == "A99999"
    assert TicketQR.decode(last["qr"]).code == "A99999"
    data = ticket_bytes(ticket_layout(last, public_config(site)), media_for(paper_mm=58))
    assert "\nA99999\n" in stream.decoded_text(data, "default")
    assert stream.qr_payloads(data) == [last["qr"]]
    assert "noventa e nove mil" in spoken_code("A99999", "pt")
    assert "ninety-nine thousand" in call_phrase("A99999", 1, {"en": "Counter 1"}, "en").text
    called = ask("counter-1", "call_ticket", "call-00001", code="A99999")
    assert called["ok"] and called["result"]["ticket"]["code"] == "A99999"

    tickets_before = store.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    refused = ask("kiosk-1", "issue_ticket", "over-00001", service="reception", language="pt")
    assert refused["error"]["code"] == "quota_exceeded" and "99999" in refused["error"]["message"]
    assert store.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == tickets_before
    other = ask("kiosk-1", "issue_ticket", "other-0001", service="immigration", language="pt")
    assert other["result"]["ticket"]["code"] == "B001", "another prefix has its own numbers"


# ----------------------------------------------------------------------------- the pure parts
class Ticking:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_a_bucket_gives_the_burst_then_the_rate_and_refuses_then_drops_then_quarantines():
    clock = Ticking()
    limiter = hub_limits.RequestLimiter({"k": Limits().kiosk}, clock)
    verdicts = [limiter.judge("k") for _ in range(10 + 5 + QUARANTINE_AFTER_DROPS)]
    assert verdicts[:10] == ["ok"] * 10
    assert verdicts[10:15] == ["refuse"] * 5, "rate_limited replies, at most 5 a second"
    assert verdicts[15:-1] == ["drop"] * (QUARANTINE_AFTER_DROPS - 1)
    assert verdicts[-1] == "quarantine" and "k" in limiter.quarantined
    assert limiter.judge("k") == "drop"
    clock.t += hub_limits.QUARANTINE_S - 0.1
    assert limiter.release_due() == []
    clock.t += 0.2
    assert limiter.release_due() == ["k"]
    assert limiter.judge("k") == "ok"
    for _ in range(10 + 5 + QUARANTINE_AFTER_DROPS):
        limiter.judge("k")
    assert limiter.quarantine_s("k") == 2 * hub_limits.QUARANTINE_S, "flooding again: twice as long"
    assert limiter.judge("nobody") == "drop"


def test_a_device_keeping_to_its_rate_is_never_refused():
    clock = Ticking()
    limiter = hub_limits.RequestLimiter({"k": Limits().kiosk}, clock)
    for _ in range(1000):
        assert limiter.judge("k") == "ok"
        clock.t += 1 / Limits().kiosk.requests_per_s


def test_the_intake_takes_devices_in_turn_and_control_first():
    intake = hub_limits.FairIntake()
    for i in range(100):
        intake.put("flooder", f"f{i}")
    intake.put("kiosk-2", "k0")
    intake.put("counter-1", "c0")
    intake.put("kiosk-2", "k1")
    intake.put_control("stop")
    control, batch = intake.take(6, timeout=0)
    assert control == ["stop"]
    assert batch == ["f0", "k0", "c0", "f1", "k1", "f2"]
    assert len(intake) == 97
    control, batch = intake.take(256, timeout=0)
    assert control == [] and batch == [f"f{i}" for i in range(3, 100)]
    assert intake.take(10, timeout=0.01) == ([], [])


def test_the_demo_speeds_the_limits_up_with_its_time_and_keeps_the_quotas_within_the_numbering():
    from simulator.main import in_demo_time
    from siteconf import EXAMPLE_SITE, load_site
    site = load_site(EXAMPLE_SITE)
    fast = in_demo_time(site, 30)
    assert fast.limits.kiosk.requests_per_s == 30 * site.limits.kiosk.requests_per_s
    assert fast.limits.kiosk.burst == site.limits.kiosk.burst
    limits = hub_limits.device_limits(fast)
    issuing = [d.id for d in fast.devices if d.role == "counter" or "tickets" in d.kiosk_modes and d.role == "kiosk"]
    assert sum(limits[d].tickets_per_day for d in issuing) <= MAX_TICKET_NUMBER


@pytest.mark.parametrize("listener", ["password", "tls"])
def test_rates_and_quotas_hold_on_both_listeners(tmp_path, test_pki, listener):
    from broker_config.generate import TlsListener
    from broker_config.runner import free_port
    cert, key = test_pki.ca.server_paths
    tls = TlsListener(free_port(), str(test_pki.ca.ca_path), str(cert), str(key), str(test_pki.ca.crl_path),
                      host="127.0.0.1")
    data = small_site_dict()
    del data["limits"]
    next(d for d in data["devices"] if d["id"] == "kiosk-1")["limits"] = {"burst": 3, "tickets_per_day": 2}
    with LocalCentre(small_site(data), tmp_path, tls=tls) as centre:
        kiosk = centre.link("kiosk-1", tls=test_pki.client("kiosk-1") if listener == "tls" else None)
        ask = lambda: kiosk.request("issue_ticket", service="reception", language="pt", priority=False)  # noqa: E731
        assert [ask()["ticket"]["code"] for _ in range(2)] == ["A001", "A002"]
        with pytest.raises(RequestRefused) as refused:
            ask()
        assert refused.value.code == "quota_exceeded"
        with pytest.raises(RequestRefused) as refused:
            ask()
        assert refused.value.code == "rate_limited"
