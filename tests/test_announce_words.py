"""What the announcer says in each language: numbers spoken naturally, prefix
letters by their names, the counter by its signposted name; and the speech
cache (espeak-ng for real, offline)."""

from __future__ import annotations

import subprocess
import wave

import pytest

from display.announce.chime import chime_wav
from display.announce.letters import LETTER_NAMES, spoken_letters
from display.announce.numbers import number_source, speak_numbers_in, spoken_number
from display.announce.phrases import call_phrase, split_code
from display.announce.speech import SpeechCache

SITE_LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]


@pytest.mark.parametrize("language, words", [
    ("pt", "vinte e três"), ("en", "twenty-three"), ("fr", "vingt-trois"), ("es", "veintitrés"),
    ("uk", "двадцять три"), ("ru", "двадцать три"), ("ar", "ثلاثة و عشرون"), ("bn", "তেইশ"),
    ("hi", "23"), ("ne", "२३"),
])
def test_twenty_three_in_every_site_language(language, words):
    assert spoken_number(23, language) == words


def test_who_speaks_the_numbers_of_each_language():
    assert {lang: number_source(lang) for lang in SITE_LANGUAGES} == {
        "pt": "num2words", "en": "num2words", "fr": "num2words", "es": "num2words", "uk": "num2words",
        "ru": "num2words", "ar": "num2words", "bn": "num2words", "hi": "espeak-ng", "ne": "espeak-ng"}
    assert number_source("xx") == "digits"


def espeak_phonemes(text: str, voice: str) -> str:
    return subprocess.run(["espeak-ng", "-q", "-x", "-v", voice, text], capture_output=True, text=True,
                          timeout=30, check=True).stdout


@pytest.mark.parametrize("language, expected", [("hi", "t'e:is"), ("ne", "t'e:Is")])
def test_espeak_reads_hindi_and_nepali_numbers_as_words_in_that_language(language, expected):
    phonemes = espeak_phonemes(spoken_number(23, language), language)
    assert expected in phonemes
    assert "(en)" not in phonemes  # Nepali with ASCII digits would switch to English: "twenty three"
    assert "(en)" in espeak_phonemes("23", "ne")


@pytest.mark.parametrize("language", SITE_LANGUAGES)
def test_a_whole_call_is_spoken_by_one_voice_without_switching_language(language):
    names = {"pt": "Balcão 12", "uk": "Вікно 12", "ar": "الشباك 12", "hi": "काउंटर 12", "ne": "काउन्टर 12",
             "bn": "কাউন্টার 12", "en": "Counter 12", "fr": "Guichet 12", "es": "Puesto 12", "ru": "Окно 12"}
    phrase = call_phrase("IN105", 12, names, language)
    assert "(" not in espeak_phonemes(phrase.text, language), phrase.text


def test_portuguese_call_reads_as_a_person_says_it():
    assert call_phrase("A023", 5, {"pt": "Balcão 5"}, "pt").text == "Senha á vinte e três, Balcão cinco."
    # leading zeros are not spoken; two-letter prefixes are spelt
    assert call_phrase("IN007", 3, {"pt": "Balcão 3"}, "pt").text == "Senha i ene sete, Balcão três."
    # a counter without a name in the language: the language's counter word and number
    assert call_phrase("M100", 4, {"pt": "Balcão 4"}, "uk").text == "Талон ем сто, вікно чотири."


def test_letters_are_named_per_language():
    assert spoken_letters("M", "pt") == "eme"
    assert spoken_letters("M", "en") == "em"
    assert spoken_letters("IN", "uk") == "і ен"
    assert spoken_letters("M", "ar") == "إم"
    assert spoken_letters("M", "hi") == "एम"
    assert spoken_letters("M", "de") == "M"  # no table: espeak-ng names the letter itself
    assert all(len(table) == 26 for table in LETTER_NAMES.values())
    with pytest.raises(ValueError):
        spoken_letters("m1", "pt")


def test_codes_and_numbers_are_checked():
    assert split_code("IN012") == ("IN", 12)
    for bad in ("a12", "ABC1", "A", "12", "A123456"):
        with pytest.raises(ValueError):
            split_code(bad)
    with pytest.raises(ValueError):
        spoken_number(-1, "pt")
    assert speak_numbers_in("Sala 2, piso 10", "pt") == "Sala dois, piso dez"


def test_speech_is_synthesised_once_then_read_from_the_cache(tmp_path):
    cache = SpeechCache(tmp_path / "speech")
    phrase = call_phrase("A001", 1, {"pt": "Balcão 1"}, "pt")
    first = cache.wav(phrase)
    stamp = first.stat().st_mtime_ns
    assert cache.synthesised == 1
    again = SpeechCache(tmp_path / "speech").wav(phrase)  # another process, same disk
    assert again == first and again.stat().st_mtime_ns == stamp
    with wave.open(str(first)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        seconds = w.getnframes() / w.getframerate()
    assert 1.0 < seconds < 4.0
    # a different voice for the language is a different file
    other = SpeechCache(tmp_path / "speech", voices={"pt": "pt-br"}).path_for(phrase)
    assert other != first


def test_the_chime_is_written_once(tmp_path):
    path = chime_wav(tmp_path)
    with wave.open(str(path)) as w:
        assert 1.0 < w.getnframes() / w.getframerate() < 2.0
    assert chime_wav(tmp_path) == path


def test_a_missing_synthesiser_is_a_clear_error(tmp_path):
    from display.announce.speech import SpeechError
    cache = SpeechCache(tmp_path, binary="no-such-espeak")
    with pytest.raises(SpeechError, match="install the Debian package espeak-ng"):
        cache.wav(call_phrase("A001", 1, None, "pt"))
    assert not any(tmp_path.rglob("*.wav"))
