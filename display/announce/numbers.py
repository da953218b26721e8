"""Numbers as a person says them, per language.

Which tool speaks which language (checked against espeak-ng 1.51's output
with ``espeak-ng -q -x``):

* **num2words** writes the words: pt, en, fr, es, uk, ru, ar, bn (and every
  other language it knows, e.g. de, it, pl, tr, fa).
* **espeak-ng's own number rules** read the digits: hi (ASCII digits give
  natural Hindi, "23" → "teis"), ne (its rules read ASCII digits in *English*,
  so the digits are handed over as Devanagari digits, "२३", which it reads in
  Nepali).  num2words has no hi or ne converter.
* any other language: the digits, for espeak-ng to read as best it can.

``spoken_number`` returns text that is only ever fed to the synthesiser.
"""

from __future__ import annotations

import re

from num2words import CONVERTER_CLASSES, num2words

#: languages whose number words come from espeak-ng's rules, with the digits they need
ESPEAK_DIGITS = {"hi": "0123456789", "ne": "०१२३४५६७८९"}

_DIGITS = re.compile(r"\d+")


def _num2words_lang(language: str) -> str | None:
    """num2words' converter for a language code (``pt-BR`` → ``pt_BR``, else the base language)."""
    code = language.replace("-", "_")
    if code in CONVERTER_CLASSES:
        return code
    base = language.split("-")[0]
    return base if base in CONVERTER_CLASSES else None


def number_source(language: str) -> str:
    """Who turns numbers into speech for this language: ``num2words``, ``espeak-ng`` or ``digits``."""
    base = language.split("-")[0]
    if base in ESPEAK_DIGITS:
        return "espeak-ng"
    return "num2words" if _num2words_lang(language) else "digits"


def spoken_number(value: int, language: str) -> str:
    """``23`` → ``"vinte e três"`` (pt), ``"двадцять три"`` (uk), ``"२३"`` (ne, read by espeak-ng)."""
    if value < 0:
        raise ValueError(f"a ticket or counter number cannot be negative: {value}")
    source = number_source(language)
    if source == "espeak-ng":
        digits = ESPEAK_DIGITS[language.split("-")[0]]
        return "".join(digits[int(d)] for d in str(value))
    if source == "digits":
        return str(value)
    return num2words(value, lang=_num2words_lang(language))


def speak_numbers_in(text: str, language: str) -> str:
    """Every run of digits in ``text`` spoken in ``language`` (``"Balcão 5"`` → ``"Balcão cinco"``)."""
    return _DIGITS.sub(lambda m: spoken_number(int(m.group()), language), text)
