"""The visitor's phone page in a real browser (Debian's Chromium through chromium-driver and Selenium)
against the real page server, broker and hub of the CNAI site (issue 16): a ticket's page in Arabic,
English and Ukrainian follows it from issue to the near-front alert to the call; a wrong or finished
ref shows nothing; guessing is refused.  Screenshots land in build/guest/ (and docs/images/guest-*.png
when ``ONESTOP_GUEST_SHOTS=docs``).  Without Chromium the test is skipped, under ``CI=true`` it fails."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from simulator.centre import LocalCentre
from siteconf import load_site

REPO = Path(__file__).resolve().parent.parent
CNAI = REPO / "siteconf" / "examples" / "cnai-lisboa.toml"
WAIT_S = 8.0


def chromium_driver(extra: list[str] | None = None):
    """Headless Chromium at a phone's size (``extra``: more arguments, a later size wins), or None when
    Debian's chromium-driver is not installed."""
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver_path:
        message = "Debian's chromium and chromium-driver are needed (./onestop setup installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=412,915",
                     "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required", *(extra or ())):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.fixture(scope="module")
def browser():
    driver = chromium_driver()
    yield driver
    driver.quit()


@pytest.fixture
def cnai(tmp_path):
    site = load_site(CNAI)
    centre = LocalCentre(site, tmp_path).start()
    yield centre, centre.guest_pages()
    centre.close()


def shots_dir(build_dir: Path) -> list[Path]:
    folders = [build_dir / "guest"]
    if os.environ.get("ONESTOP_GUEST_SHOTS") == "docs":
        folders.append(REPO / "docs" / "images")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def shoot(driver, folders: list[Path], name: str) -> None:
    for folder in folders:
        driver.save_screenshot(str(folder / f"guest-{name}.png"))


def text(driver, element_id: str) -> str:
    element = driver.find_element("id", element_id)
    return element.text if element.is_displayed() else ""


def wait_until(driver, check, what: str):
    deadline = time.monotonic() + WAIT_S
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"the page did not show {what} within {WAIT_S} s; it shows: "
                                 f"{driver.find_element('tag name', 'body').text!r}")
        time.sleep(0.05)


def test_a_page_follows_its_ticket_to_the_alert_and_the_call_in_three_languages(browser, cnai, build_dir):
    centre, guest = cnai
    site = centre.site
    kiosk = next(d.id for d in site.devices if d.role == "kiosk")
    service = "triage"
    counter_cfg = next(c for c in site.counters if any(cs.service == service for cs in c.services))
    counter = next(d.id for d in site.devices if d.role == "counter" and d.counter == counter_cfg.id)
    desk, ticket_kiosk = centre.link(counter), centre.link(kiosk)
    ahead = [ticket_kiosk.request("issue_ticket", service=service, language="pt", priority=False)["ticket"]
             for _ in range(8)]
    mine = ticket_kiosk.request("issue_ticket", service=service, language="ar", priority=False)["ticket"]
    folders = shots_dir(build_dir)

    browser.get(f"{guest.url}/t/{mine['ref']}")
    wait_until(browser, lambda: text(browser, "code") == mine["code"], "the ticket's code")
    html = browser.find_element("tag name", "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl"), "the ticket's language"
    assert text(browser, "ahead") and "8" in text(browser, "ahead") and text(browser, "wait")
    assert text(browser, "alert") == "" and "الشاشة" in text(browser, "keep")
    shoot(browser, folders, "ar")

    browser.find_element("css selector", "#langs button[data-lang='en']").click()
    wait_until(browser, lambda: text(browser, "ahead") == "8 people ahead of you", "English")
    assert html.get_attribute("dir") == "ltr" and text(browser, "service") == "Welcome and sorting"
    assert text(browser, "keep").startswith("Keep this page open with the screen on")
    assert browser.find_element("css selector", "#langs button[aria-pressed='true']").text == "English"
    shoot(browser, folders, "en")
    browser.find_element("css selector", "#langs button[data-lang='uk']").click()
    wait_until(browser, lambda: html.get_attribute("lang") == "uk" and "8" in text(browser, "ahead"), "Ukrainian")
    shoot(browser, folders, "uk")
    browser.find_element("css selector", "#langs button[data-lang='en']").click()
    wait_until(browser, lambda: html.get_attribute("lang") == "en", "English again")
    browser.find_element("id", "sound").click()  # the one tap browsers want before a sound
    wait_until(browser, lambda: text(browser, "sound") == "Sound is on", "the sound switched on")

    # the counter works through the queue: the alert comes before the call
    for _ in ahead:
        desk.request("call_next")
    alert = wait_until(browser, lambda: text(browser, "alert"), "the near-front alert")
    assert alert == "Your turn is near. Please go back to the waiting room now."
    assert text(browser, "ahead") == "No one is ahead of you"
    shoot(browser, folders, "alert")
    desk.request("call_next")
    banner = wait_until(browser, lambda: text(browser, "banner-text"), "the call banner")
    assert banner == f"Your turn: counter {counter_cfg.number}" and text(browser, "banner-code") == mine["code"]
    box = browser.find_element("id", "banner").rect
    view = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    assert [box["x"], box["y"], box["width"], box["height"]] == [0, 0, *view], "the banner fills the screen"
    shoot(browser, folders, "call")

    # a phone asleep misses pushes (here: the server forgets the page's ticket, so nothing reaches
    # it); when it becomes visible again it asks at once and shows what is true now
    guest.loop.call_soon_threadsafe(guest.server.by_ticket.clear)
    time.sleep(0.2)
    desk.request("finish")
    time.sleep(0.5)
    assert text(browser, "banner-text") == banner, "the missed update did not arrive by itself"
    browser.execute_script("document.dispatchEvent(new Event('visibilitychange'))")
    wait_until(browser, lambda: text(browser, "none").startswith("There is no ticket to show"), "nothing")
    assert text(browser, "code") == "" and not browser.find_element("id", "banner").is_displayed()


def test_a_wrong_ref_shows_nothing_and_guessing_is_refused(browser, cnai, build_dir):
    centre, guest = cnai
    kiosk = next(d.id for d in centre.site.devices if d.role == "kiosk")
    real = centre.link(kiosk).request("issue_ticket", service="triage", language="en", priority=False)["ticket"]
    browser.get(f"{guest.url}/t/{'a' * 26}?lang=en")
    wait_until(browser, lambda: text(browser, "none").startswith("There is no ticket to show"), "nothing")
    assert text(browser, "code") == "" and text(browser, "keep") == ""
    for n in range(12):  # a guesser: each wrong ref costs a miss (the page's socket and its check)
        browser.get(f"{guest.url}/t/{'b' * 25}{'abcdefghijklmnop'[n]}?lang=en")
        time.sleep(0.05)
    browser.get(f"{guest.url}/t/{real['ref']}?lang=en")
    busy = wait_until(browser, lambda: text(browser, "none"), "the refusal")
    assert busy == "Too many tries. Please wait a minute." and text(browser, "code") == ""
    assert text(browser, "sound") == "" and text(browser, "keep") == ""
    assert guest.server.limits.refused["guessing"] >= 1
    shoot(browser, shots_dir(build_dir), "busy")
