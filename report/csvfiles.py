"""The figures as CSV files (one per table), for a spreadsheet or a central store.

Headers are plain English column names and numbers use a dot and no grouping, so any spreadsheet
or ``COPY ... FROM`` reads them; minutes have one decimal (a wait of 12.3 minutes), shares are
percentages with one decimal.  An empty cell is "no figure" (nobody was called), never zero.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .figures import DIMENSIONS, Figures, Stat
from .survey import QUESTIONS, Survey

STAT_COLUMNS = ("tickets", "visitors", "legs", "called", "served", "no_shows", "transfers", "cancellations",
                "voided", "expired", "wait_p50_min", "wait_p90_min", "wait_mean_min", "service_p50_min",
                "service_p90_min", "service_mean_min", "target_min", "within_target_pct", "within_target_n",
                "estimated")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def stat_row(stat: Stat, target: float | None) -> list[str]:
    o = stat.outcomes
    return [str(stat.tickets), str(stat.visitors), str(stat.legs), str(stat.called), str(stat.served),
            str(o.get("no_show", 0)), str(o.get("transferred", 0)), str(o.get("cancelled", 0)),
            str(o.get("voided", 0)), str(o.get("expired", 0)),
            _num(stat.wait_min(0.5)), _num(stat.wait_min(0.9)), _num(stat.wait_mean_min),
            _num(stat.service_min(0.5)), _num(stat.service_min(0.9)), _num(stat.service_mean_min),
            _num(target), _num(stat.within_pct), str(stat.target_n), "yes" if stat.approx else "no"]


def write_csvs(folder: Path, figures: Figures, survey: Survey, targets: dict) -> list[Path]:
    written = []

    def write(name: str, header, rows) -> None:
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(header)
            out.writerows(rows)
        written.append(path)

    write("summary.csv", ("first_day", "last_day", *STAT_COLUMNS),
          [[figures.first, figures.last, *stat_row(figures.total, None)]])
    for dim in DIMENSIONS:
        write(f"by_{dim}.csv", (dim, *STAT_COLUMNS),
              [[key, *stat_row(stat, targets.get(key) if dim == "service" else None)]
               for key, stat in figures.tables[dim].items()])
    header = ("question", "answers", "positive", "positive_pct", "suppressed", "responses", "served",
              "response_rate_pct")
    for name, first, cells in (("survey_by_service.csv", "service", survey.by_service),
                               (f"survey_by_{survey.by}.csv", survey.by, survey.by_time)):
        write(name, (first, *header),
              [[c.group, c.question, c.n, "" if c.suppressed else c.positive, _num(c.pct),
                "yes" if c.suppressed else "no", c.responses, c.served, _num(c.response_rate)]
               for c in cells if c.question in QUESTIONS])
    return written
