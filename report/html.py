"""One self-contained HTML file per language: the tables, the survey and the charts (as data: URIs),
no script, no font and no stylesheet from anywhere else, so a manager can open it offline or send it
by e-mail and it looks the same."""

from __future__ import annotations

import base64
from html import escape

from .figures import NO_COUNTER, Figures, Stat
from .survey import ALL, QUESTIONS, Survey
from .texts import t

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:2px solid #0072B2}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#eef4f9}
.big{display:inline-block;margin:.3em 1.2em .3em 0}.big b{font-size:1.8em;display:block}
.note{color:#555;font-size:.85em}img{max-width:100%;height:auto;display:block;margin:.8em 0}
"""


def _n(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _stat_cells(stat: Stat, target: float | None) -> list[str]:
    o = stat.outcomes
    approx = "≈ " if stat.approx else ""
    within = "–" if stat.within_pct is None else f"{approx}{stat.within_pct:.0f} % (n = {stat.target_n})"
    return [str(stat.tickets), str(stat.visitors), str(stat.legs), str(stat.served), str(o.get("no_show", 0)),
            str(o.get("transferred", 0)), str(o.get("cancelled", 0)), str(o.get("voided", 0)),
            approx + _n(stat.wait_min(0.5)), approx + _n(stat.wait_min(0.9)), _n(stat.wait_mean_min),
            approx + _n(stat.service_min(0.5)), approx + _n(stat.service_min(0.9)), _n(target, 0), within]


def _stat_header(lang: str, first: str) -> str:
    wait, service = t("wait", lang), t("service_time", lang)
    cols = [first, t("tickets", lang), t("visitors", lang), t("legs", lang), t("served", lang), t("no_show", lang),
            t("transferred", lang), t("cancelled", lang), t("voided", lang),
            f"{wait} {t('p50', lang)}", f"{wait} {t('p90', lang)}", f"{wait} {t('mean', lang)}",
            f"{service} {t('p50', lang)}", f"{service} {t('p90', lang)}", t("target", lang), t("within", lang)]
    return "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in cols) + "</tr>"


def _table(rows, lang: str, first: str) -> str:
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in [label, *_stat_cells(stat, target)]) + "</tr>"
                   for label, stat, target in rows)
    return f"<table>{_stat_header(lang, first)}{body}</table>"


def _survey_table(cells, lang: str, first: str, label) -> str:
    """One row per group (the period, a day, a service), one column per question."""
    head = (f"<tr><th>{escape(first)}</th>"
            + "".join(f"<th>{escape(t(f'q_{q}', lang))}</th>" for q in QUESTIONS) + "</tr>")
    rows = []
    for group in dict.fromkeys(c.group for c in cells):
        tds = []
        for c in sorted((c for c in cells if c.group == group), key=lambda c: QUESTIONS.index(c.question)):
            rate = "–" if c.response_rate is None else f"{c.response_rate:.0f} %"
            if c.suppressed:
                tds.append(f"{t('survey_suppressed', lang)} (n = {c.n})")
            else:
                tds.append(f"{t(f'pos_{c.question}', lang)}: {c.pct:.0f} % (n = {c.n}, "
                           f"{t('survey_rate', lang)} {rate})")
        rows.append(f"<tr><td>{escape(label(group))}</td>" + "".join(f"<td>{escape(x)}</td>" for x in tds)
                    + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def render(figures: Figures, survey: Survey, pngs: dict, lang: str, site_name: str, names: dict,
           counter_names: dict, targets: dict, made_at: str) -> str:
    """The whole page in ``lang``."""
    total = figures.total
    period = figures.first if figures.first == figures.last else f"{figures.first} – {figures.last}"
    parts = [f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">",
             f"<title>{escape(t('title', lang))} {escape(site_name)} {escape(period)}</title>",
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{escape(t('title', lang))}: {escape(site_name)}</h1>",
             f"<p>{escape(t('period', lang))}: <b>{escape(period)}</b> · {escape(t('made', lang))} {escape(made_at)}</p>"]
    if figures.aggregated_days:
        parts.append(f"<p class=note>{escape(t('approx', lang, day=figures.kept_from or figures.aggregated_days[-1]))}"
                     "</p>")
    parts.append(f"<h2>{escape(t('summary', lang))}</h2>")
    if not total.legs:
        parts.append(f"<p>{escape(t('no_data', lang))}</p>")
    else:
        approx = "≈ " if total.approx else ""
        bigs = [(t("visitors", lang), str(total.visitors)), (t("tickets", lang), str(total.tickets)),
                (t("served", lang), str(total.served)),
                (f"{t('wait', lang)} {t('p50', lang)} / {t('p90', lang)}",
                 f"{approx}{_n(total.wait_min(0.5), 0)} / {_n(total.wait_min(0.9), 0)}"),
                (t("within", lang), "–" if total.within_pct is None else
                 f"{approx}{total.within_pct:.0f} % (n = {total.target_n})"),
                (t("no_show", lang), str(total.outcomes.get("no_show", 0))),
                (t("transferred", lang), str(total.outcomes.get("transferred", 0)))]
        parts.append("".join(f"<span class=big><b>{escape(v)}</b>{escape(k)}</span>" for k, v in bigs))
        parts.append(f"<h2>{escape(t('charts', lang))}</h2>")
        for name, png in pngs.items():
            alt = t({"arrivals_by_hour": "chart_arrivals", "waits_by_hour": "chart_waits_hour",
                     "waits_by_service": "chart_waits_service", "survey": "chart_survey"}[name], lang)
            parts.append(f"<img alt=\"{escape(alt)}\" src=\"data:image/png;base64,"
                         f"{base64.b64encode(png).decode('ascii')}\">")
        tables = figures.tables
        parts.append(f"<h2>{escape(t('by_service', lang))}</h2>")
        parts.append(_table([(names.get(k, k), s, targets.get(k)) for k, s in tables["service"].items()], lang,
                            t("service", lang)))
        parts.append(f"<h2>{escape(t('by_counter', lang))}</h2>")
        parts.append(_table([(t("no_counter", lang) if k == NO_COUNTER else counter_names.get(k, k), s, None)
                             for k, s in tables["counter"].items()], lang, t("counter", lang)))
        parts.append(f"<h2>{escape(t('by_hour', lang))}</h2>")
        parts.append(_table([(f"{k:02d}:00", s, None) for k, s in tables["hour"].items()], lang, t("hour", lang)))
        parts.append(f"<h2>{escape(t('by_language', lang))}</h2>")
        parts.append(_table([(k, s, None) for k, s in tables["language"].items()], lang, t("language", lang)))
        if len(tables["day"]) > 1:
            parts.append(f"<h2>{escape(t('by_day', lang))}</h2>")
            parts.append(_table([(k, s, None) for k, s in tables["day"].items()], lang, t("day", lang)))
    parts.append(f"<h2>{escape(t('survey', lang))}</h2>")
    if not survey.answered:
        parts.append(f"<p>{escape(t('survey_none', lang))}</p>")
    else:
        parts.append(_survey_table(survey.by_time, lang, t(survey.by, lang),
                                   lambda g: t("survey_all", lang) if g == ALL else g))
        parts.append(_survey_table(survey.by_service, lang, t("service", lang), lambda g: names.get(g, g)))
        parts.append(f"<p class=note>{escape(t('survey_note', lang))}</p>")
    parts.append(f"<h2>{escape(t('notes', lang))}</h2><p class=note>{escape(t('note_counts', lang))}</p>"
                 f"<p class=note>{escape(t('note_times', lang))}</p></body></html>")
    return "\n".join(parts)
