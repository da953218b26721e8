"""The Pi path, rehearsed (issue "The Pi path, rehearsed"): the first boot of a hub, a kiosk, a counter
and a display in arm64 Debian Bookworm trees under qemu, offline, then the roles working together.

What runs is what a technician's SD cards run: ``onestop-provision build`` and the same code as
``sd-card`` (the bundle, the aarch64 wheelhouse, the role's .deb files from ``debs``), then the
bundle's ``firstrun.sh`` (hub, kiosk) or its cloud-init commands (counter, display) in each tree
with no network at all.  Then every role starts as its unit says (``provisioning.rehearsal``),
each in its own network namespace with one veth link, and a ticket goes the whole way: the real
kiosk (offscreen Kivy, tapped) issues it over TLS, the counter's console calls it, the display's
console shows it.  Figures (sizes, package counts, import completeness, heaps, times) are saved to
``build/pi-rehearsal.json`` and printed.

Slow on purpose and cached where the project is not involved (the base tree, apt's downloads,
pip's wheel cache under ``/var/cache/onestop-pi``); the firmware's wheel, the install and the
first boot are fresh every time.  Needs root, qemu-user-static, debootstrap: missing under
``CI=true`` is a failure, elsewhere a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from provisioning import rehearsal as R
from provisioning.bundle import host_name, needs_i2c
from provisioning.cli import main as provision
from provisioning.firstboot import write_boot_bundle
from provisioning.wheelhouse import ROLE_MODULES, build_wheelhouse
from siteconf import load_site

TESTS = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("ONESTOP_BUILD_DIR", TESTS.parent / "build"))
#: how each rehearsed role's first boot is launched (both launchers are rehearsed)
LAUNCHED = {"hub": "firstrun", "kiosk": "firstrun", "counter": "cloud-init", "display": "cloud-init"}
#: a technician's own site folder (site.toml, secrets/, content/) to rehearse instead of the example
SITE_ENV = "ONESTOP_REHEARSAL_SITE"


def rehearsed(site) -> dict[str, str]:
    """{role: device id}: the hub; the first ticket kiosk; a counter serving what "I don't know" gives
    (the kiosk's scenario takes that path); a display of that counter's zone."""
    devices = site.devices
    counter = next(d for d in devices if d.role == "counter"
                   and any(s.service == site.kiosk.unsure_service for s in site.counter(d.counter).services))
    zone = site.counter(counter.counter).zone
    return {"hub": site.hub_device.id,
            "kiosk": next(d.id for d in devices if d.role == "kiosk" and "tickets" in d.kiosk_modes),
            "counter": counter.id,
            "display": next(d.id for d in devices if d.role == "display" and site.device_zone(d) == zone)}
VENV_PYTHON = "/opt/onestop/venv/bin/python"
#: the kiosk prints to this file in its tree, whatever printer the site file gives it
PRINTER_FILE = "/var/lib/onestop/rehearsal-printer.bin"
#: when each role's Python heap is read (tracemalloc), after its start
HEAP_AFTER_S = 20


@pytest.fixture(scope="module")
def ready():
    R.enable_arm64()
    problems = R.missing_tools()
    if problems:
        message = "cannot rehearse the Pi path here: " + "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class Log:
    def __init__(self, path: Path):
        self.path = path

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace") if self.path.exists() else ""

    def wait_for(self, needle: str, timeout: float, what: str, proc: subprocess.Popen | None = None) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if needle in text:
                return text
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"{what}: the process ended ({proc.returncode})\n{text[-3000:]}")
            time.sleep(0.5)
        raise AssertionError(f"{what}: not within {timeout:.0f} s\n{self.text()[-3000:]}")


def roles_work(site, trees: dict, logs_dir: Path, figures: dict, mark, stack) -> None:
    """Every role started as its unit says, on a private network: a ticket from the kiosk, called at
    the counter, shown by the display; time served by the hub."""
    # ---- the roles on a private network
    started = time.monotonic()
    lan = R.Lan()
    stack.callback(lan.close)
    lan.open()
    spaces = {}
    for number, role in enumerate(LAUNCHED, start=10):
        spaces[role] = lan.join(role, number)
    hub_address = spaces["hub"][1]
    for tree in trees.values():
        hosts = tree.root / "etc/hosts"
        hosts.write_text(hosts.read_text() + f"{hub_address}\t{site.network.broker_host}\n")
    procs: list[subprocess.Popen] = []

    def stop_all() -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    stack.callback(stop_all)
    hub = trees["hub"]
    mosquitto = R.read_unit(hub.root, "mosquitto.service")
    procs.append(R.start_unit(hub, mosquitto, spaces["hub"][0], logs_dir / "mosquitto.log"))
    chrony = R.Unit(["/usr/sbin/chronyd", "-d", "-x"], None, {}, ["/run/chrony"])
    procs.append(R.start_unit(hub, chrony, spaces["hub"][0], logs_dir / "chrony.log"))
    for tree in trees.values():  # the rehearsal's own helpers, beside the firmware
        harness = tree.root / "opt/rehearsal"
        harness.mkdir(parents=True, exist_ok=True)
        for name in ("kivy_harness.py", "pi_scenarios.py", "pi_heap_probe.py"):
            shutil.copy2(TESTS / name, harness / name)

    def probed(role: str, program: list[str], after_s: float = HEAP_AFTER_S) -> list[str]:
        """The program with tracemalloc: its Python heap ``after_s`` after the start (or at its end)."""
        return [VENV_PYTHON, "/opt/rehearsal/pi_heap_probe.py", str(after_s),
                f"/var/lib/onestop/heap-{role}.json", *program]

    hub_unit = R.read_unit(hub.root, "onestop-hub.service")
    procs.append(R.start_unit(hub, hub_unit, spaces["hub"][0], logs_dir / "hub.log",
                              command=probed("hub", hub_unit.exec_start)))
    Log(logs_dir / "hub.log").wait_for("hub ready", 300, "the hub ready", procs[-1])
    mark("hub ready")

    # the visitors' page server beside the hub, as its unit says (its own user; port 80 with
    # AmbientCapabilities=CAP_NET_BIND_SERVICE, which this chroot cannot give: the hub's namespace
    # lets every user bind port 80 instead)
    subprocess.run(["ip", "netns", "exec", spaces["hub"][0], "sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=80"],
                   check=True)
    guest_unit = R.read_unit(hub.root, "onestop-guest.service")
    assert guest_unit.user == "onestop-guest"
    guest_proc = R.start_unit(hub, guest_unit, spaces["hub"][0], logs_dir / "guest.log")
    procs.append(guest_proc)
    # the supervisor's console too (its own user, HTTPS on the staff address only: here that address is
    # on the hub's loopback, reached from inside its namespace)
    console_proc = None
    if site.network.console_host:
        subprocess.run(["ip", "-n", spaces["hub"][0], "addr", "add", f"{site.network.console_host}/32", "dev", "lo"],
                       check=True)
        console_unit = R.read_unit(hub.root, "onestop-console.service")
        assert console_unit.user == "onestop-console"
        console_proc = R.start_unit(hub, console_unit, spaces["hub"][0], logs_dir / "console.log")
        procs.append(console_proc)

    display = trees["display"]
    display_unit = R.read_unit(display.root, "onestop-display.service")
    procs.append(R.start_unit(display, display_unit, spaces["display"][0], logs_dir / "display.log",
                              command=probed("display", display_unit.exec_start + ["--console"])))
    counter = trees["counter"]
    counter_unit = R.read_unit(counter.root, "onestop-counter.service")
    counter_proc = R.start_unit(counter, counter_unit, spaces["counter"][0], logs_dir / "counter.log",
                                command=probed("counter", counter_unit.exec_start + ["--console"]),
                                stdin=subprocess.PIPE)
    procs.append(counter_proc)

    # the kiosk: the real app, offscreen, tapped, in its tree, as its service user
    kiosk = trees["kiosk"]
    kiosk_unit = R.read_unit(kiosk.root, "onestop-kiosk.service")
    result_file = "/var/lib/onestop/kiosk-result.json"
    env = {"KIVY_NO_ARGS": "1", "KIVY_HOME": "/var/lib/onestop/kivy", "KIVY_TEXT": "pil",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1", "KIVY_LOG_MODE": "PYTHON",
           "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy", "LP_NUM_THREADS": "0",
           "KIVY_HARNESS_WIDTH": "800", "KIVY_HARNESS_HEIGHT": "480", "KIVY_HARNESS_TIMEOUT": "900", "KIVY_HARNESS_CALL_TIMEOUT": "300",
           "KIVY_HARNESS_RESULT": result_file, "ONESTOP_BUILD_DIR": "/var/lib/onestop/build"}
    kiosk_proc = R.start_unit(kiosk, kiosk_unit, spaces["kiosk"][0], logs_dir / "kiosk.log",
                              # its heap once the ticket is out (the scenario's end); its times with tracemalloc on
                              command=probed("kiosk", ["/opt/rehearsal/kivy_harness.py", "pi_scenarios:issue_one_ticket",
                                                       json.dumps({"device": "/etc/onestop/device.toml",
                                                                   "language": "pt",
                                                                   "printer_file": PRINTER_FILE})], after_s=3600),
                              extra_env=env)
    procs.append(kiosk_proc)
    assert kiosk_proc.wait(timeout=1200) == 0, Log(logs_dir / "kiosk.log").text()[-4000:]
    result = json.loads((kiosk.root / result_file.lstrip("/")).read_text())
    figures["kiosk"] = result
    mark("kiosk ticket")
    assert result["service"] == site.kiosk.unsure_service and result["print"] == "printed"
    printed = (kiosk.root / PRINTER_FILE.lstrip("/")).read_bytes()
    assert result["code"].encode() in printed and b"\x1dV" in printed, "the ticket and its cut, on paper"

    # the visitor's phone: the ticket's page from the page server on the hub (its /state, the view the
    # page's socket pushes), over the link a phone's Wi-Fi would use
    Log(logs_dir / "guest.log").wait_for("serving on", 300, "the page server", guest_proc)
    with urllib.request.urlopen(f"http://{hub_address}/t/{result['ref']}/state?lang=pt", timeout=60) as answer:
        page = json.loads(answer.read())
        assert answer.headers["Referrer-Policy"] == "no-referrer" and answer.headers["Cache-Control"] == "no-store"
    assert result["code"] in json.dumps(page, ensure_ascii=False), page
    mark("phone page")
    if console_proc is not None:
        Log(logs_dir / "console.log").wait_for("serving on", 300, "the supervisor's console", console_proc)
        own = hub.root / "etc/onestop-console/console.crt"  # its own, from the site CA, which staff PCs trust
        site_ca = hub.root / "etc/mosquitto/onestop/tls/ca.crt"
        fetch = ("import ssl, urllib.request; context = ssl.create_default_context(cafile=%r); "
                 "answer = urllib.request.urlopen('https://%s/login', context=context, timeout=60); "
                 "print(answer.status, answer.headers['Strict-Transport-Security'] is not None)"
                 % (str(site_ca), site.network.console_host))
        done = subprocess.run(["ip", "netns", "exec", spaces["hub"][0], sys.executable, "-c", fetch],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.split() == ["200", "True"], done.stderr[-2000:]
        assert own.exists()
        mark("console")

    counter_proc.stdin.write(b"n\n")
    counter_proc.stdin.flush()
    Log(logs_dir / "counter.log").wait_for(f"now serving {result['code']}", 300, "the counter's call",
                                           counter_proc)
    Log(logs_dir / "display.log").wait_for(result["code"], 300, "the display showing the call")
    mark("call shown")

    # time from the hub, as the devices' timesyncd asks for it
    offset = subprocess.run(["ip", "netns", "exec", spaces["kiosk"][0], sys.executable, "-c",
                             f"from provisioning.doctor import ntp_offset; print(ntp_offset({hub_address!r}, 5))"],
                            capture_output=True, text=True, timeout=60)
    assert offset.returncode == 0, offset.stderr
    figures["time_offset_s"] = float(offset.stdout)
    assert abs(figures["time_offset_s"]) < 5
    time.sleep(max(0.0, HEAP_AFTER_S + 2 - (time.monotonic() - started)))
    figures["python_heap_mb"] = {role: json.loads((tree.root / f"var/lib/onestop/heap-{role}.json").read_text())
                                 for role, tree in trees.items()}


@pytest.mark.timeout(2400)  # 7 minutes warm and 11 cold here: the suite's 300 s is for ordinary tests
def test_every_role_first_boots_offline_in_an_arm64_tree_and_a_ticket_goes_the_whole_way(ready, tmp_path):
    clock = time.monotonic()
    figures: dict = {"devices": {}, "times_s": {}}

    def mark(what: str) -> None:
        figures["times_s"][what] = round(time.monotonic() - clock, 1)
        print(f"[{figures['times_s'][what]:7.1f} s] {what}", flush=True)

    # ---- the technician's side: the site, its build, the wheelhouse, the packages
    if os.environ.get(SITE_ENV):  # tools/rehearse: the technician's own centre
        shutil.copytree(os.environ[SITE_ENV], tmp_path / "site", ignore=shutil.ignore_patterns("build"))
    else:
        assert provision(["new", str(tmp_path / "site"), "--site-id", "cnai-lisboa", "--name", "CNAI Lisboa"]) == 0
    site_file = tmp_path / "site" / "site.toml"
    assert provision(["build", str(site_file)]) == 0
    site = load_site(site_file)
    chosen = rehearsed(site)
    figures["rehearsed"] = chosen
    base = R.base_tree(step=print)
    mark("base tree")
    wheelhouse = tmp_path / "wheelhouse"
    build_wheelhouse(wheelhouse, cache=R.CACHE / "wheel-cache")
    mark("wheelhouse")
    assert provision(["debs", str(site_file), "--status", str(base / "var/lib/dpkg/status"),
                      "--cache", str(R.CACHE / "apt")]) == 0
    figures["debs"] = {role: len(list((tmp_path / "site/build/debs" / role).glob("*.deb"))) for role in chosen}
    mark("debs")

    R.cleanup_stale()
    trees_dir = tmp_path / "onestop-rehearsal"
    with R.ExitStack() as stack:
        # 0.4-0.8 GB per device: gone with the test, after the mounts (the logs stay in tmp_path)
        if not os.environ.get("ONESTOP_KEEP_TREES"):
            stack.callback(shutil.rmtree, trees_dir, ignore_errors=True)
        trees = {}
        for role, device_id in chosen.items():
            tree = R.RoleTree(device_id, base, trees_dir / role)
            stack.callback(tree.close)
            trees[role] = tree.open()
            boot = R.prepare_boot_partition(tree)
            # what `onestop-provision sd-card` writes, the role's packages included
            write_boot_bundle(site, device_id, tmp_path / "site" / "build" / "devices" / device_id, wheelhouse, boot,
                              None, launchers=("firstrun", "cloud-init"), debs=tmp_path / "site/build/debs" / role)
            assert len(list((boot / "onestop/debs").glob("*.deb"))) == figures["debs"][role]

        # ---- the first boots, offline, two at a time (two cores)
        def boot_one(role: str) -> tuple[str, str]:
            return role, R.first_boot(trees[role], LAUNCHED[role])

        with ThreadPoolExecutor(2) as pool:
            logs = dict(pool.map(boot_one, chosen))
        mark("first boots")
        for role, tree in trees.items():
            device = site.device(chosen[role])
            log = logs[role]
            assert (tree.root / "etc/onestop/installed").exists(), log[-2000:]
            assert not (tree.root / "var/lib/onestop-setup/packages-pending").exists(), \
                f"{device.id}: packages still pending offline\n{log[-2000:]}"
            assert not (tree.root / "boot/firmware/onestop/etc").exists(), "secrets left on the boot partition"
            wants = tree.root / "etc/systemd/system/multi-user.target.wants" / f"onestop-{role}.service"
            assert wants.is_symlink() and os.readlink(wants).endswith(f"onestop-{role}.service"), \
                f"{device.id}: its unit is not enabled"  # an absolute link: it points into the tree
            assert (tree.root / "etc/hostname").read_text().strip() == host_name(site, device)
            i2c = (tree.root / "etc/modules-load.d/onestop-i2c.conf")
            assert i2c.exists() == needs_i2c(device)
            figures["devices"][device.id] = R.tree_figures(tree)

        # ---- what the bundle forgot: the guest network's firewall on the hub, I2C for a desk with an LCD,
        # udev for the named printer
        hub_root = trees["hub"].root
        assert 'include "/etc/nftables.d/onestop-guest.nft"' in (hub_root / "etc/nftables.conf").read_text()
        assert list((hub_root / "etc/systemd/system").glob("*.wants/nftables.service")), "nftables not enabled"
        assert (hub_root / "etc/systemd/system/multi-user.target.wants/onestop-guest.service").is_symlink()
        assert "\nonestop-guest:" in "\n" + (hub_root / "etc/passwd").read_text(), "the page server's own user"
        assert oct((hub_root / "etc/onestop-guest").stat().st_mode & 0o777) == "0o750"
        if site.network.console_host:
            assert (hub_root / "etc/systemd/system/multi-user.target.wants/onestop-console.service").is_symlink()
            assert "\nonestop-console:" in "\n" + (hub_root / "etc/passwd").read_text()
        counter = site.device(chosen["counter"])
        counter_root = trees["counter"].root
        if needs_i2c(counter):
            assert "dtparam=i2c_arm=on" in (counter_root / "boot/firmware/config.txt").read_text(), "the LCD's I2C"
            assert (counter_root / "etc/modules-load.d/onestop-i2c.conf").read_text().split() == ["i2c-dev"]
        if counter.printer.connector == "usb":
            rules = (counter_root / f"etc/udev/rules.d/71-onestop-{counter.id}.rules").read_text()
            wanted = (f'ATTRS{{idVendor}}=="{counter.printer.usb_vendor:04x}", '
                      f'ATTRS{{idProduct}}=="{counter.printer.usb_product:04x}"')
            assert wanted in rules, "the udev rule names another printer than the site file"

        # ---- every import of every role resolves on aarch64, from its own role's wheels
        def imports(role: str) -> tuple[str, subprocess.CompletedProcess]:
            extra = {"kiosk": ["evdev"], "counter": ["lgpio", "gpiozero.pins.lgpio"]}.get(role, [])
            modules = list(ROLE_MODULES[role]) + extra
            absent = [] if role in ("kiosk", "display") else ["kivy"]  # the screens' own, not here
            probe = trees[role].chroot([VENV_PYTHON, "-c",
                                        "import importlib, importlib.util; "
                                        f"[importlib.import_module(m) for m in {modules!r}]; "
                                        f"assert not [m for m in {absent!r} if importlib.util.find_spec(m)]; "
                                        "print('ok')"])
            return role, subprocess.run(probe, capture_output=True, text=True, timeout=600)

        with ThreadPoolExecutor(2) as pool:
            probed = dict(pool.map(imports, chosen))
        figures["imports_ok"] = all(done.returncode == 0 for done in probed.values())
        for role, done in probed.items():
            assert done.returncode == 0, f"{role}: {done.stderr[-3000:]}"
        mark("imports")

        logs_dir = tmp_path / "logs"
        logs_dir.mkdir()
        roles_work(site, trees, logs_dir, figures, mark, stack)

    figures["total_s"] = round(time.monotonic() - clock, 1)
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "pi-rehearsal.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
