"""Spine benchmark: the hub's durable request path through the real Mosquitto.

    .venv/bin/python bench/spine_bench.py            # full run (~25 s)
    .venv/bin/python bench/spine_bench.py --quick    # smoke run (~10 s)
    .venv/bin/python bench/spine_bench.py --json     # machine-readable

Starts a ``LocalCentre`` (Mosquitto on the generated config with per-device
credentials, the hub in this process with SQLite WAL + synchronous=FULL on
disk) and measures, each on its own:

1. issue_ticket request -> reply, one kiosk, one request at a time;
2. call_next request (counter device) -> ticket_called event received by a
   display device subscribed to its zone's event topic;
3. sustained durable issues/s from 4 kiosk processes with a window of
   requests in flight each, plus the p99 reply latency at that load; the
   ticket count in the hub's database and the uniqueness of the codes are
   checked afterwards.

Then a short breakdown (informational, no target): a bare broker round trip
without the hub, the engine alone (validate + apply + durable commit, no
MQTT), and a bare fsync'd SQLite commit, so the figures can be explained.

This is a benchmark, not a test: it prints figures and exits 0 even when a
target is missed (exit 1 only if a correctness check fails).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import multiprocessing as mp
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from contract import payloads  # noqa: E402
from contract.topics import Topics  # noqa: E402
from mqttlink.link import DeviceLink  # noqa: E402
from simulator.centre import FAST  # noqa: E402

LOAD_KIOSKS = ("kiosk-2", "kiosk-3", "kiosk-4", "kiosk-5")
SERVICE = "reception"  # served by counter c1 (device counter-1), zone "ground"
ZONE = "ground"

FULL = dict(issue_n=2000, issue_warmup=200, call_n=1000, call_warmup=100,
            load_s=10.0, load_warmup_s=1.0, window=8, breakdown_n=500)
QUICK = dict(issue_n=300, issue_warmup=50, call_n=200, call_warmup=30,
             load_s=3.0, load_warmup_s=0.5, window=8, breakdown_n=100)


# --------------------------------------------------------------------- helpers
def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of samples in seconds, returned in ms."""
    if not samples:
        return float("nan")
    s = sorted(samples)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k] * 1000


def summary(samples: list[float]) -> dict:
    return {"n": len(samples), "p50_ms": pct(samples, 50), "p99_ms": pct(samples, 99),
            "max_ms": max(samples) * 1000 if samples else float("nan"),
            "mean_ms": sum(samples) / len(samples) * 1000 if samples else float("nan")}


def fs_of(path: Path) -> str:
    """Filesystem type of path (longest mount-point prefix in /proc/mounts)."""
    best, kind = "", "?"
    try:
        real = str(path.resolve())
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1]
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, kind = mnt, f"{parts[2]} ({parts[0]} on {mnt})"
    except OSError:
        pass
    return kind


def machine() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        out = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, timeout=5)
        mosq = next((ln.strip() for ln in (out.stdout + out.stderr).splitlines() if "version" in ln), "?")
    except (OSError, subprocess.SubprocessError):
        mosq = "?"
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        rev = f"{head}{' + uncommitted changes' if dirty else ''}" if head else "?"
    except (OSError, subprocess.SubprocessError):
        rev = "?"
    import paho.mqtt
    return {"git": rev, "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu": cpu, "kernel": platform.release(), "python": platform.python_version(),
            "mosquitto": mosq, "paho_mqtt": paho.mqtt.__version__, "sqlite": sqlite3.sqlite_version}


#: the bench measures the hub's own speed, so its site file lifts the per-device limits
#: (the defaults allow a kiosk 0.5 request/s: siteconf/limits.py); the quotas still add up to
#: less than a service's 99,999 numbers a day, as the site file's check demands
BENCH_LIMITS = {"kiosk": {"requests_per_s": 10000, "burst": 10000, "tickets_per_day": 15000},
                "counter": {"requests_per_s": 10000, "burst": 10000, "tickets_per_day": 1000}}


def bench_site():
    from sites import small_site, small_site_dict
    data = small_site_dict()
    data["limits"] = BENCH_LIMITS
    for device_id in LOAD_KIOSKS:
        data["devices"].append({"id": device_id, "role": "kiosk", "zone": ZONE})
    return small_site(data)


def db_tickets(database: str) -> tuple[int, int]:
    """(tickets, duplicate (service_day, code) pairs) read from the hub's database."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        total = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
        distinct = db.execute("SELECT count(*) FROM (SELECT DISTINCT service_day, code FROM tickets)").fetchone()[0]
        return total, total - distinct
    finally:
        db.close()


class CpuMeter:
    """CPU seconds used between two samples, by the whole machine and by named pids/tids."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, tasks: dict[str, str]):
        self.tasks = tasks  # name -> /proc path of a process or thread
        self.first: dict | None = None

    @staticmethod
    def _proc(path: str) -> float:
        try:
            with open(f"{path}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CpuMeter.TICK  # utime + stime
        except (OSError, IndexError, ValueError):
            return float("nan")

    @staticmethod
    def _machine() -> dict:
        with open("/proc/stat", encoding="utf-8") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
        return {n: v[i] / CpuMeter.TICK for i, n in enumerate(names) if i < len(v)}

    def sample(self) -> dict:
        return {"machine": self._machine(), **{n: self._proc(p) for n, p in self.tasks.items()}}

    def start(self) -> None:
        self.first = self.sample()

    def stop(self, seconds: float) -> dict:
        """Average number of CPUs busy over ``seconds`` (1.0 = one core all the time)."""
        last = self.sample()
        a, b = self.first["machine"], last["machine"]
        d = {k: b[k] - a[k] for k in a}
        out = {"machine_busy": (sum(d.values()) - d["idle"] - d.get("iowait", 0) - d.get("steal", 0)) / seconds,
               "machine_iowait": d.get("iowait", 0) / seconds, "machine_steal": d.get("steal", 0) / seconds}
        for name in self.tasks:
            out[name] = (last[name] - self.first[name]) / seconds
        return out


def log(args, text: str) -> None:
    if not args.json:
        print(text, file=sys.stderr, flush=True)


# ------------------------------------------------------------------- figure 1
def fig_issue(kiosk: DeviceLink, n: int, warmup: int) -> tuple[dict, list[str]]:
    codes: list[str] = []
    samples: list[float] = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        result = kiosk.request("issue_ticket", service=SERVICE, language="en")
        dt = time.perf_counter() - t0
        codes.append(result["ticket"]["code"])
        if i >= warmup:
            samples.append(dt)
    return summary(samples), codes


def issue_many(kiosk: DeviceLink, count: int, window: int = 16) -> list[str]:
    """Issue tickets quickly (not measured), a window at a time."""
    codes: list[str] = []
    while len(codes) < count:
        futures = [kiosk.request_async("issue_ticket", service=SERVICE, language="en")
                   for _ in range(min(window, count - len(codes)))]
        for future in futures:
            reply = future.result(timeout=10)
            if not reply.get("ok"):
                raise RuntimeError(f"issue refused: {reply}")
            codes.append(reply["result"]["ticket"]["code"])
    return codes


# ------------------------------------------------------------------- figure 2
def fig_call(counter: DeviceLink, display: DeviceLink, site_id: str, n: int, warmup: int) -> dict:
    got = threading.Event()
    seen: dict = {}

    def on_event(topic: str, payload) -> None:
        if payload and payload.get("event") == "ticket_called":
            seen["t"] = time.perf_counter()
            seen["code"] = payload["data"]["code"]
            got.set()

    display.subscribe(Topics(site_id).zone_events(ZONE), on_event)
    time.sleep(0.3)  # let the SUBACK come back before the first call
    event_lat: list[float] = []
    reply_lat: list[float] = []
    mismatched = 0
    for i in range(warmup + n):
        got.clear()
        seen.clear()
        done: dict = {}
        t0 = time.perf_counter()
        future = counter.request_async("call_next")
        future.add_done_callback(lambda f, d=done: d.setdefault("t", time.perf_counter()))
        if not got.wait(5):
            raise RuntimeError(f"call {i}: the display got no ticket_called event within 5 s")
        reply = future.result(timeout=5)
        if not reply.get("ok") or not reply["result"]["ticket"]:
            raise RuntimeError(f"call {i}: unexpected reply {reply}")
        if reply["result"]["ticket"]["code"] != seen["code"]:
            mismatched += 1
        if i >= warmup:
            event_lat.append(seen["t"] - t0)
            reply_lat.append(done["t"] - t0)
    out = summary(event_lat)
    out["reply"] = summary(reply_lat)
    out["mismatched_codes"] = mismatched
    return out


# ------------------------------------------------------------------- figure 3
def _load_client(site_id: str, device_id: str, password: str, port: int, window: int,
                 warmup: float, duration: float, go, start_at_value, ready, results) -> None:
    """One kiosk process: keep ``window`` issue requests in flight until measure_to.

    Times are time.perf_counter() values; on Linux that is CLOCK_MONOTONIC, so
    they compare across the processes of one machine."""
    link = DeviceLink(site_id, device_id, password, host="127.0.0.1", port=port, role="kiosk", timing=FAST)
    link.start()
    if not link.wait_connected(10):
        results.put({"device": device_id, "error": f"could not connect: {link.last_connack}"})
        ready.put(device_id)
        return
    ready.put(device_id)
    slots = threading.Semaphore(window)
    lock = threading.Lock()
    codes: list[str] = []
    errors: list[str] = []
    latencies: list[float] = []   # of requests sent inside the measured window
    in_window = 0                 # replies received inside the measured window
    sent = 0
    outstanding = 0

    def on_done(future, t0: float) -> None:
        nonlocal in_window, outstanding
        t1 = time.perf_counter()
        with lock:
            outstanding -= 1
            try:
                reply = future.result()
                if reply.get("ok"):
                    codes.append(reply["result"]["ticket"]["code"])
                else:
                    errors.append(reply.get("error", {}).get("code", "?"))
            except Exception as exc:  # LinkError
                errors.append(type(exc).__name__)
            if measure_from <= t0 < measure_to:
                latencies.append(t1 - t0)
            if measure_from <= t1 < measure_to:
                in_window += 1
        slots.release()

    if not go.wait(60):
        link.close()
        results.put({"device": device_id, "error": "no start signal"})
        return
    start_at = start_at_value.value
    measure_from, measure_to = start_at + warmup, start_at + warmup + duration
    while time.perf_counter() < start_at:
        time.sleep(0.001)
    stalled = False
    while True:
        if not slots.acquire(timeout=FAST.request_expiry_s):
            stalled = True
            break
        t0 = time.perf_counter()
        if t0 >= measure_to:
            slots.release()
            break
        with lock:
            outstanding += 1
            sent += 1
        future = link.request_async("issue_ticket", service=SERVICE, language="en")
        future.add_done_callback(lambda f, t0=t0: on_done(f, t0))
    deadline = time.perf_counter() + FAST.request_expiry_s + 1
    while time.perf_counter() < deadline:
        with lock:
            if outstanding == 0:
                break
        time.sleep(0.005)
    with lock:
        result = {"device": device_id, "sent": sent, "ok": len(codes), "errors": list(errors),
                  "unanswered": outstanding, "stalled": stalled, "codes": list(codes),
                  "latencies": list(latencies), "in_window": in_window}
    link.close()
    results.put(result)


def fig_load(centre, duration: float, warmup: float, window: int) -> dict:
    site_id = centre.site.site.id
    ctx = mp.get_context("spawn")  # this process has threads (hub, paho): never fork it
    ready, results = ctx.Queue(), ctx.Queue()
    go, start_at_value = ctx.Event(), ctx.Value("d", 0.0)
    before_tickets, _ = db_tickets(centre.database)
    procs = [ctx.Process(target=_load_client, name=f"load-{d}",
                         args=(site_id, d, centre.credentials.password_for(d), centre.port, window,
                               warmup, duration, go, start_at_value, ready, results))
             for d in LOAD_KIOSKS]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=60)
        # everyone is connected: start all clients at one instant (perf_counter is
        # CLOCK_MONOTONIC on Linux, the same clock in every process)
        start_at = time.perf_counter() + 0.2
        measure_from, measure_to = start_at + warmup, start_at + warmup + duration
        start_at_value.value = start_at
        go.set()
        hub = centre.hub
        tasks = {"hub_worker_thread": f"/proc/self/task/{hub._worker.native_id}",
                 "hub_paho_thread": f"/proc/self/task/{hub.client._thread.native_id}",
                 "bench_process_total": "/proc/self", "mosquitto": f"/proc/{centre.broker.pid}"}
        tasks.update({f"client_{d}": f"/proc/{p.pid}" for d, p in zip(LOAD_KIOSKS, procs)})
        meter = CpuMeter(tasks)
        marks = []
        for mark in (start_at, measure_from, measure_to):
            while time.perf_counter() < mark:
                time.sleep(min(0.001, max(0.0, mark - time.perf_counter())))
            marks.append(hub.batches)
            if len(marks) == 2:
                meter.start()
        cpu = meter.stop(duration)
        b_start, b_from, b_to = marks
        outs = [results.get(timeout=60) for _ in procs]
        b_end = hub.batches
    finally:
        for p in procs:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
                p.join()
    failed = [o for o in outs if "error" in o]
    if failed:
        raise RuntimeError(f"load clients failed: {failed}")
    after_tickets, duplicates_db = db_tickets(centre.database)
    codes = [c for o in outs for c in o["codes"]]
    latencies = [x for o in outs for x in o["latencies"]]
    in_window = sum(o["in_window"] for o in outs)
    sent = sum(o["sent"] for o in outs)
    errors = [e for o in outs for e in o["errors"]]
    batches_window = b_to - b_from
    out = {"clients": len(procs), "window": window, "duration_s": duration,
           "issues_per_s": in_window / duration,
           "latency": summary(latencies),
           "sent": sent, "ok": len(codes), "errors": len(errors), "error_codes": sorted(set(errors)),
           "unanswered": sum(o["unanswered"] for o in outs), "stalled": any(o["stalled"] for o in outs),
           "db_new_tickets": after_tickets - before_tickets,
           "duplicate_codes_replies": len(codes) - len(set(codes)),
           "duplicate_codes_db": duplicates_db,
           "batches_in_window": batches_window,
           "avg_batch_in_window": in_window / batches_window if batches_window else float("nan"),
           "batches_total": b_end - b_start,
           "avg_batch_total": sent / (b_end - b_start) if b_end > b_start else float("nan"),
           "per_client_issues_per_s": {o["device"]: o["in_window"] / duration for o in outs}}
    clients = sum(v for k, v in cpu.items() if k.startswith("client_"))
    cpu = {"machine_busy": cpu["machine_busy"], "machine_iowait": cpu["machine_iowait"],
           "machine_steal": cpu["machine_steal"], "hub_worker_thread": cpu["hub_worker_thread"],
           "hub_paho_thread": cpu["hub_paho_thread"], "hub_process": cpu["bench_process_total"],
           "mosquitto": cpu["mosquitto"], "load_clients": clients}
    cpu["other"] = cpu["machine_busy"] - cpu["hub_process"] - cpu["mosquitto"] - clients
    out["cpu_cores"] = cpu
    out["db_matches_ok_replies"] = out["db_new_tickets"] == out["ok"]
    out["codes_unique"] = out["duplicate_codes_replies"] == 0 and duplicates_db == 0
    return out


# ------------------------------------------------------------------ breakdown
def broker_round_trip(link: DeviceLink, n: int) -> dict:
    """Device -> Mosquitto -> same device on its own health topic (QoS 1, not retained):
    the two broker hops of a request/reply with no hub in between."""
    topic = link.topics.health(link.device_id)  # the one topic a device may both write and read
    got = threading.Event()
    box: dict = {}

    def on_msg(t: str, payload) -> None:
        if payload and payload.get("bench") == box.get("id"):
            box["t"] = time.perf_counter()
            got.set()

    link.subscribe(topic, on_msg)
    time.sleep(0.3)
    samples = []
    for i in range(n + n // 10):
        got.clear()
        box["id"] = uuid.uuid4().hex
        t0 = time.perf_counter()
        link.client.publish(topic, link.health_payload(bench=box["id"]), qos=1)
        if not got.wait(5):
            raise RuntimeError("broker round trip: no echo within 5 s")
        if i >= n // 10:
            samples.append(box["t"] - t0)
    return summary(samples)


def engine_alone(site, workdir: Path, n: int) -> dict:
    """Engine.process of one issue_ticket per batch on a fresh on-disk store: validation,
    queue model, reply/event JSON and the durable (fsync'd) commit, without MQTT."""
    from hub.engine import Engine, Incoming
    from hub.store import Store
    store = Store(workdir / "engine-alone.sqlite3")
    engine = Engine(site, store)
    samples = []
    for i in range(n + n // 10):
        payload = json.dumps(payloads.request(uuid.uuid4().hex, int((time.time() + 5) * 1000),
                                              {"service": SERVICE, "language": "en"})).encode()
        t0 = time.perf_counter()
        engine.process([Incoming("kiosk-1", "issue_ticket", payload, b"c", 0)])
        if i >= n // 10:
            samples.append(time.perf_counter() - t0)
    store.close()
    return summary(samples)


def sqlite_commit_alone(workdir: Path, n: int) -> dict:
    """A one-row INSERT + COMMIT in WAL mode with synchronous=FULL: the fsync floor."""
    db = sqlite3.connect(str(workdir / "fsync-floor.sqlite3"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    samples = []
    for i in range(n + n // 10):
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (v) VALUES (?)", (os.urandom(200),))
        db.execute("COMMIT")
        if i >= n // 10:
            samples.append(time.perf_counter() - t0)
    db.close()
    return summary(samples)


# ------------------------------------------------------------------------ main
def run(args) -> dict:
    from simulator.centre import LocalCentre

    sizes = QUICK if args.quick else FULL
    parent = Path(args.dir) if args.dir else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="spine-bench-", dir=parent))
    report: dict = {"date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "command": "bench/spine_bench.py" + (" --quick" if args.quick else ""),
                    "machine": machine(),
                    "storage": {"dir": str(workdir), "filesystem": fs_of(workdir),
                                "sqlite": "WAL, synchronous=FULL (hub.store.Store)"},
                    "sizes": sizes, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    if "tmpfs" in report["storage"]["filesystem"]:
        log(args, "WARNING: the temp dir is on tmpfs, fsync costs nothing there; use --dir on a real disk")
    site = bench_site()
    try:
        with LocalCentre(site, workdir) as centre:
            site_id = site.site.id
            kiosk = centre.link("kiosk-1")
            issued = 0

            log(args, f"[1/3] issue_ticket request->reply, one at a time: "
                      f"{sizes['issue_warmup']} warm-up + {sizes['issue_n']} ...")
            fig1, codes = fig_issue(kiosk, sizes["issue_n"], sizes["issue_warmup"])
            issued += len(codes)
            report["issue"] = fig1

            need = sizes["call_n"] + sizes["call_warmup"] + 1
            if issued < need:
                codes += issue_many(kiosk, need - issued)
                issued = len(codes)
            counter = centre.link("counter-1")
            display = centre.link("display-ground")
            log(args, f"[2/3] call_next -> display's ticket_called: "
                      f"{sizes['call_warmup']} warm-up + {sizes['call_n']} ...")
            report["call"] = fig_call(counter, display, site_id, sizes["call_n"], sizes["call_warmup"])

            # nothing of this process may listen during the load run (the hub shares its GIL)
            for link in (kiosk, counter, display):
                link.close()
            time.sleep(0.3)
            log(args, f"[3/3] {len(LOAD_KIOSKS)} kiosk processes x {sizes['window']} in flight, "
                      f"{sizes['load_warmup_s']} s warm-up + {sizes['load_s']} s ...")
            load = fig_load(centre, sizes["load_s"], sizes["load_warmup_s"], sizes["window"])
            report["load"] = load
            total_db, _ = db_tickets(centre.database)
            report["load"]["db_tickets_total"] = total_db
            report["load"]["ok_replies_total"] = issued + load["ok"]

            log(args, "[breakdown] broker round trip without the hub ...")
            probe = centre.link("kiosk-1")
            report["breakdown"] = {"broker_round_trip": broker_round_trip(probe, sizes["breakdown_n"])}
        log(args, "[breakdown] engine alone and bare SQLite commit ...")
        report["breakdown"]["engine_alone_issue"] = engine_alone(site, workdir, sizes["breakdown_n"])
        report["breakdown"]["sqlite_commit_fsync"] = sqlite_commit_alone(workdir, sizes["breakdown_n"])
        report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def verdicts(r: dict) -> list[tuple[str, str, str, bool]]:
    load = r["load"]
    return [
        ("1. issue_ticket request->reply, 1 kiosk", "p99 <= 10 ms",
         f"p50 {r['issue']['p50_ms']:.2f} ms, p99 {r['issue']['p99_ms']:.2f} ms (n={r['issue']['n']})",
         r["issue"]["p99_ms"] <= 10),
        ("2. call_next -> display ticket_called", "p99 <= 10 ms",
         f"p50 {r['call']['p50_ms']:.2f} ms, p99 {r['call']['p99_ms']:.2f} ms (n={r['call']['n']})",
         r["call"]["p99_ms"] <= 10),
        (f"3. durable issues/s, {load['clients']} kiosk procs x {load['window']} in flight", ">= 1000/s",
         f"{load['issues_per_s']:.0f}/s over {load['duration_s']:.0f} s, "
         f"reply p50 {load['latency']['p50_ms']:.1f} ms, p99 {load['latency']['p99_ms']:.1f} ms",
         load["issues_per_s"] >= 1000),
    ]


def print_report(r: dict) -> None:
    m, s, load, b = r["machine"], r["storage"], r["load"], r["breakdown"]
    print(f"Spine benchmark ({r['command']}), {r['date']}")
    print(f"machine : {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}, Python {m['python']}, "
          f"{m['mosquitto']}, paho-mqtt {m['paho_mqtt']}, SQLite {m['sqlite']}")
    print(f"code    : git {m['git']}")
    print(f"storage : {s['dir']} on {s['filesystem']}; {s['sqlite']}")
    print(f"limits  : raised in the bench's own site file (bench/spine_bench.py BENCH_LIMITS): {BENCH_LIMITS}")
    print()
    rows = verdicts(r)
    w0 = max(len(x[0]) for x in rows)
    w1 = max(len(x[1]) for x in rows)
    w2 = max(len(x[2]) for x in rows)
    print(f"{'figure':<{w0}}  {'target':<{w1}}  {'measured':<{w2}}  result")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * w2}  ------")
    for name, target, measured, ok in rows:
        print(f"{name:<{w0}}  {target:<{w1}}  {measured:<{w2}}  {'PASS' if ok else 'MISS'}")
    print()
    print(f"call_next reply (same runs as 2): p50 {r['call']['reply']['p50_ms']:.2f} ms, "
          f"p99 {r['call']['reply']['p99_ms']:.2f} ms")
    print(f"run 3: hub batches in the window {load['batches_in_window']}, average batch "
          f"{load['avg_batch_in_window']:.1f} requests (whole run incl. warm-up: {load['avg_batch_total']:.1f}); "
          f"per client {', '.join(f'{v:.0f}/s' for v in load['per_client_issues_per_s'].values())}")
    print(f"run 3 checks: sent {load['sent']}, ok {load['ok']}, errors {load['errors']}"
          f"{' ' + str(load['error_codes']) if load['error_codes'] else ''}, unanswered {load['unanswered']}; new tickets in DB {load['db_new_tickets']} "
          f"({'= ok replies' if load['db_matches_ok_replies'] else 'MISMATCH'}); codes "
          f"{'unique' if load['codes_unique'] else 'DUPLICATED'} "
          f"(replies {load['duplicate_codes_replies']} dup, DB {load['duplicate_codes_db']} dup); "
          f"DB total {load['db_tickets_total']} vs ok replies of all runs {load['ok_replies_total']}")
    c = load["cpu_cores"]
    print(f"run 3 CPU (cores busy, of {m['nproc']}): machine {c['machine_busy']:.2f} "
          f"(iowait {c['machine_iowait']:.2f}, steal {c['machine_steal']:.2f}); hub process {c['hub_process']:.2f} "
          f"[worker thread {c['hub_worker_thread']:.2f}, paho thread {c['hub_paho_thread']:.2f}], "
          f"mosquitto {c['mosquitto']:.2f}, 4 kiosk clients {c['load_clients']:.2f}, "
          f"everything else {c['other']:.2f}")
    print(f"load average before/after: {r['loadavg_before']} / {r['loadavg_after']}")
    print("breakdown (p50 / p99):")
    for key, label in (("broker_round_trip", "broker round trip, no hub (device -> Mosquitto -> device)"),
                       ("engine_alone_issue", "engine alone, 1 issue per batch incl. durable commit"),
                       ("sqlite_commit_fsync", "bare SQLite WAL FULL one-row commit (fsync floor)")):
        print(f"  {label:<60} {b[key]['p50_ms']:6.2f} / {b[key]['p99_ms']:6.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts for a smoke run")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--dir", help="parent of the temp work dir (default: the system temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (database, broker log)")
    args = parser.parse_args(argv)
    report = run(args)
    report["verdicts"] = [{"figure": n, "target": t, "measured": m, "pass": ok} for n, t, m, ok in verdicts(report)]
    load = report["load"]
    correct = (load["db_matches_ok_replies"] and load["codes_unique"] and load["errors"] == 0
               and load["unanswered"] == 0 and report["call"]["mismatched_codes"] == 0
               and load["db_tickets_total"] == load["ok_replies_total"])
    report["checks_ok"] = correct
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)
        if not correct:
            print("CORRECTNESS CHECK FAILED (see run 3 checks above)")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
