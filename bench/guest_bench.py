"""Issue 16's figures: the phone page's call latency and what open pages cost the hub.

    .venv/bin/python bench/guest_bench.py [--calls 200] [--waiting 200] [--pages 1000]

A real Mosquitto (the project's config), the hub as its own process (``onestop-hub``, with the
guest feed) and the page server as its own process (``python -m guest.main``), as on a Pi; the
pages are aiohttp WebSocket clients in this process, each from its own loopback address
(127.1.x.y: one phone, one address, so the per-IP limits hold as on the guest Wi-Fi).

Three runs, each on a queue refilled to ``--waiting`` tickets (two services, half each), each
``--calls`` turns of: a kiosk issues a ticket (request → reply, timed: the hub's issue latency)
and the service's counter calls the next (``call_next`` sent → the called ticket's page has
"called", timed: what a visitor waits for):

1. no page open (the hub's idle issue latency with the feed);
2. one page per waiting ticket (the call → page figures of the issue: p50, p95 over the calls);
3. ``--pages`` pages over the same tickets (several phones per ticket).

It prints each run's issue p50/p99, call → page p50/p95, and the page server's resident memory
and CPU seconds.  Not a test: figures go to docs/performance.md with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import tomli_w  # noqa: E402
from sites import small_site, small_site_dict  # noqa: E402

from contract.acl import GUESTPAGE_ID  # noqa: E402
from guest.config import config_data  # noqa: E402
from simulator.centre import LocalCentre  # noqa: E402

SERVICES = (("reception", "counter-1"), ("immigration", "counter-2"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def cap_cpu(pid: int, percent: int) -> str:
    """Put the page server under a CPU quota as its unit's ``CPUQuota=`` does (a cgroup v1 ``cpu``
    group here, v2's ``cpu.max`` where that is the hierarchy); returns what was done."""
    for root, files in (("/sys/fs/cgroup/cpu", ("cpu.cfs_quota_us", "cpu.cfs_period_us", "tasks")),
                        ("/sys/fs/cgroup", ("cpu.max", None, "cgroup.procs"))):
        group = Path(root) / f"onestop-guest-bench-{os.getpid()}"
        try:
            group.mkdir()
            if files[1]:
                (group / files[0]).write_text(str(percent * 1000))
            else:
                (group / files[0]).write_text(f"{percent * 1000} 100000")
            (group / files[2]).write_text(str(pid))
            return f"CPUQuota={percent}% ({group})"
        except OSError:
            continue
    return "no CPU quota (no writable cgroup)"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Pages:
    """Open WebSocket pages; ``called[ref]`` is when the first of a ref's pages saw "called"."""

    def __init__(self, url: str):
        self.url = url
        self.called: dict[str, float] = {}
        self.tasks: list[asyncio.Task] = []
        self.sessions: list[aiohttp.ClientSession] = []
        self.opened = 0

    async def open(self, ref: str) -> None:
        n = self.opened
        self.opened += 1
        address = f"127.1.{n // 250}.{n % 250 + 1}"
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))
        self.sessions.append(session)
        socket_ = await session.ws_connect(f"{self.url}/t/{ref}/ws?lang=en")
        first = await socket_.receive()
        assert json.loads(first.data)["state"] in ("waiting", "called"), first.data
        self.tasks.append(asyncio.ensure_future(self._follow(ref, socket_)))

    async def _follow(self, ref: str, socket_) -> None:
        async for message in socket_:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            if json.loads(message.data)["state"] == "called" and ref not in self.called:
                self.called[ref] = time.perf_counter()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for session in self.sessions:
            await session.close()


async def run(centre, guest_url: str, guest_pid: int, calls: int, waiting: int, per_ticket: int) -> dict:
    kiosk = centre.link("kiosk-1")
    desks = {service: centre.link(counter) for service, counter in SERVICES}
    issue = lambda service: kiosk.request("issue_ticket", service=service, language="en", priority=False)  # noqa
    state = [await asyncio.to_thread(issue, SERVICES[n % 2][0]) for n in range(waiting)]  # each run empties it
    refs = [t["ticket"]["ref"] for t in state]
    pages = Pages(guest_url)
    for ref in refs:
        for _ in range(per_ticket):
            await pages.open(ref)
    await asyncio.sleep(1.0)
    cpu0 = cpu_s(guest_pid)
    issue_s, call_s, missed = [], [], 0
    for n in range(calls):
        service = SERVICES[n % 2][0]
        t0 = time.perf_counter()
        await asyncio.to_thread(issue, service)
        issue_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reply = await asyncio.to_thread(desks[service].request, "call_next")
        ref = reply["ticket"]["ref"]
        if per_ticket:
            deadline = time.perf_counter() + 5
            while ref not in pages.called and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            if ref in pages.called:
                call_s.append(pages.called[ref] - t0)
            else:
                missed += 1
    result = {"pages": pages.opened, "issue_p50_ms": pct(issue_s, 50), "issue_p99_ms": pct(issue_s, 99),
              "guest_rss_mb": rss_mb(guest_pid), "guest_cpu_s": cpu_s(guest_pid) - cpu0}
    if call_s:
        result |= {"call_page_p50_ms": pct(call_s, 50), "call_page_p95_ms": pct(call_s, 95),
                   "call_page_n": len(call_s), "missed": missed}
    await pages.close()
    # finish what is left so the next run starts from an empty queue
    for service, _counter in SERVICES:
        while (await asyncio.to_thread(desks[service].request, "call_next")).get("ticket"):
            pass
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--cpu-quota", type=int, default=25,
                        help="the page server's CPU quota in percent, as onestop-guest.service (0: none)")
    args = parser.parse_args()
    site = small_site()
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        (work / "site.toml").write_text(tomli_w.dumps(small_site_dict()), encoding="utf-8")
        centre = LocalCentre(site, work).start_broker()
        hub = centre.spawn_hub_process(work / "site.toml", stderr=subprocess.DEVNULL)
        config = work / "guest-page.toml"
        config.write_text(tomli_w.dumps(config_data(site.site.id, centre.credentials.password_for(GUESTPAGE_ID),
                                                    "127.0.0.1", centre.port)), encoding="utf-8")
        port = free_port()
        guest = subprocess.Popen([sys.executable, "-m", "guest.main", "--config", str(config), "--listen",
                                  "127.0.0.1", "--port", str(port)], cwd=REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        guest.stdout.readline()
        capped = cap_cpu(guest.pid, args.cpu_quota) if args.cpu_quota else "no CPU quota"
        probe = centre.link("kiosk-1")
        deadline = time.monotonic() + 20
        while True:
            try:
                probe.request("ticket_status", ref="a" * 26, timeout=1)
            except Exception as exc:  # noqa: BLE001 - a refusal means the hub answers
                if "unknown_ticket" in str(exc) or time.monotonic() > deadline:
                    break
                continue
            break
        try:
            per_page = max(1, args.pages // args.waiting)
            print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; waiting {args.waiting}, "
                  f"{args.calls} issue+call turns per run; page server: {capped}")
            for name, per_ticket in (("no page open", 0), ("one page per ticket", 1),
                                     (f"{per_page} pages per ticket", per_page)):
                result = asyncio.run(run(centre, f"http://127.0.0.1:{port}", guest.pid, args.calls, args.waiting,
                                         per_ticket))
                print(f"{name:>22}: " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                                  for k, v in result.items()), flush=True)
        finally:
            guest.terminate()
            guest.wait(10)
            hub.terminate()
            hub.wait(10)
            centre.close()
            for group in Path("/sys/fs/cgroup/cpu").glob(f"onestop-guest-bench-{os.getpid()}"):
                group.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
