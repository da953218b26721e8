"""onestop-report's inputs fuzzed (issue 14): any period arguments, any bytes as the database or the
site file.  The command either writes a report (exit 0) or says what is wrong in one message (exit
2): never a traceback, never a write to the database."""

from __future__ import annotations

import hashlib
import sqlite3
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_centre import DAY, Centre

from report.main import main

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])

dates = st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(alphabet=string.digits + "-W:T /", max_size=12),
                  st.sampled_from(["today", "yesterday", "2026-02-30", "2026-13", "2026-W54", "2026-W00", "",
                                   "0000-01-01", "9999-12-31", "-1"]), st.text(max_size=8))


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A database with a day of visitors, and its site file."""
    folder = tmp_path_factory.mktemp("hub")
    centre = Centre(folder)
    centre.quick_day(DAY, visitors=4)
    centre.close()
    return centre.site_file(folder), str(centre.path), hashlib.sha256(centre.path.read_bytes()).hexdigest()


def run(argv, capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: a usage error, exit 2 with its message
        code = exc.code
    err = capsys.readouterr().err
    return code, err


@FUZZ
@given(option=st.sampled_from(["--day", "--week", "--month", "--from", "--to"]), value=dates,
       to=st.one_of(st.none(), dates))
def test_any_period(hub, tmp_path_factory, capsys, option, value, to):
    site, database, digest = hub
    argv = ["--site", site, "--database", database, "--out", str(tmp_path_factory.mktemp("out")), option, value]
    if to is not None and option == "--from":
        argv += ["--to", to]
    code, err = run(argv, capsys)
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.strip(), "a refusal says why"
    assert hashlib.sha256(open(database, "rb").read()).hexdigest() == digest


@FUZZ
@given(content=st.one_of(st.binary(max_size=2000), st.sampled_from([b"", b"SQLite format 3\x00" + b"\x00" * 200])))
def test_any_bytes_as_the_database(hub, tmp_path_factory, capsys, content):
    site, _, _ = hub
    folder = tmp_path_factory.mktemp("bad")
    database = folder / "hub.sqlite3"
    database.write_bytes(content)
    code, err = run(["--site", site, "--database", str(database), "--day", DAY, "--out", str(folder / "out")], capsys)
    assert code == 2 and err.startswith("onestop-report: database:"), err
    assert database.read_bytes() == content


@FUZZ
@given(content=st.binary(max_size=3000))
def test_any_bytes_as_the_site_file(hub, tmp_path_factory, capsys, content):
    _, database, _ = hub
    folder = tmp_path_factory.mktemp("site")
    (folder / "site.toml").write_bytes(content)
    code, err = run(["--site", str(folder / "site.toml"), "--database", database, "--day", DAY,
                     "--out", str(folder / "out")], capsys)
    assert code == 2 and "site.toml" in err and "Traceback" not in err, err


def test_clear_errors(hub, tmp_path, capsys):
    site, database, _ = hub
    cases = [
        (["--site", site, "--database", str(tmp_path / "none.sqlite3")], "does not exist"),
        (["--site", site, "--database", str(tmp_path)], "is not a file"),
        (["--site", site], "give either --device, or both --site and --database"),
        (["--device", str(tmp_path / "device.toml")], "device.toml"),
        (["--site", site, "--database", database, "--from", "2026-03-10"], "--from and --to go together"),
        (["--site", site, "--database", database, "--day", DAY, "--to", "2026-03-10"], "--from and --to go together"),
        (["--site", site, "--database", database, "--from", "2026-03-10", "--to", "2026-03-01"], "is before"),
        (["--site", site, "--database", database, "--day", "10/03/2026"], "write it as YYYY-MM-DD"),
        (["--site", site, "--database", database, "--month", "2026-3"], "write it as YYYY-MM"),
        (["--site", site, "--database", database, "--week", "2026-W60"], "write 2026-W11"),
    ]
    for argv, message in cases:
        code, err = run([*argv, "--out", str(tmp_path / "out")], capsys)
        assert code == 2 and message in err, (argv, err)
    conn = sqlite3.connect(tmp_path / "other.sqlite3")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    code, err = run(["--site", site, "--database", str(tmp_path / "other.sqlite3"), "--out", str(tmp_path)], capsys)
    assert code == 2 and "is not a hub database (no table daily_stats, legs, meta, tickets)" in err
    (tmp_path / "file").write_text("")
    code, err = run(["--site", site, "--database", database, "--day", DAY, "--out", str(tmp_path / "file" / "x")],
                    capsys)
    assert code == 2 and err.startswith("onestop-report: --out: cannot write in"), err
