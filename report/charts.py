"""The report's charts as PNG bytes, drawn with matplotlib's object API (no pyplot: no global
figure state and no GUI backend, so the timer's run needs no display).

Why matplotlib: docs/decisions.md ("Reports").  Every chart is 8 x 4.5 inches at 100 dpi (800 x 450
pixels: the width of an e-mail's body, readable without zooming) with DejaVu Sans, which
matplotlib ships and which has every Portuguese letter; values are written on the bars, so a
printed report in black and white still says them.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from .figures import Figures
from .survey import ALL, QUESTIONS, Survey
from .texts import t

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100
#: colour-blind-safe pair (Okabe-Ito blue and orange)
MEDIAN, P90 = "#0072B2", "#E69F00"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _figure(height_in: float = HEIGHT_IN) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    return fig


#: the hours every chart by hour shows at least (a centre's usual day), so a quiet day's one or two
#: hours are not drawn as bars half the chart wide
DAY_HOURS = (8, 16)


def _hours(figures: Figures) -> list[int]:
    hours = [*figures.tables["hour"], *DAY_HOURS]
    return list(range(min(hours), max(hours) + 1))


def arrivals_by_hour(figures: Figures, lang: str) -> bytes:
    fig = _figure()
    ax = fig.add_subplot()
    hours = _hours(figures)
    table = figures.tables["hour"]
    counts = [table[h].tickets if h in table else 0 for h in hours]
    bars = ax.bar([f"{h:02d}h" for h in hours], counts, color=MEDIAN)
    ax.bar_label(bars, fontsize=9)
    ax.set_title(t("chart_arrivals", lang), fontsize=13)
    ax.set_ylabel(t("tickets_axis", lang))
    ax.margins(y=0.12)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def waits_by_hour(figures: Figures, lang: str) -> bytes:
    fig = _figure()
    ax = fig.add_subplot()
    hours = _hours(figures)
    table = figures.tables["hour"]
    labels = [f"{h:02d}h" for h in hours]
    p50 = [(table[h].wait_min(0.5) if h in table else None) or 0 for h in hours]
    p90 = [(table[h].wait_min(0.9) if h in table else None) or 0 for h in hours]
    x = range(len(hours))
    ax.bar([i - 0.2 for i in x], p50, width=0.4, color=MEDIAN, label=t("p50", lang))
    ax.bar([i + 0.2 for i in x], p90, width=0.4, color=P90, label=t("p90", lang))
    ax.set_xticks(list(x), labels)
    ax.set_title(t("chart_waits_hour", lang), fontsize=13)
    ax.set_ylabel(t("minutes", lang))
    fig.legend(frameon=False, loc="outside lower center", ncol=2)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def waits_by_service(figures: Figures, lang: str, names: dict, targets: dict) -> bytes:
    rows = [(key, stat) for key, stat in figures.tables["service"].items() if stat.called]
    rows.sort(key=lambda kv: kv[1].wait_min(0.9) or 0)
    # 0.42 inch a service, so one or fifteen of them have bars of the same thickness
    fig = _figure(1.6 + 0.42 * len(rows))
    ax = fig.add_subplot()
    y = range(len(rows))
    p50 = [stat.wait_min(0.5) or 0 for _, stat in rows]
    p90 = [stat.wait_min(0.9) or 0 for _, stat in rows]
    ax.barh([i + 0.2 for i in y], p50, height=0.4, color=MEDIAN, label=t("p50", lang))
    bars = ax.barh([i - 0.2 for i in y], p90, height=0.4, color=P90, label=t("p90", lang))
    ax.bar_label(bars, labels=[f"{v:.0f}" for v in p90], fontsize=9, padding=2)
    marked = False
    for i, (key, _) in enumerate(rows):
        if targets.get(key):
            # over the median's half only: the p90's value label stays clear of it
            ax.plot([targets[key]] * 2, [i, i + 0.45], color="black", linewidth=2.5,
                    label=None if marked else t("target", lang))
            marked = True
    ax.set_yticks(list(y), [names.get(key, key) for key, _ in rows], fontsize=9)
    ax.set_xlabel(t("minutes", lang))
    ax.set_title(t("chart_waits_service", lang), fontsize=13)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    # under the axes: inside, it covered the bars of the shortest waits
    fig.legend(frameon=False, loc="outside lower center", ncol=3)
    ax.margins(x=0.1)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def survey_bars(survey: Survey, lang: str) -> bytes:
    """The period's positive share per question, all services; each bar under one line in the seed's
    form with n and the response rate (a line beside the bar did not fit 800 px in Portuguese)."""
    cells = {c.question: c for c in survey.by_time if c.group == ALL}
    fig = _figure(4.2)
    ax = fig.add_subplot()
    for i, q in enumerate(reversed(QUESTIONS)):
        c = cells[q]
        rate = f", {t('survey_rate', lang)} {c.response_rate:.0f} %" if c.response_rate is not None else ""
        if c.suppressed:
            line = f"{t(f'q_{q}', lang)} · {t('survey_suppressed', lang)} (n = {c.n})"
        else:
            line = f"{t(f'q_{q}', lang)} · {t(f'pos_{q}', lang)}: {c.pct:.0f} %  (n = {c.n}{rate})"
            ax.barh(i, c.pct, height=0.38, color=MEDIAN)
            ax.text(c.pct + 0.8, i, f"{c.pct:.0f} %", va="center", ha="left", fontsize=9)
        ax.text(0, i + 0.27, line, va="bottom", ha="left", fontsize=9)
    ax.set_yticks([])
    ax.set_ylim(-0.5, len(QUESTIONS) - 0.1)
    ax.set_xlim(0, 105)
    ax.set_xticks(range(0, 101, 20), [f"{v} %" for v in range(0, 101, 20)])
    ax.set_title(t("chart_survey", lang), fontsize=13)
    ax.spines[["top", "right", "left"]].set_visible(False)
    return _png(fig)


def charts(figures: Figures, survey: Survey, lang: str, names: dict, targets: dict) -> dict[str, bytes]:
    """name -> PNG; none when nobody came, no survey chart without answers."""
    if not figures.total.legs:
        return {}
    out = {"arrivals_by_hour": arrivals_by_hour(figures, lang), "waits_by_hour": waits_by_hour(figures, lang),
           "waits_by_service": waits_by_service(figures, lang, names, targets)}
    if survey.answered:
        out["survey"] = survey_bars(survey, lang)
    return out
