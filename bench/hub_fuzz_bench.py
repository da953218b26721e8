"""The long fuzz run of the hub: hostile requests on every request topic through the real broker.

    .venv/bin/python bench/hub_fuzz_bench.py               # 10,000 requests
    .venv/bin/python bench/hub_fuzz_bench.py -n 50000      # longer

Starts Mosquitto on the project's generated config and the hub as its own process
(``onestop-hub``, SQLite on disk), then sends what ``tests/hub_fuzz.py`` draws (Hypothesis:
near-valid requests, any JSON, any bytes, deep nesting, lone surrogates, oversized payloads,
QoS 0) from the logins of a kiosk, a counter, a display and an information-only kiosk, 64 in
flight at a time so poison and innocent requests share the hub's batches.  It prints how many
got each answer, the hub's CPU time and memory growth, and checks afterwards: the hub alive and
answering, every ticket in the database handed out by a reply, the next ticket numbered right.
The suite runs the same for about 3,000 requests (tests/test_hub_fuzz.py).

Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import tomli_w  # noqa: E402
from hub_fuzz import FuzzRun, requests, rss_mb, tickets_in  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from raw_device import wait_hub_online  # noqa: E402
from sites import more_kiosks_site_dict, small_site  # noqa: E402

from simulator.centre import LocalCentre  # noqa: E402


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="requests to send (default 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        centre = LocalCentre(small_site(more_kiosks_site_dict()), work).start_broker()
        site_file = Path(work) / "site.toml"
        site_file.write_text(tomli_w.dumps(more_kiosks_site_dict()), encoding="utf-8")
        with open(Path(work) / "hub.log", "a") as log:
            start = time.time()
            hub = centre.spawn_hub_process(site_file, stderr=log)
            try:
                wait_hub_online(centre, start)
                return run(centre, hub, args)
            finally:
                hub.terminate()
                hub.wait()
                centre.close()


def run(centre, hub, args) -> int:
    fuzz = FuzzRun(centre)
    for _ in range(50):
        fuzz.send("kiosk-info", "ticket_status", b"{}", 1)
    rss0, cpu0, t0 = rss_mb(hub.pid), cpu_s(hub.pid), time.monotonic()

    @settings(max_examples=args.n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def one(request):
        fuzz.send_nowait(*request)
        if len(fuzz.pending) >= 64:
            fuzz.check_pending()

    one()
    fuzz.check_pending()
    wall, cpu, grown = time.monotonic() - t0, cpu_s(hub.pid) - cpu0, rss_mb(hub.pid) - rss0
    sent = fuzz.sent - 50
    failures = []
    if hub.poll() is not None:
        failures.append("the hub died")
    if tickets_in(centre.database) != len(fuzz.tickets_handed_out):
        failures.append(f"{tickets_in(centre.database)} tickets in the database, "
                        f"{len(fuzz.tickets_handed_out)} handed out")
    try:
        ticket = centre.link("kiosk-2").request("issue_ticket", service="reception", language="en",
                                                priority=False, timeout=2)["ticket"]
        print(f"after the run: kiosk-2 got {ticket['code']}, {ticket['people_ahead']} ahead")
    except Exception as exc:  # noqa: BLE001 - the figure to print is whether it answered at all
        failures.append(f"the hub did not answer afterwards: {exc}")
    print(f"command: .venv/bin/python bench/hub_fuzz_bench.py -n {args.n}")
    print(f"requests sent and answered: {sent} in {wall:.1f} s ({sent / wall:.0f}/s), 64 in flight")
    print(f"hub CPU: {cpu:.1f} s ({cpu / sent * 1000:.2f} ms per request); RSS {rss0:.1f} -> "
          f"{rss0 + grown:.1f} MB ({grown:+.1f} MB)")
    print("answers: " + ", ".join(f"{k} {v}" for k, v in fuzz.reasons.most_common()))
    print("checks: " + ("; ".join(failures) if failures else "hub alive and answering, no phantom ticket"))
    fuzz.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
