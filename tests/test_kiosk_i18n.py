"""The kiosk's catalogs: complete in every language, current with the code, fallbacks never empty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from catalog_checks import check_translated
from kiosk.i18n import CATALOGS, KIOSK_LANGUAGES, LOCALE_DIR, language_name, ntr, tr
from typeset.i18n import Catalogs

REPO = Path(__file__).resolve().parent.parent


def _catalog(language: str):
    with CATALOGS.po_file(language).open("rb") as source:
        return read_po(source, locale=language)


def test_every_language_translates_every_message_with_the_same_placeholders():
    template = {m.id for m in read_po((LOCALE_DIR / "kiosk.pot").open("rb")) if m.id}
    assert sorted(CATALOGS.languages()) == sorted(KIOSK_LANGUAGES)
    for language in KIOSK_LANGUAGES:
        check_translated(language, _catalog(language), template)


def test_the_template_is_current_with_the_code_and_kv_files(tmp_path):
    out = tmp_path / "kiosk.pot"
    run = subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "kiosk/babel.cfg",
                          "-k", "_", "-k", "tr:2", "-k", "ntr:2,3", "-k", "tx:1", "--no-location", "--sort-output",
                          "-o", str(out), "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    extracted = {m.id for m in read_po(out.open("rb")) if m.id}
    committed = {m.id for m in read_po((LOCALE_DIR / "kiosk.pot").open("rb")) if m.id}
    assert extracted == committed, "run the pybabel commands in kiosk/babel.cfg"


def _write_po(folder: Path, language: str, entries: dict[str, str]) -> None:
    path = folder / language / "LC_MESSAGES" / "kiosk.po"
    path.parent.mkdir(parents=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body, encoding="utf-8")


def test_a_missing_translation_falls_back_to_english_then_portuguese_never_to_nothing(tmp_path):
    _write_po(tmp_path, "uk", {"Back": "Назад", "Done": ""})
    _write_po(tmp_path, "en", {"Back": "Back", "Done": "Done", "Language": ""})
    _write_po(tmp_path, "pt", {"Back": "Voltar", "Done": "Terminar", "Language": "Língua"})
    catalogs = Catalogs(tmp_path, "kiosk")
    assert catalogs.gettext("uk", "Back") == "Назад"
    assert catalogs.gettext("uk", "Done") == "Done"          # empty in uk: English
    assert catalogs.gettext("uk", "Language") == "Língua"    # empty in uk and en: Portuguese
    assert catalogs.gettext("uk", "Not anywhere") == "Not anywhere"  # the source text, not ""
    assert catalogs.gettext("de", "Back") == "Back"          # no catalog at all: English


def test_fuzzy_translations_are_not_used(tmp_path):
    path = tmp_path / "fr" / "LC_MESSAGES" / "kiosk.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                    '#, fuzzy\nmsgid "Back"\nmsgstr "Peut-être"\n', encoding="utf-8")
    assert Catalogs(tmp_path, "kiosk").gettext("fr", "Back") == "Back"


def test_the_real_catalogs_in_use():
    assert tr("uk", "Back") == "Назад"
    assert tr("ar", "Please wait in: %(place)s", place="X") == "يرجى الانتظار في: X"
    assert ntr("ru", "%(n)d person ahead of you", "%(n)d people ahead of you", 3) == "3 человека перед вами"
    assert ntr("ru", "%(n)d person ahead of you", "%(n)d people ahead of you", 5) == "5 человек перед вами"
    assert ntr("ar", "%(n)d person ahead of you", "%(n)d people ahead of you", 2) == "أمامك شخصان"


def test_languages_are_named_in_their_own_script():
    assert [language_name(code) for code in KIOSK_LANGUAGES] == [
        "Português", "English", "Français", "Español", "Українська", "Русский", "العربية", "हिन्दी", "नेपाली", "বাংলা"]


def test_the_scan_screen_translates_every_reason_the_scanner_gives():
    """hardware.scanner's reasons are English; the kiosk's catalog must have the same texts."""
    from hardware.scanner import REASONS
    from kiosk.views import SCAN_MESSAGES
    for reason, text in REASONS.items():
        assert SCAN_MESSAGES[reason] == text, reason
        assert tr("ar", text) != text
