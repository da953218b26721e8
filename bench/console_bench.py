"""Issue 17's figure: a supervisor's action in the console → visible on a wall display, p50 and p95.

    .venv/bin/python bench/console_bench.py [--actions 100] [--pace 1.05]

A real Mosquitto (the project's config) and the hub of the CNAI site (``LocalCentre``, the hub on a
thread of this process), the console (``console.main.ConsoleService``) over HTTPS with a certificate
of a site CA made for the run, logged in as a staff account, and the wall display of the ground
floor as a device link following its retained ``state/zone/ground``.  Each turn posts one action's
form as the page's script does (``POST /action/<name>``, the session's CSRF token, ``Accept:
application/json``) and times until the display's zone state shows it:

* ``ticker_message``: a new text for the ground floor's walls (the zone state's ``ticker``);
* ``service_state``: the triage service paused, then opened again (the zone's service ``status``).

The turns are paced a little over a second apart: the hub holds ``supervisor.console`` to a
person's pace (``hub.limits.OPERATOR_LIMIT``, one request a second after a burst of 20) and refuses
faster ones ``rate_limited``, which the console says in words.  It prints p50, p95 and the largest of each and of all turns together, and the console's answer time
(POST → its JSON answer, which waits for the hub's reply).  Not a test: figures go to
docs/performance.md with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

from broker_config.pki import SiteCA  # noqa: E402
from console.accounts import Accounts  # noqa: E402
from console.main import ConsoleService, tls_context  # noqa: E402
from contract.topics import Topics  # noqa: E402
from simulator.centre import LocalCentre  # noqa: E402
from siteconf import load_site  # noqa: E402

CNAI = REPO / "siteconf" / "examples" / "cnai-lisboa.toml"
PASSWORD = "a long phrase for the measuring run"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name:<16} n={len(ms):<4} p50 {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms   "
            f"max {max(ms):6.1f} ms")


class Wall:
    """The ground floor's display: the newest zone state and when it came."""

    def __init__(self, link, topic: str):
        self.changed = threading.Condition()
        self.state: dict = {}
        link.subscribe(topic, self._on)

    def _on(self, topic, payload):
        with self.changed:
            self.state = payload or {}
            self.changed.notify_all()

    def wait(self, check, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not check(self.state):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("the display did not show the action within 10 s")
                self.changed.wait(left)
        return time.perf_counter()


async def run(args, service: ConsoleService, wall: Wall, ca: Path) -> None:
    context = ssl.create_default_context(cafile=str(ca))
    url = service.url
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        page = await (await client.get(f"{url}/login", ssl=context)).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        answer = await client.post(f"{url}/login", ssl=context, allow_redirects=False,
                                   data={"csrf": csrf, "name": "bench", "password": PASSWORD},
                                   headers={"Origin": url})
        assert answer.status == 303, answer.status
        page = await (await client.get(f"{url}/", ssl=context)).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        loop = asyncio.get_running_loop()
        shown: dict[str, list[float]] = {"ticker_message": [], "service_state": []}
        answered: list[float] = []
        for turn in range(args.actions):
            if turn:  # the hub holds supervisor.console to a person's pace (hub.limits.OPERATOR_LIMIT: 1/s)
                await asyncio.sleep(max(0.0, args.pace - (time.perf_counter() - start)))
            if turn % 2 == 0:
                text = f"Mensagem {turn}"
                action, form = "ticker_message", {"text": text, "zone": "ground"}
                check = (lambda s, text=text: (s.get("ticker") or {}).get("text") == text)
            else:
                status = "paused" if turn % 4 == 1 else "open"
                action, form = "service_state", {"service": "triage", "status": status, "reason": "bench turn"}
                check = (lambda s, status=status: any(x["service"] == "triage" and x.get("status") == status
                                                      for x in s.get("services", [])))
            seen = loop.run_in_executor(None, wall.wait, check)
            start = time.perf_counter()
            response = await client.post(f"{url}/action/{action}", ssl=context, data=form | {"csrf": csrf},
                                         headers={"Accept": "application/json", "Origin": url})
            body = await response.json()
            answered.append(time.perf_counter() - start)
            assert body["ok"], body
            shown[action].append(await seen - start)
        print(line("ticker → wall", shown["ticker_message"]))
        print(line("service → wall", shown["service_state"]))
        print(line("any → wall", shown["ticker_message"] + shown["service_state"]))
        print(line("console answer", answered))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--pace", type=float, default=1.05, help="seconds between actions (the hub's limit: 1/s)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="console-bench-"))
    site = load_site(CNAI)
    ca = SiteCA.open(work / "pki", site.site.id)
    cert, key = ca.ensure_server(["127.0.0.1"])
    centre = LocalCentre(site, work).start()
    accounts = Accounts(work / "accounts.sqlite3", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts.add("bench")
    accounts.first_password("bench", PASSWORD)
    service = ConsoleService(site, accounts, "127.0.0.1", centre.port,
                             centre.credentials.password_for("monitor.console"),
                             centre.credentials.password_for("supervisor.console"), listen="127.0.0.1", port=0,
                             tls=tls_context(str(cert), str(key)), timing=centre.timing).start()
    wall = Wall(centre.link("display-ground"), Topics(site.site.id).zone_state("ground"))
    try:
        asyncio.run(run(args, service, wall, ca.ca_path))
    finally:
        service.stop()
        centre.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
