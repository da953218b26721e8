"""The few words of the display's own (headings, badges, units), per language.

Headings show the site's default language and English ("Chamadas
anteriores · Previous calls"); the data (services, counters, ticker) comes in
every language from the site file.
"""

from __future__ import annotations

WORDS = {
    "pt": {"ticket": "Senha", "counter": "Balcão", "previous": "Chamadas anteriores", "new_call": "Nova chamada",
           "recall": "Chamada repetida", "waiting": "Em espera", "estimate": "Espera prevista",
           "offline": "Sem ligação", "minutes": "min", "no_calls": "Aguarde a sua vez", "service": "Serviço",
           "paused": "Sem senhas", "closed": "Encerrado"},
    "en": {"ticket": "Ticket", "counter": "Counter", "previous": "Previous calls", "new_call": "New call",
           "recall": "Called again", "waiting": "Waiting", "estimate": "Expected wait",
           "offline": "Offline", "minutes": "min", "no_calls": "Please wait for your turn", "service": "Service",
           "paused": "No tickets", "closed": "Closed"},
}


def word(key: str, language: str) -> str:
    return (WORDS.get(language) or WORDS["en"])[key]


def heading(key: str, language: str) -> str:
    """``"Chamadas anteriores · Previous calls"``; once when the default language is English."""
    first = word(key, language)
    second = WORDS["en"][key]
    return first if first == second else f"{first} · {second}"


def estimate_text(line, language: str) -> str:
    """The waiting list's last column for a ``ServiceLine``: a service a supervisor paused or closed
    says so ("Sem senhas", "Encerrado": no new tickets, those waiting are still called; issue 17),
    an open one its estimate while anybody waits."""
    if line.status in ("paused", "closed"):
        return word(line.status, language)
    return wait_text(*line.wait, language) if line.waiting else ""


def wait_text(low: int | None, high: int | None, language: str) -> str:
    """The waiting list's estimate: the hub's range ("20–35 min"; "0–5 min" when it starts at zero,
    as the display's fonts have no "≤"), "< 1 min" when it ends there, "–" when the hub has none.
    A range is the honest answer: even the best estimator's point is about a third off for one
    visitor (docs/decisions.md, "Waiting estimates"); the wall shows the range the kiosk and the
    ticket show."""
    unit = word("minutes", language)
    if high is None:
        return "–" if low is None else f"~{low} {unit}"
    if high < 1:
        return f"< 1 {unit}"
    low = low or 0
    if low >= high:
        return f"~{high} {unit}"
    return f"{low}–{high} {unit}"
