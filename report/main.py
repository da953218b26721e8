"""``onestop-report``: a day's, week's, month's or date range's figures from the hub's database.

    onestop-report                                  # yesterday, from /etc/onestop/device.toml
    onestop-report --month 2026-03 --out ~/reports
    onestop-report --site site.toml --database hub.sqlite3 --from 2026-03-01 --to 2026-03-15
    onestop-report --demo --out /tmp/reports        # a simulated busy day through the real hub

It writes ``<out>/<period>/``: ``report.pt.html`` and ``report.en.html`` (self-contained), the CSV
files and the charts as PNG.  The folder is written beside and renamed into place, so a manager
downloading a report never gets half of one.  Bad input (a date, a file, a folder) ends with one
message saying what to do, exit code 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from hub.clock import Clock, SiteTime
from siteconf import SiteFileError, load_site
from siteconf.device import load_device_file
from siteconf.schema import Site
from typeset.i18n import pick

from .charts import charts
from .csvfiles import write_csvs
from .figures import compute, days_of
from .html import render
from .reader import ReportError, connect, read_period
from .survey import by_default, survey
from .texts import LANGUAGES

DEFAULT_DEVICE_FILE = "/etc/onestop/device.toml"
DEFAULT_OUT = "/var/lib/onestop/reports"
#: the longest range: ten years of daily figures (a bigger one is a typo)
MAX_DAYS = 3700


# ---------------------------------------------------------------------------- periods
#: service days a report may name (a year outside is a typo, and 9999-12-31 has no next week)
YEARS = (2000, 2199)


def _date(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text)
    except (ValueError, TypeError):
        raise ReportError(f"{what}: {text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-10)") from None
    return _in_years(day, what)


def _in_years(day: date, what: str) -> date:
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise ReportError(f"{what}: {day} is not a day of {YEARS[0]} to {YEARS[1]}")
    return day


def period(args, today: str) -> tuple[str, str, str]:
    """(first day, last day, folder name) of what the arguments ask for; ``today`` is the service day."""
    if args.date_to is not None and args.date_from is None:
        raise ReportError("--from and --to go together: the first and the last day of the range")
    if args.day is not None:
        word = {"today": today, "yesterday": SiteTime.days_before(today, 1)}.get(args.day, args.day)
        day = _date(word, "--day").isoformat()
        return day, day, day
    if args.week is not None:
        try:
            monday = (datetime.strptime(args.week + "-1", "%G-W%V-%u").date() if "W" in args.week
                      else _date(args.week, "--week") - timedelta(days=_date(args.week, "--week").weekday()))
        except ValueError:
            raise ReportError(f"--week: {args.week!r} is not a week; write 2026-W11 or a date in it") from None
        year, week, _ = _in_years(monday, "--week").isocalendar()
        return monday.isoformat(), (monday + timedelta(days=6)).isoformat(), f"{year}-W{week:02d}"
    if args.month is not None:
        first = _date(f"{args.month}-01", "--month") if len(args.month) == 7 else None
        if first is None:
            raise ReportError(f"--month: {args.month!r} is not a month; write it as YYYY-MM (e.g. 2026-03)")
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return first.isoformat(), last.isoformat(), args.month
    if args.date_from is not None or args.date_to is not None:
        if args.date_from is None or args.date_to is None:
            raise ReportError("--from and --to go together: the first and the last day of the range")
        first, last = _date(args.date_from, "--from"), _date(args.date_to, "--to")
        if last < first:
            raise ReportError(f"--to {last} is before --from {first}")
        if (last - first).days >= MAX_DAYS:
            raise ReportError(f"--from {first} --to {last} is longer than {MAX_DAYS} days")
        return first.isoformat(), last.isoformat(), f"{first}_{last}"
    day = SiteTime.days_before(today, 1)
    return day, day, day


# ---------------------------------------------------------------------------- the report
def make_report(database: str | Path, site: Site, first: str, last: str, folder: Path, now: float,
                languages=LANGUAGES, survey_by: str | None = None) -> list[Path]:
    """Read the period, write its report into ``folder`` (made or replaced whole); the files written."""
    db = connect(database)
    try:
        data = read_period(db, first, last)
    finally:
        db.close()
    targets = {s.id: s.target_wait_min for s in site.services}
    figures = compute(data, targets, site.site.timezone)
    served_by_service = {k: s.served for k, s in figures.tables["service"].items()}
    served_by_day = {k: s.served for k, s in figures.tables["day"].items()}
    answers = survey(data.answers, served_by_service, served_by_day,
                     survey_by or by_default(len(days_of(first, last))), data.survey_table)
    default = site.site.default_language
    made_at = SiteTime(site.site.timezone).local(now).strftime("%Y-%m-%d %H:%M")
    folder = Path(folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as exc:
        raise ReportError(f"--out: cannot write in {folder.parent}: {exc.strerror}; choose a folder this user "
                          "may write") from None
    try:
        write_csvs(work, figures, answers, targets)
        for lang in languages:
            names = {s.id: pick(s.name, lang, default) for s in site.services}
            counter_names = {c.id: pick(c.name, lang, default) for c in site.counters}
            pngs = charts(figures, answers, lang, names, targets)
            for name, png in pngs.items():
                (work / f"{name}.{lang}.png").write_bytes(png)
            page = render(figures, answers, pngs, lang, site.site.name, names, counter_names, targets, made_at)
            (work / f"report.{lang}.html").write_text(page, encoding="utf-8")
        os.chmod(work, 0o755 & ~_umask())
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
            work.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return sorted(folder.iterdir())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------- the command
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onestop-report", description="The centre's figures for a day, week, "
                                "month or range: HTML (pt, en), CSV and PNG charts.")
    p.add_argument("--device", help=f"the hub's device file (default {DEFAULT_DEVICE_FILE})")
    p.add_argument("--site", help="the site file (with --database, instead of --device)")
    p.add_argument("--database", help="the hub's database file (with --site)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--day", help="YYYY-MM-DD, 'today' or 'yesterday' (the default)")
    when.add_argument("--week", help="2026-W11, or any date of the week (Monday to Sunday)")
    when.add_argument("--month", help="YYYY-MM")
    when.add_argument("--from", dest="date_from", help="first day of a range (with --to)")
    p.add_argument("--to", dest="date_to", help="last day of a range (with --from)")
    p.add_argument("--survey-by", choices=("day", "week", "month"),
                   help="the survey's groups in time (default: by the period's length)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"folder of the reports (default {DEFAULT_OUT})")
    p.add_argument("--demo", action="store_true", help="report a simulated busy day (the CNAI example) instead")
    return p


def sources(args) -> tuple[Site, str]:
    """The site and the database the arguments name."""
    if args.site or args.database:
        if args.device or not (args.site and args.database):
            raise ReportError("give either --device, or both --site and --database")
        return load_site(args.site), args.database
    device_file = args.device or DEFAULT_DEVICE_FILE
    device = load_device_file(device_file)
    if not device.site_file:
        raise ReportError(f"{device_file}: it names no site file (site_file): give the hub's device file")
    return load_site(device.site_file), device.database or str(Path(device.state_dir) / "hub.sqlite3")


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    args = parser().parse_args(argv)
    clock = clock or Clock()
    try:
        if args.demo:
            from .demo import demo_database

            site, database, tmp = demo_database()
        else:
            site, database = sources(args)
            tmp = None
        try:
            today = SiteTime(site.site.timezone, site.site.service_day_starts).service_day(clock.now())
            if args.demo and all(v is None for v in (args.day, args.week, args.month, args.date_from)):
                from hub.simulate import DAY

                args.day = DAY
            first, last, name = period(args, today)
            written = make_report(database, site, first, last, Path(args.out) / name, clock.now(),
                                  survey_by=args.survey_by)
        finally:
            if tmp is not None:
                tmp.cleanup()
    except (ReportError, SiteFileError) as exc:
        print(f"onestop-report: {exc}", file=sys.stderr)
        return 2
    print(f"{first} to {last}: {len(written)} files in {Path(args.out) / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
