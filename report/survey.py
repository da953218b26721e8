"""The survey's figures in the seed's form: "Very satisfied or satisfied: 96 %", with n and the
response rate beside every percentage; pure.

The kiosk asks the seed's four questions on a four-point scale with no midpoint (``QUESTIONS``);
the hub stores each answered survey with its service and service day only (``survey_answers``,
``hub/store.py``): 1 is the best answer ("very satisfied", "very adequate"), 2 the next, 3 and 4
the two negative ones, NULL a skipped question.  The positive share is of answers 1 or 2.

Groups are per service or per day, week or month, never per counter or hour: that would rate one
named employee.  A question answered fewer than ``MIN_ANSWERS`` times in a group is suppressed (the
issue's rule): ten is the smallest group in which one answer moves the share by at most 10 points.  The response rate is the surveys answered over
the visitors served (finished legs) of the same group: a visitor transferred and served twice is
counted twice over all services, so the centre's rate is a little low, never high.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .reader import Answer

#: the seed's four questions, in its order
QUESTIONS = ("hours", "space", "kindness", "mediator")
MIN_ANSWERS = 10
#: a whole period's group
ALL = "*"


@dataclass(frozen=True)
class SurveyCell:
    group: str
    question: str
    #: answers to this question in the group, and how many of them were 1 or 2
    n: int
    positive: int
    #: surveys answered in the group (some may skip this question) and visitors served there
    responses: int
    served: int

    @property
    def suppressed(self) -> bool:
        return self.n < MIN_ANSWERS

    @property
    def pct(self) -> float | None:
        return None if self.suppressed else 100 * self.positive / self.n

    @property
    def response_rate(self) -> float | None:
        return 100 * self.responses / self.served if self.served else None


def bucket_of(day: str, by: str) -> str:
    """The group of a service day: the day, its ISO week ("2026-W11") or its month ("2026-03")."""
    if by == "day":
        return day
    if by == "week":
        year, week, _ = date.fromisoformat(day).isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return day[:7]
    raise ValueError(f"survey groups are by day, week or month, not {by!r}")


def by_default(days: int) -> str:
    """Days for a week or two, weeks up to a quarter, months beyond."""
    return "day" if days <= 14 else "week" if days <= 92 else "month"


def cells(answers: list[Answer], group_of, served: dict) -> list[SurveyCell]:
    """One cell per (group, question); ``group_of(answer)`` names the group, ``served`` its visitors."""
    groups: dict[str, list[Answer]] = {}
    for answer in answers:
        groups.setdefault(group_of(answer), []).append(answer)
    out = []
    for group in sorted(set(groups) | set(served)):
        rows = groups.get(group, [])
        for question in QUESTIONS:
            given = [getattr(a, question) for a in rows if getattr(a, question) is not None]
            out.append(SurveyCell(group, question, len(given), sum(1 for v in given if v <= 2), len(rows),
                                  served.get(group, 0)))
    return out


@dataclass(frozen=True)
class Survey:
    #: the period's answers per service, and the centre's per day, week or month (``ALL``: the period)
    by_service: list
    by_time: list
    by: str
    answered: int
    #: False: the hub has no survey table yet (an older hub)
    table: bool


def survey(answers: list[Answer], served_by_service: dict, served_by_day: dict, by: str, table: bool = True) -> Survey:
    """The survey tables of a period."""
    served_by_time: dict[str, int] = {}
    for day, n in served_by_day.items():
        if n:
            key = bucket_of(day, by)
            served_by_time[key] = served_by_time.get(key, 0) + n
    by_service = cells(answers, lambda a: a.service, {s: n for s, n in served_by_service.items() if n})
    # the whole period, all services, first; then each day, week or month
    by_time = (cells(answers, lambda a: ALL, {ALL: sum(served_by_day.values())})
               + cells(answers, lambda a: bucket_of(a.day, by), served_by_time))
    return Survey(by_service, by_time, by, len(answers), table)
