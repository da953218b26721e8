"""The names of the Latin letters of a ticket prefix, as each language says them.

A prefix such as ``M`` or ``IN`` must be spelt letter by letter.  Handing a
bare Latin letter to espeak-ng makes the Cyrillic, Arabic and Indic voices
switch to an English voice mid-sentence (``(en)'Em(uk)``), which sounds
like a different speaker and breaks the sentence's rhythm, and a lone ``A``
in English is read as the article.  So every language gets the names its
speakers use for Latin letters, written in its own script:

* pt, fr, es: the alphabet's own letter names (``eme``, ``emme``, ``eme``);
* en: the English names (``em``), spelt so espeak never reads them as words;
* uk, ru: the Latin letter names taught in school (``ем``, ``эм``);
* ar, hi, ne, bn: the English letter names as people there say them, in
  their script (``إم``, ``एम``, ``এম``).

A language without a table gets the bare letter (espeak-ng's own name for it).
"""

from __future__ import annotations

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _table(names: str) -> dict[str, str]:
    parts = [p.strip() for p in names.split("|")]
    if len(parts) != len(_ALPHABET):
        raise ValueError(f"a letter table needs {len(_ALPHABET)} names, got {len(parts)}")
    return dict(zip(_ALPHABET, parts))


LETTER_NAMES: dict[str, dict[str, str]] = {
    "pt": _table("á|bê|cê|dê|é|efe|gê|agá|i|jota|capa|ele|eme|ene|ó|pê|quê|erre|esse|tê|u|vê|dâblio|xis|"
                 "ípsilon|zê"),
    "en": _table("ay|bee|see|dee|ee|ef|jee|aitch|eye|jay|kay|el|em|en|oh|pee|cue|ar|ess|tee|you|vee|"
                 "double-you|ex|why|zed"),
    "fr": _table("a|bé|cé|dé|eu|effe|gé|ache|i|ji|ka|elle|emme|enne|o|pé|ku|erre|esse|té|u|vé|double vé|"
                 "ixe|i grec|zède"),
    "es": _table("a|be|ce|de|e|efe|ge|hache|i|jota|ka|ele|eme|ene|o|pe|cu|erre|ese|te|u|uve|uve doble|"
                 "equis|i griega|zeta"),
    "uk": _table("а|бе|це|де|е|еф|ге|аш|і|йот|ка|ель|ем|ен|о|пе|ку|ер|ес|те|у|ве|дубль-ве|ікс|ігрек|зет"),
    "ru": _table("а|бэ|цэ|дэ|е|эф|гэ|аш|и|йот|ка|эль|эм|эн|о|пэ|ку|эр|эс|тэ|у|вэ|дубль-вэ|икс|игрек|зэт"),
    "ar": _table("إيه|بي|سي|دي|إي|إف|جي|إتش|آي|جاي|كاي|إل|إم|إن|أو|بي|كيو|آر|إس|تي|يو|في|دبليو|إكس|واي|زد"),
    "hi": _table("ए|बी|सी|डी|ई|एफ़|जी|एच|आई|जे|के|एल|एम|एन|ओ|पी|क्यू|आर|एस|टी|यू|वी|डब्ल्यू|एक्स|वाई|ज़ेड"),
    "ne": _table("ए|बी|सी|डी|ई|एफ|जी|एच|आई|जे|के|एल|एम|एन|ओ|पी|क्यु|आर|एस|टी|यु|भी|डब्लु|एक्स|वाई|जेड"),
    "bn": _table("এ|বি|সি|ডি|ই|এফ|জি|এইচ|আই|জে|কে|এল|এম|এন|ও|পি|কিউ|আর|এস|টি|ইউ|ভি|ডাবলিউ|এক্স|ওয়াই|জেড"),
}


def spoken_letters(prefix: str, language: str) -> str:
    """``"IN"`` → ``"i ene"`` (pt), ``"ай ен"``... each letter by its name, separated by spaces."""
    table = LETTER_NAMES.get(language) or LETTER_NAMES.get(language.split("-")[0]) or {}
    names = []
    for letter in prefix.upper():
        if letter not in _ALPHABET:
            raise ValueError(f"a ticket prefix has Latin capitals only, not {letter!r}")
        names.append(table.get(letter, letter))
    return " ".join(names)
