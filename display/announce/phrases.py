"""What is said for a call, in one language: "Senha A vinte e três, balcão cinco".

The counter is said with its name from the site file in that language
(``Balcão 5``, ``Guichet 5``, ``Вікно 5``, ``الشباك 5``), so a centre that
calls its desks "Gabinete" is announced as it is signposted; the numbers in
the name are spoken as words.  The text is only for the synthesiser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
#: the comma between the ticket and the counter (a pause in the voice)
COMMA = {"ar": "، "}
#: the counter word when the site file has no name for a counter
COUNTER_WORD = {
    "pt": "balcão", "en": "counter", "fr": "guichet", "es": "puesto", "uk": "вікно", "ru": "окно",
    "ar": "الشباك", "hi": "काउंटर", "ne": "काउन्टर", "bn": "কাউন্টার",
}

_CODE = re.compile(r"^([A-Z]{1,2})([0-9]{1,5})$")


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
    spoken = comma.join(spoken_code(c, language) for c in codes)
    return Phrase(language, f"{ticket} {spoken}{comma}{counter}.")
