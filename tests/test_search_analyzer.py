"""The Arabic analyzer: which written forms a query finds, and which it must not."""

from __future__ import annotations

import pytest

from bot.search.analyzer import (
    MAX_QUERY_GROUPS,
    index_terms,
    matches,
    query_groups,
    query_terms,
    term_positions,
)


def finds(query: str, word: str) -> bool:
    return matches(term_positions(word), query)


# (query, words a story may contain that the query MUST find)
MUST_FIND = [
    ("اللاجئين", ["لاجئ", "اللاجئون", "للاجئين", "واللاجئين", "لاجئين", "اللاجئ"]),
    ("لاجئ", ["اللاجئين", "للاجئين", "لاجئون"]),
    ("سوريا", ["السورية", "السوريين", "السوريون", "سورية", "سوري", "وسوريا", "بسوريا", "لسوريا"]),
    ("السورية", ["سوريا", "السوري"]),
    ("الانتخابات", ["انتخاب", "الانتخاب", "والانتخابات", "للانتخابات"]),
    ("إيران", ["الإيرانية", "إيراني", "الإيرانيين", "وإيران"]),
    ("لبنان", ["اللبناني", "للبنان", "لبنانية"]),
    ("فلسطين", ["الفلسطينيين", "الفلسطينية"]),
    ("الحكومة", ["حكومات", "والحكومة", "الحكومات", "حكومة"]),
    ("وزير", ["الوزير", "والوزير", "ووزير"]),
    ("رئيس", ["رئيسها", "الرئيس", "والرئيس"]),
    ("أمريكا", ["امريكا", "أمْرِيكا"]),  # hamza forms and diacritics fold
    ("مستشفى", ["المستشفى", "مستشفي"]),
    ("Trump", ["trump", "TRUMP"]),
    ("وبسوريا", ["سوريا", "السورية"]),
    ("وموقف", ["موقف", "الموقف"]),
    ("2018", ["٢٠١٨"]),
]

# (query, words the query must NOT find)
MUST_NOT_FIND = [
    ("سوريا", ["سور", "أسوار", "السور"]),
    ("سور", ["سوريا", "السورية", "السوريين"]),
    ("لبنان", ["لبن", "اللبن"]),
    ("قانون", ["قان"]),
    ("ورد", ["رد", "الرد"]),
    ("وزير", ["زير"]),
    ("مليون", ["ملي"]),
    ("عشرين", ["عشر"]),
    ("لاجئ", ["جئ"]),
]


@pytest.mark.parametrize(("query", "words"), MUST_FIND)
def test_query_finds_its_variants(query: str, words: list[str]) -> None:
    missed = [w for w in words if not finds(query, w)]
    assert not missed, f"{query!r} should find {missed}"


@pytest.mark.parametrize(("query", "words"), MUST_NOT_FIND)
def test_query_does_not_find_other_words(query: str, words: list[str]) -> None:
    wrong = [w for w in words if finds(query, w)]
    assert not wrong, f"{query!r} must not find {wrong}"


def test_multi_word_keyword_needs_every_word() -> None:
    text = term_positions("عودة اللاجئين السوريين من لبنان")
    assert matches(text, "لاجئ سوريا")
    assert not matches(text, "لاجئ العراق")


def test_stop_words_and_noise_are_not_terms() -> None:
    assert index_terms("في من على إلى التي") == []
    assert query_terms("في 😀 !!") == []
    assert not matches(term_positions("في سوريا"), "في")


@pytest.mark.parametrize(
    "query",
    ['"', '"سوريا', "سوريا*", "NEAR(a b)", "AND OR NOT", "^سوريا", "title:سوريا", "(سوريا", "'; DROP"],
)
def test_operators_are_not_terms(query: str) -> None:
    for term in query_terms(query):
        assert term.isalnum(), term


def test_long_query_is_capped() -> None:
    words = [f"كلمة{i}" for i in range(300)]
    groups = query_groups(" ".join(words) * 5)
    assert len(groups) == MAX_QUERY_GROUPS


def test_index_terms_keep_text_order() -> None:
    terms = index_terms("الرئيس السوري يزور لبنان")
    assert terms.index("رءيس") < terms.index("سوري") < terms.index("لبنان")
