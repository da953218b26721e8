"""One check for every gettext catalog the devices print or show (kiosk screens, printed tickets)."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def check_translated(language: str, catalog, wanted: set | None = None, forms: bool = False) -> None:
    """Every message of ``catalog`` (a Babel ``Catalog``) is translated: not fuzzy, no form empty,
    the source's placeholders kept (a plural form may say "one" or "two" in words, as Arabic does,
    but never another placeholder), and not the English copied over.  ``wanted``: exactly these
    messages, no more and no fewer; ``forms``: as many plural forms as the Plural-Forms header says."""
    messages = {m.id: m for m in catalog if m.id}
    if wanted is not None:
        assert set(messages) == wanted, (language, set(messages) ^ wanted)
    for msgid, message in messages.items():
        assert "fuzzy" not in message.flags, (language, msgid)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), (language, msgid)
        source = msgid[0] if isinstance(msgid, tuple) else msgid
        placeholders = set(PLACEHOLDER.findall(source))
        if isinstance(msgid, tuple):
            if forms:
                assert len(strings) == catalog.num_plurals, (language, msgid)
            assert all(set(PLACEHOLDER.findall(s)) <= placeholders for s in strings), (language, msgid)
            assert any(set(PLACEHOLDER.findall(s)) == placeholders for s in strings), (language, msgid)
        else:
            assert set(PLACEHOLDER.findall(strings[0])) == placeholders, (language, msgid)
        if language != "en":  # really translated, not the English copied over
            assert strings[0] != source, (language, msgid)
