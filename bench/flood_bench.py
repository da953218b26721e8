"""One kiosk floods the hub; how are the other devices served meanwhile?

    .venv/bin/python bench/flood_bench.py                      # 20 s flood, this checkout
    .venv/bin/python bench/flood_bench.py --code /tmp/before   # the same against another checkout

Starts Mosquitto on the project's generated config and the hub as its own process, with the
site file's default limits (the small test site plus kiosks kiosk-2..kiosk-6).  ``kiosk-1``'s
login floods ``issue_ticket`` from its own process (tests/flood.py: as fast as paho and the
broker take them) for ``--seconds``; meanwhile kiosks 2-6 each ask for a ticket every 2 s and
counters 1-2 press NEXT every second (within their limits), each waiting at most 2 s for the
answer.  Prints the other devices' latency (p50, p99, max) and how many got no answer in 2 s,
the flooder's answers, the hub's CPU time and memory, and how much the database grew.

``--code DIR`` runs the hub (and this script's helpers) from another checkout, e.g. a
``git worktree`` of the commit before the limits; a checkout without ``siteconf/limits.py``
gets the same site without ``limits``.  Exit status 0 unless the run itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--code", default=str(HERE), help="checkout whose hub to run (default: this one)")
    args = parser.parse_args()
    code = Path(args.code).resolve()
    for path in (str(HERE / "tests"), str(code)):
        sys.path.insert(0, path)
    import tomli_w
    from sites import small_site, small_site_dict

    from simulator.centre import LocalCentre

    has_limits = (code / "siteconf" / "limits.py").exists()
    data = small_site_dict()
    data.pop("limits", None)  # the defaults a real site gets
    others = [f"kiosk-{i}" for i in range(2, 7)]
    for kiosk in others:
        data["devices"].append({"id": kiosk, "role": "kiosk", "zone": "ground"})
    with tempfile.TemporaryDirectory() as work:
        centre = LocalCentre(small_site(data), work).start_broker()
        site_file = Path(work) / "site.toml"
        site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
        device_file = centre.write_hub_device_file(site_file)
        env = {**os.environ, "PYTHONPATH": str(code)}
        with open(Path(work) / "hub.log", "w") as log:
            hub = subprocess.Popen([sys.executable, "-m", "hub.main", "--device", str(device_file)], env=env,
                                   stderr=log, cwd=str(code))
            try:
                return run(args, centre, hub, others, has_limits, code)
            finally:
                hub.terminate()
                hub.wait()
                centre.close()


def proc_figures(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of a process, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK"), rss / 1024


def centre_tickets(database: str) -> int:
    import sqlite3
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]


def tickets_of(database: str, source: str) -> int:
    import sqlite3
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM tickets WHERE source = ?", (source,)).fetchone()[0]


def db_bytes(database: str) -> int:
    return sum(os.path.getsize(p) for p in (database, database + "-wal") if os.path.exists(p))


def run(args, centre, hub, others, has_limits, code) -> int:
    from mqttlink.link import LinkError, RequestRefused
    deadline = time.monotonic() + 20
    links = {}
    for device in others + ["counter-1", "counter-2"]:
        links[device] = centre.link(device)
        while True:
            try:
                if device.startswith("kiosk"):
                    links[device].request("ticket_status", ref="a" * 16, timeout=2)
                break
            except RequestRefused:
                break  # the hub answered (unknown ticket): it is up
            except LinkError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    time.sleep(1.0)  # let the buckets fill again
    cpu0, rss0 = proc_figures(hub.pid)
    db0 = db_bytes(centre.database)
    rss_peak = rss0
    latencies: list[float] = []
    unanswered: list[str] = []
    stop = threading.Event()

    def device_loop(device: str, every_s: float, offset: float) -> None:
        link = links[device]
        stop.wait(offset)
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                if device.startswith("kiosk"):
                    link.request("issue_ticket", service="reception", language="pt", priority=False, timeout=2)
                else:
                    link.request("call_next", timeout=2)
                latencies.append((time.monotonic() - t0) * 1000)
            except RequestRefused as refused:
                latencies.append((time.monotonic() - t0) * 1000)
                unanswered.append(f"{device} refused {refused.code}")
            except LinkError:
                unanswered.append(f"{device} no answer in 2 s")
            stop.wait(max(0.0, every_s - (time.monotonic() - t0)))

    threads = [threading.Thread(target=device_loop, args=(d, 2.0, i * 0.3), daemon=True) for i, d in enumerate(others)]
    threads += [threading.Thread(target=device_loop, args=(d, 1.0, 0.15 + i * 0.5), daemon=True)
                for i, d in enumerate(["counter-1", "counter-2"])]
    for thread in threads:
        thread.start()
    flooder = subprocess.Popen([sys.executable, str(HERE / "tests" / "flood.py"), str(centre.port),
                                centre.site.site.id, "kiosk-1", centre.credentials.password_for("kiosk-1"),
                                str(args.seconds)], stdout=subprocess.PIPE, text=True)
    while flooder.poll() is None:
        rss_peak = max(rss_peak, proc_figures(hub.pid)[1])
        time.sleep(0.25)
    flood = json.loads(flooder.stdout.read())
    stop.set()
    for thread in threads:
        thread.join()
    cpu1, rss1 = proc_figures(hub.pid)
    grown = db_bytes(centre.database) - db0
    load = os.getloadavg()
    print(f"command: .venv/bin/python bench/flood_bench.py --seconds {args.seconds:g} --code {code}")
    print(f"hub code: {code} ({'site file limits: defaults' if has_limits else 'no limits in this code'})")
    print(f"flooder kiosk-1: sent {flood['sent']} in {flood['seconds']} s ({flood['sent'] / flood['seconds']:.0f}/s); "
          f"answers {flood['codes']}")
    if latencies:
        print(f"other devices (5 kiosks every 2 s, 2 counters every 1 s): {len(latencies)} answered, "
              f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
              f"max {max(latencies):.1f} ms; not answered in 2 s or refused: {len(unanswered)}")
    else:
        print(f"other devices: none answered; {len(unanswered)} tries failed")
    if unanswered:
        print("  " + "; ".join(sorted(set(unanswered)))[:400])
    print(f"hub: CPU {cpu1 - cpu0:.1f} s during the run; RSS {rss0:.1f} -> peak {rss_peak:.1f} -> {rss1:.1f} MB")
    tickets = centre_tickets(centre.database)
    print(f"database: {tickets} tickets in all, {tickets_of(centre.database, 'kiosk-1')} of them kiosk-1's; "
          f"file + WAL grew {grown / 1e6:.2f} MB; load average at the end {load[0]:.2f}")
    print("hub log: " + " | ".join(line.strip()[24:] for line in open(Path(centre.database).parent / "hub.log")
                                   if "WARNING" in line or "ERROR" in line)[:600])
    for link in links.values():
        link.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
