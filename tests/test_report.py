"""onestop-report's figures against a day worked out by hand (issue 14), on the real engine and a
database file: what a manager reads in the CSV files and the HTML page."""

from __future__ import annotations

import csv
import hashlib
import re
import sqlite3

import pytest
from report_centre import DAY, Centre

from report.main import main, make_report
from report.reader import LEGS_SQL, STATS_SQL, SURVEY_SQL, connect, read_period


def read_csv(path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}


@pytest.fixture
def small_day(tmp_path):
    """The day, minute by minute (reception's target 15 min, immigration's 30):

    09:00  A001 pt, A002 en, A003 pt, A004 en, A005 pt take reception tickets
    09:05  A004 cancelled at the kiosk          09:06  A005 voided by the technician
    09:10  c1 calls A001 (waited 10)            09:20  c1 calls A002 (waited 20), A001 served 10
    09:25  c1 transfers A002 to immigration     09:26  c1 calls A003 (waited 26)
    09:27  recalled; 09:28 no-show              09:30  c2 calls A002 at immigration (waited 5)
    09:45  c2 finishes A002 (served 15)         10:00  A006 en takes a reception ticket
    10:02  c1 calls A006 (waited 2)             10:05  c1 finishes A006 (served 3)
    """
    centre = Centre(tmp_path)
    centre.when(DAY, "09:00")
    tickets = [centre.issue(language=lang) for lang in ("pt", "en", "pt", "en", "pt")]
    centre.when(DAY, "09:05")
    centre.do("kiosk-1", "cancel_ticket", ref=tickets[3]["ref"])
    centre.when(DAY, "09:06")
    centre.do("technician.hub", "void_tickets", codes=[tickets[4]["code"]], reason="a test of the report")
    for hhmm, device, action, fields in (("09:10", "counter-1", "call_next", {}),
                                         ("09:20", "counter-1", "call_next", {}),
                                         ("09:25", "counter-1", "transfer", {"service": "immigration"}),
                                         ("09:26", "counter-1", "call_next", {}),
                                         ("09:27", "counter-1", "recall", {}),
                                         ("09:28", "counter-1", "no_show", {}),
                                         ("09:30", "counter-2", "call_next", {}),
                                         ("09:45", "counter-2", "finish", {})):
        centre.when(DAY, hhmm)
        centre.do(device, action, **fields)
    centre.when(DAY, "10:00")
    centre.issue(language="en")
    centre.when(DAY, "10:02")
    centre.do("counter-1", "call_next")
    centre.when(DAY, "10:05")
    centre.do("counter-1", "finish")
    yield centre
    centre.close()


def test_a_hand_computed_day(small_day, tmp_path):
    out = tmp_path / "reports"
    assert main(["--site", str(small_day.site_file(tmp_path)), "--database", str(small_day.path), "--day", DAY,
                 "--out", str(out)]) == 0
    folder = out / DAY
    service = read_csv(folder / "by_service.csv")
    reception, immigration = service["reception"], service["immigration"]
    # reception: six tickets, A005 voided (five visitors), four called (A001, A002, A003, A006)
    assert (reception["tickets"], reception["visitors"], reception["legs"], reception["called"]) == ("6", "5", "6", "4")
    assert (reception["served"], reception["no_shows"], reception["transfers"], reception["cancellations"],
            reception["voided"]) == ("2", "1", "1", "1", "1")
    # waits 2, 10, 20, 26: median between 10 and 20; p90 at 2.7 of 3 steps: 20 + 0.7 * 6
    assert (reception["wait_p50_min"], reception["wait_p90_min"], reception["wait_mean_min"]) == ("15.0", "24.2", "14.5")
    # served 10 (A001) and 3 (A006); within 15 minutes: A001 and A006 of four
    assert (reception["service_p50_min"], reception["within_target_pct"], reception["within_target_n"]) == \
        ("6.5", "50.0", "4")
    # immigration: A002 came by transfer (no ticket issued there), waited 5, served 15
    assert (immigration["tickets"], immigration["legs"], immigration["served"], immigration["wait_p50_min"],
            immigration["service_p50_min"], immigration["within_target_pct"]) == ("0", "1", "1", "5.0", "15.0", "100.0")
    total = read_csv(folder / "summary.csv")[DAY]
    # waits 2, 5, 10, 20, 26: p90 at 3.6 of 4 steps: 20 + 0.6 * 6; three of five within their targets
    assert (total["tickets"], total["visitors"], total["legs"], total["wait_p50_min"], total["wait_p90_min"],
            total["within_target_pct"], total["estimated"]) == ("6", "5", "7", "10.0", "23.6", "60.0", "no")
    hour = read_csv(folder / "by_hour.csv")
    assert (hour["9"]["tickets"], hour["9"]["legs"], hour["10"]["tickets"]) == ("5", "6", "1")
    language = read_csv(folder / "by_language.csv")
    assert (language["pt"]["tickets"], language["pt"]["visitors"], language["en"]["legs"]) == ("3", "2", "4")
    counter = read_csv(folder / "by_counter.csv")
    assert set(counter) == {"c1", "c2"} and (counter["c1"]["called"], counter["c2"]["called"]) == ("4", "1")
    page = (folder / "report.en.html").read_text(encoding="utf-8")
    assert "Service report: Test centre" in page and "Welcoming and sorting" in page
    assert "No survey answers yet." in page
    assert "Relatório de atendimento" in (folder / "report.pt.html").read_text(encoding="utf-8")
    # self-contained: the charts are inside, nothing is fetched from anywhere
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 3
    assert not re.search(r'(src|href)="(?!data:)', page) and "@import" not in page and "url(" not in page
    assert {p.name for p in folder.glob("*.png")} == {f"{c}.{lang}.png" for c in
                                                     ("arrivals_by_hour", "waits_by_hour", "waits_by_service")
                                                     for lang in ("pt", "en")}


def test_survey_in_the_seeds_form_with_small_groups_suppressed(tmp_path):
    """Twenty reception visitors served: twelve answer (kindness 11 of 12 positive, opening hours
    skipped by three: 9 answers, suppressed); three answers at immigration, all suppressed."""
    centre = Centre(tmp_path)
    centre.when(DAY, "09:00")
    for _ in range(20):
        centre.issue()
    for _ in range(20):
        centre.clock.advance(60)
        centre.do("counter-1", "call_next")
    centre.do("counter-1", "finish")
    rows = [(DAY, "reception", None if i < 3 else 1, 2, 1 if i else 4, 2) for i in range(12)]
    rows += [(DAY, "immigration", 1, 1, 1, 1)] * 3
    centre.answers(rows)
    out = tmp_path / "reports"
    assert main(["--site", str(centre.site_file(tmp_path)), "--database", str(centre.path), "--day", DAY,
                 "--out", str(out)]) == 0
    by_service = {(r["service"], r["question"]): r for r in csv.DictReader(open(out / DAY / "survey_by_service.csv"))}
    kindness = by_service[("reception", "kindness")]
    assert (kindness["answers"], kindness["positive"], kindness["positive_pct"], kindness["response_rate_pct"]) == \
        ("12", "11", "91.7", "60.0")
    hours = by_service[("reception", "hours")]
    assert (hours["answers"], hours["suppressed"], hours["positive"], hours["positive_pct"]) == ("9", "yes", "", "")
    assert all(by_service[("immigration", q)]["suppressed"] == "yes" for q in ("hours", "space", "kindness"))
    page = (out / DAY / "report.en.html").read_text(encoding="utf-8")
    assert "Very satisfied or satisfied: 92 % (n = 12, response rate 60 %)" in page
    assert "fewer than 10 answers (n = 9)" in page and "fewer than 10 answers (n = 3)" in page
    assert "Muito satisfeito ou satisfeito: 92 % (n = 12, taxa de resposta 60 %)" in \
        (out / DAY / "report.pt.html").read_text(encoding="utf-8")
    # the whole centre: 15 answers of kindness; never a group per counter or hour
    by_day = list(csv.DictReader(open(out / DAY / "survey_by_day.csv")))
    assert {r["day"] for r in by_day} == {"*", DAY}
    assert not any("counter" in name or "hour" in name for name in (p.name for p in (out / DAY).glob("survey*")))
    centre.close()


def test_an_empty_database_and_one_from_before_the_survey(tmp_path):
    centre = Centre(tmp_path)
    centre.close()
    out = tmp_path / "reports"
    args = ["--site", str(centre.site_file(tmp_path)), "--database", str(centre.path), "--day", DAY, "--out", str(out)]
    before = hashlib.sha256(centre.path.read_bytes()).hexdigest()
    assert main(args) == 0
    page = (out / DAY / "report.en.html").read_text(encoding="utf-8")
    assert "No visits in this period." in page and "No survey answers yet." in page
    assert read_csv(out / DAY / "by_service.csv") == {} and not list((out / DAY).glob("*.png"))
    assert read_csv(out / DAY / "summary.csv")[DAY]["tickets"] == "0"
    assert hashlib.sha256(centre.path.read_bytes()).hexdigest() == before, "the report wrote to the database"
    with sqlite3.connect(centre.path) as db:
        db.execute("DROP TABLE survey_answers")
    db = connect(centre.path)
    assert read_period(db, DAY, DAY).survey_table is False
    db.close()
    assert main(args) == 0
    assert "Ainda sem respostas ao inquérito." in (out / DAY / "report.pt.html").read_text(encoding="utf-8")


def test_the_queries_are_plain_sql():
    """No SQLite-only function in what the report asks (docs/decisions.md: PostgreSQL later)."""
    sqlite_only = re.compile(r"\b(strftime|julianday|datetime|date|json_\w+|group_concat|ifnull|iif|printf|"
                             r"total|instr|substr|unixepoch)\s*\(", re.I)
    for sql in (LEGS_SQL, STATS_SQL, SURVEY_SQL):
        assert not sqlite_only.search(sql), sql


def test_a_report_replaces_the_last_one_whole(small_day, tmp_path):
    folder = tmp_path / "out" / DAY
    first = make_report(small_day.path, small_day.site, DAY, DAY, folder, small_day.clock.now())
    second = make_report(small_day.path, small_day.site, DAY, DAY, folder, small_day.clock.now())
    assert [p.name for p in first] == [p.name for p in second]
    assert sorted(p.name for p in folder.parent.iterdir()) == [DAY], "no half-written folder left beside it"
