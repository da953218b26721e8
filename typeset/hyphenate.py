"""Where a word may be hyphenated, by the language's own rules (Pyphen's LibreOffice dictionaries).

``points(word, language)`` gives the character offsets inside ``word`` where
a line may end with a hyphen: none for a language without dictionary (Arabic,
Hindi, Nepali and Bengali are not hyphenated in print either), none inside
a word shorter than five letters, and never one that leaves fewer than two
letters on a side.  A hyphen already in the word ("e-mail") is a break too,
without adding another (see ``typeset.fit``).

    >>> points("Nacionalidade", "pt")      # Na-ci-o-na-li-da-de
    (2, 4, 5, 7, 9, 11)
"""

from __future__ import annotations

from functools import lru_cache

import pyphen

#: the hyphen a broken word ends with
HYPHEN = "-"


@lru_cache(maxsize=32)
def _dictionary(language: str) -> pyphen.Pyphen | None:
    code = pyphen.language_fallback(language.replace("-", "_")) if language else None
    return pyphen.Pyphen(lang=code, left=2, right=2) if code else None


def has_rules(language: str | None) -> bool:
    """Whether words of this language are hyphenated (a dictionary exists)."""
    return bool(language) and _dictionary(language) is not None


@lru_cache(maxsize=8192)
def points(word: str, language: str | None) -> tuple[int, ...]:
    """Offsets in ``word`` after which it may be broken with a hyphen, left to right."""
    if not language or len(word) < 5:
        return ()
    dictionary = _dictionary(language)
    if dictionary is None:
        return ()
    # the dictionary knows letters: leading and trailing punctuation ("(SNS)", "trabalho,") stay on
    start = next((i for i, c in enumerate(word) if c.isalpha()), len(word))
    end = len(word) - next((i for i, c in enumerate(reversed(word)) if c.isalpha()), len(word))
    core = word[start:end]
    if len(core) < 5:
        return ()
    return tuple(start + p for p in dictionary.positions(core) if 2 <= p <= len(core) - 2)
