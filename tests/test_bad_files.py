"""Bad files (issue 11, defect 1): every broken site, device, appointments or content file gives
one message that names the file, the key or line, and what to do; never a traceback.  A bad
optional file (appointments, a content pack) never stops the hub.

The entry points are the real ones: ``onestop-provision check``, ``onestop-hub --device``,
``onestop-kiosk/-counter/-display --device`` (their ``main()``, and a few as processes).
Each loader is also fuzzed: for any input it gives a valid object or a SiteFileError.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sites import SITE_ID, small_site, small_site_dict

from siteconf import EXAMPLE_SITE, SiteFileError, load_site
from siteconf.appointments import MAX_APPOINTMENTS, read_appointments
from siteconf.content import load_content, load_pack
from siteconf.device import load_device_file
from siteconf.load import MAX_PROBLEMS_SHOWN, MAX_PUBLIC_CONFIG_BYTES, SITE_FILE, describe
from siteconf.schema import MAX_SERVICES
from siteconf.slices import public_config

BIN = Path(sys.executable).parent
EXAMPLE_CONTENT = EXAMPLE_SITE.parent / "content"


def one_message(text: str, path, *expected: str) -> None:
    """One message, for a person: no traceback, the file named once with its problems, each expected part."""
    assert "Traceback" not in text, text
    assert text.count("problem(s)") == 1, text
    assert str(path) in text, text
    for part in expected:
        assert part in text, f"{part!r} not in:\n{text}"


def run_main(main, argv: list[str], capsys) -> tuple[int, str]:
    """A role's main(): its exit code (returned or by SystemExit) and what it printed."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.err + out.out


def small_site_text() -> str:
    return tomli_w.dumps(small_site_dict())


# ---------------------------------------------------------------------------
# Site files: onestop-provision check
# ---------------------------------------------------------------------------


def _deep(opening: str, closing: str, levels: int) -> str:
    return opening * levels + "1" * (opening == "{a=") + closing * levels


def _with_site(change) -> str:
    data = small_site_dict()
    change(data)
    return tomli_w.dumps(data)


def _menu_levels(levels: int):
    def change(data):
        entry = {"id": f"m{levels}", "icon": "help", "label": {"pt": "x"}, "hint": {"pt": "x"}, "service": "reception"}
        for level in range(levels - 1, 0, -1):
            entry = {"id": f"m{level}", "icon": "help", "label": {"pt": "x"}, "hint": {"pt": "x"}, "children": [entry]}
        data["kiosk"]["menu"].append(entry)
    return change


SITE_CASES = {
    "arrays nested 600 deep": (f"deep = {_deep('[', ']', 600)}\n" + small_site_text(),
                               ["line 1: nested more than 20 levels deep"]),
    "inline tables nested 600 deep": (f"deep = {_deep('{a=', '}', 600)}\n" + small_site_text(),
                                      ["line 1: nested more than 20 levels deep"]),
    "arrays nested 40 deep": (f"deep = {_deep('[', ']', 40)}\n" + small_site_text(),
                              ["deep[0][0]", "nested more than 20 levels deep"]),
    "10 MB": (small_site_text() + "# " + "x" * 10_000_000 + "\n", ["larger than 1 MB, the limit for a site file"]),
    "not UTF-8": (b"schema_version = 1\n\n# caf\xe9\n", ["line 3: not UTF-8 text"]),
    "not TOML": ("[site\nid = ", ["not valid TOML", "line 1"]),
    "a number of 5000 digits": ("# a comment\nn = " + "9" * 5000 + "\n" + small_site_text(),
                                ["line 2: not valid TOML: a number of more than 4300 digits"]),
    "infinite idle timeout": (_with_site(lambda d: d["kiosk"].update(idle_timeout_s=float("inf"))),
                              ["kiosk.idle_timeout_s"]),
    "a menu 6 levels deep": (_with_site(_menu_levels(6)), ["the menu may have 5 levels"]),
    "101 services": (_with_site(lambda d: d["services"].extend(copy.deepcopy(d["services"][0]) for _ in range(99))),
                     ["services: has 101 entries, at most 100 are allowed"]),
    "a time zone that is a path": (_with_site(lambda d: d["site"].update(timezone="../../etc/passwd")),
                                   ["site.timezone: unknown time zone"]),
    "a control character in a key": ('"\\u0007bell" = 1\n' + small_site_text(), ["\\x07bell: unknown key"]),
}


@pytest.mark.parametrize("case", list(SITE_CASES))
def test_a_bad_site_file_gives_check_one_message_naming_the_file_the_place_and_what_to_do(tmp_path, capsys, case):
    from provisioning.cli import main
    content, expected = SITE_CASES[case]
    path = tmp_path / "site.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, text = run_main(main, ["check", str(path)], capsys)
    assert code == 2
    one_message(text, path, *expected, f"onestop-provision check {path}")


def test_a_site_file_that_is_missing_or_a_folder_gives_one_message(tmp_path, capsys):
    from provisioning.cli import main
    code, text = run_main(main, ["check", str(tmp_path / "nowhere.toml")], capsys)
    assert code == 2
    one_message(text, tmp_path / "nowhere.toml", "file not found")
    with pytest.raises(SiteFileError) as error:  # `check` itself refuses a folder (click: "is a directory")
        load_site(tmp_path)
    one_message(str(error.value), tmp_path, "is not a file")


def test_a_file_name_that_is_not_utf8_is_shown_escaped_and_a_byte_order_mark_is_no_mistake(tmp_path, capsys):
    from provisioning.cli import main
    folder = tmp_path / os.fsdecode(b"centre-\xff")
    folder.mkdir()
    (folder / "site.toml").write_text("[site\n", encoding="utf-8")
    code, text = run_main(main, ["check", str(folder / "site.toml")], capsys)
    assert code == 2
    one_message(text, str(folder / "site.toml").replace("\udcff", "\\udcff"), "not valid TOML")
    (folder / "site.toml").write_bytes(b"\xef\xbb\xbf" + small_site_text().encode())
    assert load_site(folder / "site.toml").site.id == SITE_ID


def test_a_long_list_of_problems_is_cut_after_twenty(tmp_path, capsys):
    from provisioning.cli import main
    data = small_site_dict()
    data["services"] = [{"id": f"s{i}", "prefix": "A"} for i in range(MAX_SERVICES)]  # 4 keys missing in each
    path = tmp_path / "site.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    code, text = run_main(main, ["check", str(path)], capsys)
    assert code == 2
    one_message(text, path, f"... and {4 * MAX_SERVICES - MAX_PROBLEMS_SHOWN} more")
    assert len(text.splitlines()) <= MAX_PROBLEMS_SHOWN + 3, text


def test_a_problem_line_is_cut_short_and_shows_control_characters():
    text = describe("site.toml", ["site.name: " + "\n" + "x" * 5000], "fix it")
    line = text.splitlines()[1]
    assert "\\n" in line and len(line) < 320 and line.endswith("...")


def test_a_large_real_centre_is_well_inside_the_limits(tmp_path):
    """20 services, 40 counters, 60 devices in 10 languages (a large CNAI): the limits leave room."""
    data = tomllib.loads(EXAMPLE_SITE.read_text(encoding="utf-8"))
    services, counters, devices = data["services"], data["counters"], data["devices"]
    for i in range(20 - len(services)):
        services.append({**copy.deepcopy(services[-1]), "id": f"extra-{i}", "prefix": f"X{'ABCDEFGHJK'[i]}"})
    for i in range(40 - len(counters)):
        counters.append({**copy.deepcopy(counters[-1]), "id": f"extra-{i}", "number": 100 + i,
                         "services": [{"service": s["id"]} for s in services[-6:]]})
    counter_ids = [c["id"] for c in counters if not any(d.get("counter") == c["id"] for d in devices)]
    devices += [{"id": f"counter-x{i}", "role": "counter", "counter": c} for i, c in enumerate(counter_ids)]
    devices += [{"id": f"kiosk-x{i}", "role": "kiosk", "zone": "ground"} for i in range(60 - len(devices))]
    path = tmp_path / "site.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    site = load_site(path)
    assert (len(site.services), len(site.counters), len(site.devices)) == (20, 40, 60)
    assert path.stat().st_size < SITE_FILE.max_bytes / 3
    assert len(json.dumps(public_config(site), ensure_ascii=False).encode()) < MAX_PUBLIC_CONFIG_BYTES / 2


def test_a_site_whose_public_part_is_too_large_for_every_device_is_refused(tmp_path, capsys):
    """Under the file's 1 MB, but the config/site every device would receive is over 512 KB."""
    from provisioning.cli import main
    data = small_site_dict()
    long = {"pt": "ع" * 400, "en": "ع" * 400}
    prefixes = [a + b for a in "ABCDEFGHJK" for b in "ABCDEFGHJK"]
    data["services"] = [{"id": f"s{i}", "prefix": prefixes[i], "name": long, "office": long, "zone": "ground",
                         "waiting_area": long} for i in range(MAX_SERVICES)]
    data["counters"][0]["services"] = [{"service": f"s{i}"} for i in range(MAX_SERVICES)]
    data["counters"][1]["services"] = [{"service": "s0"}]
    data["counters"][0]["transfer_targets"] = []
    data["ticker"] = {"messages": [long] * 50}
    data["kiosk"] = {"unsure_service": "s0", "menu": [{"id": "m", "icon": "help", "label": long, "hint": long,
                                                       "service": "s0"}]}
    path = tmp_path / "site.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    assert path.stat().st_size < SITE_FILE.max_bytes
    code, text = run_main(main, ["check", str(path)], capsys)
    assert code == 2
    one_message(text, path, "the part every device receives (config/site", "the limit is 512 KB")


def test_a_bad_site_file_on_reload_is_logged_and_the_hub_keeps_serving(tmp_path, caplog):
    from hub.main import reloaded
    device_file = write_device_file(tmp_path, "hub", lambda data, folder: data)
    (tmp_path / "site.toml").write_text(SITE_CASES["inline tables nested 600 deep"][0], encoding="utf-8")
    running = object()  # a hub whose site file cannot be re-read is left as it is
    assert reloaded(running, str(device_file)) is running
    assert "site file NOT reloaded" in caplog.text and "nested more than 20 levels deep" in caplog.text


def test_onestop_provision_check_as_a_process_names_a_deep_file(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(SITE_CASES["arrays nested 600 deep"][0], encoding="utf-8")
    run = subprocess.run([str(BIN / "onestop-provision"), "check", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    one_message(run.stderr, path, "nested more than 20 levels deep")


# ---------------------------------------------------------------------------
# Device files: onestop-hub, -kiosk, -counter, -display --device
# ---------------------------------------------------------------------------

DEVICE_IDS = {"hub": "hub", "kiosk": "kiosk-1", "counter": "counter-1", "display": "display-ground"}


def role_main(role: str):
    """The role's console-script function, as ``onestop-<role>`` calls it."""
    module = __import__(f"{role}.main", fromlist=["main"])
    return module.main


@pytest.fixture
def kivy_env(monkeypatch):
    """onestop-kiosk sets Kivy's environment before it reads its device file: undo it after the test."""
    for name in ("KIVY_NO_ARGS", "KIVY_TEXT", "KIVY_LOG_MODE"):
        monkeypatch.setenv(name, os.environ.get(name, ""))


def device_data(folder: Path, role: str, pki=None) -> dict:
    """A good device file for ``role`` (the hub's names a good site file and database)."""
    data = {"device_id": DEVICE_IDS[role], "site_id": SITE_ID, "state_dir": str(folder / "state"),
            "broker": {"host": "127.0.0.1", "port": 1883, "password": "secret"}}
    if role == "hub":
        site_file = folder / "site.toml"
        site_file.write_text(small_site_text(), encoding="utf-8")
        data.update(site_file=str(site_file), database=str(folder / "hub.sqlite3"))
    if pki is not None:
        cert, key = pki.ca.device_paths(DEVICE_IDS[role])
        data["broker"] = {"host": "127.0.0.1", "port": 8883, "tls_ca": str(pki.ca.ca_path), "tls_cert": str(cert),
                          "tls_key": str(key)}
    return data


def _broker(**changes):
    def change(data, folder):
        data["broker"].update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            del data["broker"][key]
        return data
    return change


def _set(key, value):
    def change(data, folder):
        section, _, name = key.rpartition(".")
        (data.setdefault(section, {}) if section else data)[name] = value
        return data
    return change


def _text(make):
    return lambda data, folder: make(tomli_w.dumps(data))


def _password_file(content: bytes | None, folder_instead: bool = False):
    def change(data, folder):
        path = folder / "password"
        if folder_instead:
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)
        data["broker"].pop("password")
        data["broker"]["password_file"] = str(path)
        return data
    return change


#: (change of a good device file, what the message must say): any role
DEVICE_CASES = {
    "missing": (None, "file not found"),
    "a folder": ("folder", "is not a file"),
    "empty": (_text(lambda text: ""), "device_id: is required"),
    "not TOML": (_text(lambda text: "device_id = \n"), "not valid TOML"),
    "not UTF-8": (_text(lambda text: text.encode() + b"# \xff\n"), "not UTF-8 text"),
    "nested 600 deep": (_text(lambda text: f"deep = {_deep('[', ']', 600)}\n" + text), "nested more than 20"),
    "10 MB": (_text(lambda text: text + "# " + "x" * 10_000_000 + "\n"), "larger than 64 KB"),
    "a typo": (_broker(prot=1883), "broker.prot: unknown key"),
    "a bad device id": (_set("device_id", "Kiosk 1"), "device_id"),
    "port 0": (_broker(port=0), "broker.port"),
    "a host with a space": (_broker(host="hub local"), "broker.host"),
    "an infinite timeout": (_set("timing.request_timeout_s", float("inf")), "timing.request_timeout_s"),
    "a reconnect delay of a year": (_set("timing.reconnect_max_s", 365 * 86400.0), "timing.reconnect_max_s"),
    "a keepalive of nan": (_broker(keepalive_s=float("nan")), "broker.keepalive_s"),
    "a NUL in the state folder": (_set("state_dir", "/var/lib/\x00"), "state_dir"),
    "no password": (_broker(password=None), "broker: the device file gives neither"),
    "a missing password file": (_password_file(None), "broker.password_file"),
    "a password file that is a folder": (_password_file(None, folder_instead=True), "broker.password_file"),
    "an empty password file": (_password_file(b"\n"), "is empty"),
    "a password file not in UTF-8": (_password_file(b"\xff\xfe"), "broker.password_file"),
    "a certificate without its key": (_broker(tls_ca="/ca.crt", tls_cert="/d.crt"), "tls_cert and tls_key go together"),
}


def _tls(key: str, make):
    def change(data, folder):
        data["broker"][key] = make(folder, data)
        return data
    return change


def _garbage(folder, data):
    (folder / "garbage.pem").write_text("not a certificate\n")
    return str(folder / "garbage.pem")


#: TLS files of kiosks, counters and displays (the hub talks to its broker on loopback)
TLS_CASES = {
    "the site CA is missing": (_tls("tls_ca", lambda f, d: str(f / "tls" / "ca.crt")),
                               "broker.tls_ca: {folder}/tls/ca.crt: file not found"),
    "the certificate is missing": (_tls("tls_cert", lambda f, d: str(f / "tls" / "device.crt")),
                                   "broker.tls_cert: {folder}/tls/device.crt: file not found"),
    "the key is missing": (_tls("tls_key", lambda f, d: str(f / "tls" / "device.key")),
                           "broker.tls_key: {folder}/tls/device.key: file not found"),
    "the site CA is a folder": (_tls("tls_ca", lambda f, d: str(f)), "broker.tls_ca"),
    "the site CA is not a certificate": (_tls("tls_ca", _garbage), "broker.tls_ca: {folder}/garbage.pem: not a PEM"),
    "the key is another device's": (_tls("tls_key", lambda f, d: d["broker"]["tls_key"].replace("kiosk-1", "hub")
                                         .replace("counter-1", "hub").replace("display-ground", "hub")),
                                    "broker.tls_cert, broker.tls_key"),
}


def write_device_file(folder: Path, role: str, change, pki=None) -> Path:
    path = folder / "device.toml"
    if change == "folder":
        path.mkdir()
    elif change is not None:
        content = change(device_data(folder, role, pki), folder)
        content = tomli_w.dumps(content) if isinstance(content, dict) else content
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("role", ["hub", "kiosk", "counter", "display"])
@pytest.mark.parametrize("case", list(DEVICE_CASES))
def test_a_bad_device_file_stops_the_role_with_one_message(tmp_path, capsys, kivy_env, role, case):
    change, expected = DEVICE_CASES[case]
    path = write_device_file(tmp_path, role, change)
    code, text = run_main(role_main(role), ["--device", str(path)], capsys)
    assert code == 2
    one_message(text, path, f"onestop-{role}: cannot start", expected)
    assert "onestop-provision build" in text or "replace-device" in text, "what to do"


@pytest.mark.parametrize("role", ["kiosk", "counter", "display"])
@pytest.mark.parametrize("case", list(TLS_CASES))
def test_a_device_whose_tls_files_are_missing_or_wrong_stops_with_one_message(tmp_path, capsys, kivy_env,
                                                                               test_pki, role, case):
    change, expected = TLS_CASES[case]
    path = write_device_file(tmp_path, role, change, test_pki)
    code, text = run_main(role_main(role), ["--device", str(path)], capsys)
    assert code == 2
    one_message(text, path, f"onestop-{role}: cannot start", expected.format(folder=tmp_path),
                "onestop-provision replace-device")


def test_a_good_device_file_with_its_tls_files_opens_its_link(tmp_path, test_pki):
    from mqttlink.bootstrap import open_link
    path = write_device_file(tmp_path, "kiosk", lambda data, folder: data, test_pki)
    device, link = open_link(str(path), "kiosk")
    assert device.broker.uses_tls
    link.close()


@pytest.mark.parametrize("role", ["kiosk", "counter", "display"])
def test_a_role_process_without_its_site_ca_says_so_without_a_traceback(tmp_path, test_pki, role):
    path = write_device_file(tmp_path, role, TLS_CASES["the site CA is missing"][0], test_pki)
    run = subprocess.run([str(BIN / f"onestop-{role}"), "--device", str(path)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "DISPLAY": ""})
    assert run.returncode == 2
    one_message(run.stderr, path, "broker.tls_ca", "file not found")


# ---------------------------------------------------------------------------
# The hub: its database, and optional files that must not stop it
# ---------------------------------------------------------------------------


def _database(make):
    def change(data, folder):
        data["database"] = str(make(folder))
        return data
    return change


def _not_sqlite(folder: Path) -> Path:
    (folder / "restored.sqlite3").write_bytes(os.urandom(4096))
    return folder / "restored.sqlite3"


def _under_a_file(folder: Path) -> Path:
    (folder / "a-file").write_text("x")
    return folder / "a-file" / "hub.sqlite3"


DATABASE_CASES = {
    "in a folder that does not exist": (_database(lambda f: f / "gone" / "hub.sqlite3"), "does not exist"),
    "under a file": (_database(_under_a_file), "does not exist (or is not a folder)"),
    "a folder": (_database(lambda f: f), "is a folder"),
    "not a database": (_database(_not_sqlite), "file is not a database"),
}


@pytest.mark.parametrize("case", list(DATABASE_CASES))
def test_a_database_the_hub_cannot_use_stops_it_with_one_message(tmp_path, capsys, case):
    change, expected = DATABASE_CASES[case]
    path = write_device_file(tmp_path, "hub", change)
    code, text = run_main(role_main("hub"), ["--device", str(path)], capsys)
    assert code == 2
    one_message(text, path, "onestop-hub: cannot start", "database: ", expected, "restore a good backup")


def test_a_read_only_database_folder_stops_the_hub_with_one_message(tmp_path, capsys, monkeypatch):
    """As root every folder is writable, so the refusal of the file system is simulated."""
    import hub.main as hub_main
    monkeypatch.setattr(hub_main.os, "access", lambda path, mode: False)
    path = write_device_file(tmp_path, "hub", lambda data, folder: data)
    code, text = run_main(hub_main.main, ["--device", str(path)], capsys)
    assert code == 2
    one_message(text, path, f"database: {tmp_path / 'hub.sqlite3'} is not writable by this user")


def test_the_hub_process_refuses_a_site_file_nested_600_deep(tmp_path):
    path = write_device_file(tmp_path, "hub", lambda data, folder: data)
    (tmp_path / "site.toml").write_text(SITE_CASES["arrays nested 600 deep"][0], encoding="utf-8")
    run = subprocess.run([str(BIN / "onestop-hub"), "--device", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    one_message(run.stderr, tmp_path / "site.toml", "onestop-hub: cannot start", "nested more than 20 levels deep")


def _read_until(process: subprocess.Popen, text: str, timeout: float) -> str:
    """Everything the process wrote to stderr up to the line holding ``text``."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.2))
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if text in seen[-1]:
            return "".join(seen)
    raise AssertionError(f"{text!r} not written within {timeout} s:\n{''.join(seen)}")


@pytest.mark.broker
def test_bad_appointments_and_content_files_never_stop_the_hub(tmp_path, broker_only):
    folder = tmp_path / "centre"
    (folder / "content").mkdir(parents=True)
    site_file = folder / "site.toml"
    site_file.write_text(small_site_text(), encoding="utf-8")
    (folder / "appointments.toml").write_text(f"appointments = {_deep('[', ']', 600)}\n", encoding="utf-8")
    (folder / "content" / "pt.toml").write_text("version = \n", encoding="utf-8")
    (folder / "content" / "en.toml").write_text("x" * 300_000, encoding="utf-8")
    process = broker_only.spawn_hub_process(site_file)
    log = _read_until(process, "hub ready for site", timeout=30)
    assert process.poll() is None, "the hub runs"
    assert "Traceback" not in log
    assert f"{folder / 'appointments.toml'}: 1 problem(s):\n  - line 1: nested more than 20 levels deep" in log
    assert "check-in by appointment is off" in log
    assert f"{folder / 'content' / 'pt.toml'}: 1 problem(s):\n  - not valid TOML" in log
    assert f"{folder / 'content' / 'en.toml'}: 1 problem(s):\n  - is larger than 256 KB" in log


def test_a_broken_appointments_file_is_one_message_and_duplicate_codes_are_counted_fast(tmp_path):
    site_file = tmp_path / "site.toml"
    path = tmp_path / "appointments.toml"
    entry = {"code": "APT-7KQ2-M9XD", "day": "2026-11-27", "service": "immigration"}
    path.write_text(tomli_w.dumps({"appointments": [entry] * 20_000}), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(SiteFileError) as error:
        read_appointments(small_site(), site_file)
    assert time.monotonic() - started < 5
    one_message(str(error.value), path, "code 'APT-7KQ2-M9XD' is used twice", "systemctl reload onestop-hub")
    path.write_text(tomli_w.dumps({"appointments": [entry] * (MAX_APPOINTMENTS + 1)}), encoding="utf-8")
    with pytest.raises(SiteFileError) as error:
        read_appointments(small_site(), site_file)
    one_message(str(error.value), path, f"appointments: has {MAX_APPOINTMENTS + 1} entries, at most")


def test_a_content_folder_with_broken_files_keeps_the_good_ones(tmp_path):
    site = load_site(EXAMPLE_SITE)
    folder = tmp_path / "content"
    folder.mkdir()
    for language in site.site.languages:
        (folder / f"{language}.toml").write_bytes((EXAMPLE_CONTENT / f"{language}.toml").read_bytes())
    (folder / "ar.toml").write_text(f"x = {_deep('{a=', '}', 600)}\n", encoding="utf-8")
    (folder / "ru.toml").unlink()
    (folder / "ru.toml").mkdir()
    packs = load_content(site, tmp_path / "site.toml")
    assert set(packs.packs) == set(site.site.languages) - {"ar", "ru"}
    ru, ar = packs.problems  # in the site's order of languages
    one_message(ar, folder / "ar.toml", "nested more than 20 levels deep", "English pack")
    one_message(ru, folder / "ru.toml", "is not a file")


# ---------------------------------------------------------------------------
# Fuzzing: every loader gives a valid object or a SiteFileError, nothing else
# ---------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
#: pieces of TOML syntax and awkward values, so mutations reach the parser's and the schema's corners
TOKENS = ["[", "]", "[[", "]]", "{", "}", "=", '"', "'", '"""', ",", ".", "\n", "#", "\\", "\\u0000", "inf", "nan",
          "-0", "1e999", "0x7f", "true", "1979-05-27T07:32:00Z", "07:32", "[a]", "[[devices]]", "a.b.c = 1",
          "9" * 4400, "é", "ع", "\x00", "\x1b", "\t", " ", "\r\n"]
TOML_VALUES = st.recursive(
    st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | st.dates() | st.times()
    | st.sampled_from(["", "pt", "hub", "kiosk", "Europe/Lisbon", "APT-7KQ2-M9XD", "10:30", "2026-11-27", "/dev/null"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@st.composite
def text_mutations(draw, text: str) -> str:
    """``text`` with a few spans deleted, replaced or inserted (TOML tokens or any characters)."""
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = start + draw(st.integers(0, 30))
        piece = draw(st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=4).map("".join))
        text = text[:start] + piece + text[end:]
    return text


@st.composite
def data_mutations(draw, data: dict) -> dict:
    """``data`` with one value somewhere inside replaced, removed, or a key added."""
    data = copy.deepcopy(data)
    parent, key = None, None
    node = data
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)):
        parent = node
        key = draw(st.sampled_from(sorted(node)) if isinstance(node, dict) else st.integers(0, len(node) - 1))
        node = node[key]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if parent is None or action == "add":
        target = node if isinstance(node, dict) else data
        target[draw(st.text(min_size=1, max_size=10))] = draw(TOML_VALUES)
    elif action == "remove":
        del parent[key]
    else:
        parent[key] = draw(TOML_VALUES)
    return data


def either_valid_or_one_message(load, path: Path):
    """What every loader promises: a value, or a SiteFileError naming the file with at least one problem."""
    try:
        return load()
    except SiteFileError as exc:
        assert exc.problems and exc.path == str(path) and "Traceback" not in str(exc)
        assert str(exc).count("\n  - ") <= MAX_PROBLEMS_SHOWN
        return None


def _write(path: Path, content) -> Path:
    if isinstance(content, dict):
        content = tomli_w.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


SMALL_SITE_TEXT = small_site_text()
EXAMPLE_SITE_TEXT = EXAMPLE_SITE.read_text(encoding="utf-8")
SITE_INPUTS = (text_mutations(SMALL_SITE_TEXT) | text_mutations(EXAMPLE_SITE_TEXT) | data_mutations(small_site_dict())
               | data_mutations(tomllib.loads(EXAMPLE_SITE_TEXT)) | st.binary(max_size=200))


@FUZZ
@given(content=SITE_INPUTS)
def test_fuzz_site_loader(tmp_path, content):
    path = _write(tmp_path / "site.toml", content)
    either_valid_or_one_message(lambda: load_site(path), path)


def _device_text() -> str:
    """A good kiosk device file; @CA@, @CERT@, @KEY@ stand for the test site's TLS files."""
    return tomli_w.dumps({"device_id": "kiosk-1", "site_id": SITE_ID, "state_dir": "/var/lib/onestop",
                          "broker": {"host": "127.0.0.1", "port": 8883, "tls_ca": "@CA@", "tls_cert": "@CERT@",
                                     "tls_key": "@KEY@", "keepalive_s": 10},
                          "timing": {"request_timeout_s": 2.0, "reconnect_max_s": 10.0}})


@FUZZ
@given(content=text_mutations(_device_text()) | data_mutations(tomllib.loads(_device_text())) | st.binary(max_size=200))
def test_fuzz_device_file_loader_and_start_up_checks(tmp_path, test_pki, content):
    from mqttlink.bootstrap import checked_tls_files
    from siteconf.device import broker_password
    cert, key = test_pki.ca.device_paths("kiosk-1")
    if isinstance(content, dict):
        content = tomli_w.dumps(content)
    if isinstance(content, str):
        content = content.replace("@CA@", str(test_pki.ca.ca_path)).replace("@CERT@", str(cert))
        content = content.replace("@KEY@", str(key))
    path = _write(tmp_path / "device.toml", content)

    def start_up():
        device = load_device_file(path)
        broker_password(device, path)
        return checked_tls_files(device, str(path))

    either_valid_or_one_message(start_up, path)


APPOINTMENTS_TEXT = tomli_w.dumps({"appointments": [
    {"code": "APT-7KQ2-M9XD", "day": "2026-11-27", "service": "immigration", "time": "10:30"},
    {"code": "APT-0000-0001", "day": "2026-11-28", "service": "reception"}]})


@FUZZ
@given(content=text_mutations(APPOINTMENTS_TEXT) | data_mutations(tomllib.loads(APPOINTMENTS_TEXT))
       | st.binary(max_size=200))
def test_fuzz_appointments_loader(tmp_path, content):
    path = _write(tmp_path / "appointments.toml", content)
    either_valid_or_one_message(lambda: read_appointments(FUZZ_SITE, tmp_path / "site.toml"), path)


FUZZ_SITE = small_site()
EXAMPLE = load_site(EXAMPLE_SITE)
PACK_TEXT = (EXAMPLE_CONTENT / "pt.toml").read_text(encoding="utf-8")


@FUZZ
@given(content=text_mutations(PACK_TEXT) | data_mutations(tomllib.loads(PACK_TEXT)) | st.binary(max_size=200))
def test_fuzz_content_pack_loader(tmp_path, content):
    path = _write(tmp_path / "pt.toml", content)
    either_valid_or_one_message(lambda: load_pack(path, EXAMPLE), path)
    packs = load_content(EXAMPLE.model_copy(update={"kiosk": EXAMPLE.kiosk.model_copy(
        update={"content_dir": str(tmp_path)})}), tmp_path / "site.toml")
    assert set(packs.packs) | {"pt"} == {"pt"} and len(packs.problems) <= 1
