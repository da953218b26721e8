"""The supervisor's console in a real browser (Debian's Chromium through chromium-driver and Selenium)
over HTTPS with the site CA's certificate, against the real console server, broker and hub of the CNAI
site (issue 17): the first login and the forced change, lockout, each action and its effect on a
kiosk's and a display's retained state (or the hub's answer to them) and its audit record, the report
download.  One browser for the module.  Screenshots land in build/console/ (and
docs/images/console-*.png when ``ONESTOP_CONSOLE_SHOTS=docs``).  Without Chromium the tests are
skipped, under ``CI=true`` they fail."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from console.accounts import MAX_FAILURES, Accounts
from console.main import ConsoleService, tls_context
from contract.topics import Topics
from mqttlink.link import RequestRefused
from simulator.centre import LocalCentre
from siteconf import load_site
from test_guest_browser import chromium_driver

REPO = Path(__file__).resolve().parent.parent
CNAI = REPO / "siteconf" / "examples" / "cnai-lisboa.toml"
WAIT_S = 8.0
GOOD = "uma frase longa só minha"
DESKTOP, PHONE = (1366, 900), (412, 915)


def spki_pin(cert_path: Path) -> str:
    """Chromium's --ignore-certificate-errors-spki-list value for this certificate: the browser trusts
    exactly the console's key, as a staff PC that installed the site CA trusts its certificate."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class Watcher:
    """A device's retained state as it sees it (a display's zone, a kiosk's services), with the time
    each message arrived."""

    def __init__(self, link, topic: str):
        self.latest: dict[str, dict] = {}
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        link.subscribe(topic, self._on)

    def _on(self, topic, payload):
        with self.lock:
            self.latest[topic.rsplit("/", 1)[-1]] = payload
            self.arrived[topic.rsplit("/", 1)[-1]] = time.monotonic()

    def wait(self, key: str, check, what: str):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.lock:
                payload = self.latest.get(key)
            if payload is not None and check(payload):
                return payload
            time.sleep(0.02)
        raise AssertionError(f"{what}: not seen within {WAIT_S} s; last: {self.latest.get(key)}")


@pytest.fixture(scope="module")
def centre(tmp_path_factory, test_pki):
    """The CNAI centre, its console over HTTPS (test PKI server certificate), a display and a kiosk watching."""
    workdir = tmp_path_factory.mktemp("console-centre")
    site = load_site(CNAI)
    centre = LocalCentre(site, workdir).start()
    accounts = Accounts(workdir / "accounts.sqlite3", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    reports = workdir / "reports" / "2026-12-02"
    reports.mkdir(parents=True)
    (reports / "report.pt.html").write_text("<!doctype html><title>Relatório</title><p>o dia</p>", encoding="utf-8")
    cert, key = test_pki.ca.server_paths
    service = ConsoleService(site, accounts, "127.0.0.1", centre.port,
                             centre.credentials.password_for("monitor.console"),
                             centre.credentials.password_for("supervisor.console"), listen="127.0.0.1", port=0,
                             tls=tls_context(str(cert), str(key)), reports=workdir / "reports",
                             timing=centre.timing).start()
    display, kiosk = centre.link("display-ground"), centre.link("kiosk-01")
    topics = Topics(site.site.id)
    watch = {"zone": Watcher(display, topics.zone_state("ground")),
             "services": Watcher(kiosk, f"{topics.base}/state/service/+")}
    yield centre, service, accounts, kiosk, watch, cert
    service.stop()
    centre.close()


@pytest.fixture(scope="module")
def browser(centre):
    cert = centre[5]
    driver = chromium_driver(extra=[f"--ignore-certificate-errors-spki-list={spki_pin(cert)}",
                                    f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=pt-PT"])
    yield driver
    driver.quit()


def shots() -> list[Path]:
    folders = [REPO / "build" / "console"]
    if os.environ.get("ONESTOP_CONSOLE_SHOTS") == "docs":
        folders.append(REPO / "docs" / "images")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def shoot(driver, name: str, size: tuple[int, int]) -> None:
    driver.set_window_size(*size)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], max(size[1], min(height + 140, 4000)))
    time.sleep(0.3)
    for folder in shots():
        driver.save_screenshot(str(folder / f"console-{name}.png"))
    driver.set_window_size(*DESKTOP)


def wait_until(driver, check, what: str):
    """``check()`` until it gives something true; a part the push replaced meanwhile is looked at again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            value = check()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"the console did not show {what} within {WAIT_S} s; it shows: "
                                 f"{driver.find_element('tag name', 'body').text[:1500]!r}")
        time.sleep(0.05)


def fill(driver, values: dict[str, str]) -> None:
    from selenium.webdriver.support.ui import Select
    for ident, value in values.items():
        element = driver.find_element("id", ident)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def submit(driver, form_action: str) -> str:
    """Send one action's form and return the result the page announces."""
    before = driver.find_element("id", "result").text
    driver.find_element("css selector", f"form[action='/action/{form_action}'] button[type=submit]").click()
    return wait_until(driver, lambda: (t := driver.find_element("id", "result").text) != before and t, "the result")


def audit(centre, action: str) -> dict:
    db = sqlite3.connect(f"file:{centre.database}?mode=ro", uri=True)
    row = db.execute("SELECT who, staff, action, args, outcome FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1",
                     (action,)).fetchone()
    db.close()
    assert row is not None, f"no audit record of {action}"
    return {"who": row[0], "staff": row[1], "action": row[2], "args": json.loads(row[3]), "outcome": row[4]}


def log_in(driver, url: str, name: str, password: str, lang: str | None = None) -> None:
    driver.get(f"{url}/login" + (f"?lang={lang}" if lang else ""))
    fill(driver, {"name": name, "password": password})
    button = driver.find_element("css selector", "form[action='/login'] button")
    button.click()
    wait_until(driver, lambda: stale(button), "the answer to the login")


def stale(element) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    return False


def test_first_login_forced_change_and_lockout(browser, centre):
    centre_, service, accounts, *_ = centre
    once = accounts.add("maria.silva")
    log_in(browser, service.url, "maria.silva", once, lang="pt")
    wait_until(browser, lambda: browser.current_url.endswith("/password"), "the forced change")
    assert browser.find_element("tag name", "h1").text == "Escolha a sua palavra-passe"
    shoot(browser, "password-phone", PHONE)
    fill(browser, {"new": GOOD, "repeat": GOOD})
    button = browser.find_element("css selector", "form[action='/password'] button")
    button.click()
    wait_until(browser, lambda: stale(button), "the answer to the change")
    wait_until(browser, lambda: browser.current_url.rstrip("/") == service.url, "the console")
    cookie = browser.get_cookie("__Host-console")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == "", "no cookie is readable by a script"
    wait_until(browser, lambda: "Balcão 1" in browser.find_element("id", "counters").text, "the counters")
    browser.find_element("css selector", "form.logout button").click()
    wait_until(browser, lambda: browser.current_url.endswith("/login"), "the login page after logging out")

    accounts.add("rui.costa")
    for _ in range(MAX_FAILURES):
        log_in(browser, service.url, "rui.costa", "not the password at all")
    error = wait_until(browser, lambda: browser.find_element("id", "login-error").text, "the lockout")
    assert error.startswith("Conta bloqueada")
    browser.get(f"{service.url}/login?lang=en")
    assert browser.find_element("tag name", "h1").text == "Supervisor's console"
    shoot(browser, "login-phone", PHONE)
    assert service.server.counts["login_locked"] >= 1


def test_each_action_reaches_the_kiosks_and_displays_and_is_audited(browser, centre):
    centre_, service, accounts, kiosk, watch, _ = centre
    log_in(browser, service.url, "maria.silva", GOOD)
    wait_until(browser, lambda: browser.find_elements("id", "actions"), "the console")
    browser.get(f"{service.url}/?lang=en")
    wait_until(browser, lambda: "Welcome" in browser.find_element("id", "queues").text, "the queues in English")
    tickets = [kiosk.request("issue_ticket", service="triage", language=lang, priority=False)["ticket"]
               for lang in ("pt", "uk", "ar", "en")]
    wait_until(browser, lambda: "4 waiting" in browser.find_element("id", "summary").text, "the waiting count, pushed")

    # pause a service: the kiosk is refused, the display shows it, the console too
    fill(browser, {"ss-service": "immigration", "ss-status": "paused", "ss-reason": "ministry system down"})
    assert submit(browser, "service_state") == "Done: immigration: open → paused"
    with pytest.raises(RequestRefused) as refused:
        kiosk.request("issue_ticket", service="immigration", language="en", priority=False)
    assert refused.value.code == "service_paused"
    watch["services"].wait("immigration", lambda p: p.get("status") == "paused", "the kiosk's service state")
    watch["zone"].wait("ground", lambda p: any(s["service"] == "immigration" and s.get("status") == "paused"
                                              for s in p["services"]), "the display's zone state")
    wait_until(browser, lambda: "ministry system down" in browser.find_element("id", "queues").text, "the pause")
    entry = audit(centre_, "service_state")
    assert (entry["who"], entry["staff"], entry["outcome"]) == ("supervisor.console", "maria.silva", "ok")
    assert entry["args"]["status"] == "paused"

    # a ticker message on the displays
    fill(browser, {"tk-text": "Imigração: atendimento retoma às 14:00", "tk-zone": "ground"})
    assert submit(browser, "ticker_message").startswith("Done: Imigração")
    watch["zone"].wait("ground", lambda p: (p.get("ticker") or {}).get("text") == "Imigração: atendimento retoma às 14:00",
                       "the display's ticker")
    assert audit(centre_, "ticker_message")["staff"] == "maria.silva"

    # call a specific ticket (the Arabic speaker's) to desk 2
    fill(browser, {"ct-code": tickets[2]["code"], "ct-counter": "desk-02"})
    assert submit(browser, "call_ticket") == f"Done: {tickets[2]['code']} → 2"
    watch["zone"].wait("ground", lambda p: p["calls"] and p["calls"][0]["code"] == tickets[2]["code"]
                       and p["calls"][0]["counter_number"] == 2, "the call on the display")
    wait_until(browser, lambda: tickets[2]["code"] in browser.find_element("id", "counters").text, "desk 2 serving")
    assert audit(centre_, "call_ticket")["staff"] == "maria.silva"

    # void a ticket: it leaves the queue the kiosks and displays show
    fill(browser, {"vt-codes": tickets[3]["code"].lower(), "vt-reason": "printed twice by mistake"})
    assert submit(browser, "void_tickets") == f"Done: 1: {tickets[3]['code']}"
    watch["services"].wait("triage", lambda p: p["waiting"] == 2, "the kiosk's waiting count")
    assert audit(centre_, "void_tickets")["args"]["codes"] == [tickets[3]["code"]]

    # a counter's languages for the day
    fill(browser, {"cl-counter": "desk-05", "cl-languages": "pt, uk, ru", "cl-reason": "the Ukrainian mediator is in"})
    assert submit(browser, "counter_languages") == "Done: desk-05: pt, uk, ru"
    wait_until(browser, lambda: "pt, uk, ru" in browser.find_element("id", "counters").text, "the languages")
    assert audit(centre_, "counter_languages")["staff"] == "maria.silva"

    # a refusal is said in words and audited as refused
    fill(browser, {"ct-code": "A999", "ct-counter": "desk-01"})
    assert submit(browser, "call_ticket") == "Refused: no such ticket today"
    assert audit(centre_, "call_ticket")["outcome"] != "ok"

    # the daily report downloads (fetched by the page itself: same session, same origin)
    link = browser.find_element("css selector", "#reports a")
    answer = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) { return r.text().then("
        "function (t) { done([r.status, t, r.headers.get('Content-Disposition')]); }); });",
        link.get_attribute("href"))
    assert answer[0] == 200 and "o dia" in answer[1] and answer[2].startswith("attachment")
    entry = audit(centre_, "report_downloaded")
    assert entry["staff"] == "maria.silva" and entry["outcome"] == "ok"
    assert entry["args"] == {"period": "2026-12-02", "file": "report.pt.html"}

    # the pictures: the console with a busy morning (a paused service, a ticker message, desks at work,
    # a kiosk low on paper), in Portuguese at a desk's and a phone's width
    for device in ("counter-01", "counter-04", "counter-06", "display-first"):
        centre_.link(device)
    kiosk.publish_health(printer="paper_near_end", scanner="ok")
    browser.get(f"{service.url}/?lang=pt")
    wait_until(browser, lambda: "papel a acabar" in browser.find_element("id", "devices").text, "the kiosk's paper")
    wait_until(browser, lambda: "à espera" in browser.find_element("id", "summary").text, "the console in Portuguese")
    shoot(browser, "desktop", DESKTOP)
    shoot(browser, "phone", PHONE)
    # keyboard: the skip link is the first stop and leads to the actions
    from selenium.webdriver.common.keys import Keys
    browser.find_element("tag name", "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip"
    focused.send_keys(Keys.ENTER)
    assert browser.execute_script("return location.hash") == "#actions"
