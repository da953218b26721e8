"""What is said for a call, in one language: "Senha A vinte e três, balcão cinco".

The counter is said with its name from the site file in that language
(``Balcão 5``, ``Guichet 5``, ``Вікно 5``, ``الشباك 5``), so a centre that
calls its desks "Gabinete" is announced as it is signposted; the numbers in
the name are spoken as words.  The text is only for the synthesiser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract.fields import SERVICE_PREFIX

from .letters import spoken_letters
from .numbers import speak_numbers_in, spoken_number

#: the word before the ticket code, per language (what the kiosk's ticket is called there)
TICKET_WORD = {
    "pt": "Senha", "en": "Ticket", "fr": "Ticket", "es": "Turno", "uk": "Талон", "ru": "Талон",
    "ar": "التذكرة رقم", "hi": "टिकट", "ne": "टिकट", "bn": "টিকিট",
}
#: the same word in the plural, for a merged announcement of several tickets to one counter
TICKETS_WORD = {
    "pt": "Senhas", "en": "Tickets", "fr": "Tickets", "es": "Turnos", "uk": "Талони", "ru": "Талоны",
    "ar": "التذاكر رقم", "hi": "टिकट", "ne": "टिकटहरू", "bn": "টিকিট",
}
#: a run of consecutive tickets in a merged announcement ("A6 to A28"), per language
RANGE = {
    "pt": "{a} até {b}", "en": "{a} to {b}", "fr": "{a} à {b}", "es": "{a} a {b}", "uk": "з {a} по {b}",
    "ru": "с {a} по {b}", "ar": "من {a} إلى {b}", "hi": "{a} से {b} तक", "ne": "{a} देखि {b} सम्म",
    "bn": "{a} থেকে {b} পর্যন্ত",
}
#: runs this long or longer are said as a range
RANGE_FROM = 3
#: the comma between the ticket and the counter (a pause in the voice)
COMMA = {"ar": "، "}
#: the counter word when the site file has no name for a counter
COUNTER_WORD = {
    "pt": "balcão", "en": "counter", "fr": "guichet", "es": "puesto", "uk": "вікно", "ru": "окно",
    "ar": "الشباك", "hi": "काउंटर", "ne": "काउन्टर", "bn": "কাউন্টার",
}

_CODE = re.compile(rf"^({SERVICE_PREFIX})([0-9]{{1,5}})$")  # contract.fields.CODE, split in two


@dataclass(frozen=True)
class Phrase:
    """One sentence to synthesise: the text and the language (voice) to say it in."""

    language: str
    text: str


def split_code(code: str) -> tuple[str, int]:
    """``"IN012"`` → ``("IN", 12)``; a code that is not letters then digits is refused."""
    match = _CODE.match(code)
    if not match:
        raise ValueError(f"not a ticket code: {code!r} (one or two capitals, then up to five digits)")
    return match.group(1), int(match.group(2))


def spoken_code(code: str, language: str) -> str:
    prefix, number = split_code(code)
    return f"{spoken_letters(prefix, language)} {spoken_number(number, language)}"


def call_phrase(code: str | list[str], counter_number: int, counter_names: dict[str, str] | None, language: str,
                default_language: str = "pt") -> Phrase:
    """The sentence announcing ``code`` (or several codes, merged) at a counter, in ``language``."""
    codes = [code] if isinstance(code, str) else list(code)
    if not codes:
        raise ValueError("a call phrase needs at least one ticket code")
    base = language.split("-")[0]
    names = counter_names or {}
    name = names.get(language) or names.get(base)
    if name:
        counter = speak_numbers_in(name, language)
    else:
        counter = f"{COUNTER_WORD.get(base, COUNTER_WORD['en'])} {spoken_number(counter_number, language)}"
    words = TICKET_WORD if len(codes) == 1 else TICKETS_WORD
    ticket = words.get(base, words["en"])
    comma = COMMA.get(base, ", ")
    spoken = comma.join(_spoken_run(run, language) for run in _runs(codes))
    return Phrase(language, f"{ticket} {spoken}{comma}{counter}.")


def _runs(codes: list[str]) -> list[list[str]]:
    """Codes split into runs of consecutive numbers with one prefix, in the given order."""
    runs: list[list[str]] = []
    for code in codes:
        if runs:
            prefix, number = split_code(code)
            last_prefix, last_number = split_code(runs[-1][-1])
            if prefix == last_prefix and number == last_number + 1:
                runs[-1].append(code)
                continue
        runs.append([code])
    return runs


def _spoken_run(run: list[str], language: str) -> str:
    """One code, a few codes, or "á seis até á vinte e oito" for a long run."""
    if len(run) < RANGE_FROM:
        return (COMMA.get(language.split("-")[0], ", ")).join(spoken_code(c, language) for c in run)
    template = RANGE.get(language.split("-")[0], RANGE["en"])
    return template.format(a=spoken_code(run[0], language), b=spoken_code(run[-1], language))
