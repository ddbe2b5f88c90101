"""Normalisation for comparison (never display), stemming and stop words as the ranker sees them."""

from __future__ import annotations

import pytest

from summarizer import summarize
from summarizer.normalize import normalize, strip_diacritics, tokens
from summarizer.rank import terms
from summarizer.stemming import get_stemmer, light_stem
from summarizer.stopwords import stop_words


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("مُحَمَّدٌ", "محمد"),  # diacritics
        ("الـــعـــربية", "العربية"),  # tatweel
        ("أحمد إبراهيم آمال ٱلله", "احمد ابراهيم امال الله"),  # alef forms
        ("مستشفى", "مستشفي"),  # ى / ي
        ("مدرسة", "مدرسه"),  # ة / ه
        ("٢٠١٨ ۲۰۱۸", "2018 2018"),  # Arabic-Indic and Persian digits
    ],
)
def test_spelling_variants_compare_equal(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_words_with_diacritics_are_tokens() -> None:
    # sumy's default Arabic tokenizer drops words that carry harakat; ours keeps them.
    assert tokens("وَصَلَ الوَفْدُ إلى دِمَشْقَ") == ["وصل", "الوفد", "الي", "دمشق"]


def test_strip_diacritics_keeps_letters() -> None:
    assert strip_diacritics("كَتَبَ") == "كتب"


@pytest.mark.parametrize(
    ("words", "stem"),
    [
        (["الرئيس", "رئيس", "والرئيس", "بالرئيس"], "رءيس"),
        (["اللاجئين", "اللاجئون", "لاجئ"], "لاجء"),
        (["المدرسة", "مدرسة", "والمدرسة"], "مدرس"),
    ],
)
def test_light_stemmer_merges_inflections(words: list[str], stem: str) -> None:
    assert {light_stem(tokens(w)[0]) for w in words} == {stem}


def test_light_stemmer_keeps_short_words() -> None:
    # و is only a prefix when a real stem is left: وزير and ورد are words of their own.
    assert light_stem("وزير") == "وزير"
    assert light_stem("في") == "في"


@pytest.mark.parametrize("name", ["light", "snowball", "isri", "none"])
def test_every_stemmer_is_available(name: str) -> None:
    stem = get_stemmer(name)
    assert stem("المدرسه")
    assert get_stemmer(name) is stem  # built once, memoised


def test_stop_words_are_normalised() -> None:
    stops = stop_words()
    # The list spells these with hamza/alef maqsura; text written either way is caught.
    for word in ("إلى", "الى", "على", "علي", "أن", "ان"):
        assert normalize(word) in stops


def test_terms_drop_stop_words_and_stem() -> None:
    assert terms("قال الرئيس إن المدرسة في المدينة") == ["رءيس", "مدرس", "مدين"]


def test_display_text_is_never_normalised() -> None:
    text = "أعلنَ الرئيسُ إطلاقَ مبادرةٍ جديدة للتعليم في المدارس الحكومية. ورحّبت النقابة بالمبادرة."
    assert summarize(text, sentences=1) == ["أعلنَ الرئيسُ إطلاقَ مبادرةٍ جديدة للتعليم في المدارس الحكومية."]


def test_token_regexes_agree_with_normalize_tokens() -> None:
    # clean.py and rank.py tokenise text they have already normalised, with their own copy of the
    # token pattern; it must stay the pattern of summarizer.normalize.tokens().
    from summarizer import clean, rank

    text = "قالَ الـرئيس: «سنعمل معاً» في 2018 و٢٠١٩ (UN-Report) — إلى اللقاء!"
    assert clean.NORMALISED_TOKEN.findall(normalize(text)) == tokens(text)
    assert rank._TOKEN.findall(normalize(text)) == tokens(text)
