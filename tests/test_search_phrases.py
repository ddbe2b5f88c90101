"""/search ranks the stories holding a query of several words as a phrase (its words near one
another) above those holding them scattered, on SQLite (FTS5 NEAR) and PostgreSQL (tsquery <N>),
while the stories found and `total` stay those having every word anywhere: «مجلس الأمن» is the
Security Council first, then «المجلس الأعلى للأمن القومي».

In each test the scattered stories are the newer ones, so that without the phrase boost they rank
first (recency and an equal title boost)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db.database import Database
from bot.search.service import PHRASE_COMBINATIONS, near_expression, phrase_tsquery, search
from tests.test_search_quality import any_db, store

__all__ = ["any_db"]  # the fixture, on SQLite and (with a server) PostgreSQL

SCATTERED = [
    (
        "المجلس البلدي في المدينة القديمة يناقش خطة جديدة تعزز الأمن",
        "في جلسة مطولة ناقش المجلس البلدي في المدينة القديمة خطة جديدة لتعزيز الأمن في الأحياء.",
    ),
    (
        "المجلس الوطني الكردي يطالب طهران وأنقرة بضمانات حول الأمن",
        "في بيان صدر أمس طالب المجلس الوطني الكردي طهران وأنقرة بضمانات مكتوبة حول الأمن في المنطقة.",
    ),
]
PHRASE = [
    ("مجلس الأمن يصوت على قرار بشأن اليمن", "صوت مجلس الأمن الدولي على قرار جديد بشأن الحرب في اليمن."),
    ("روسيا تدعو مجلس الأمن إلى اجتماع طارئ", "دعت روسيا إلى اجتماع طارئ لمجلس الأمن بعد الضربة."),
]
ONE_WORD = [("الأمن يعتقل مشتبها به", "اعتقلت قوات الأمن مشتبها به في العاصمة.")]


async def _stories(db: Database) -> None:
    await store(db, *SCATTERED, *ONE_WORD)
    await store(db, *PHRASE, age=timedelta(days=2))


async def test_the_phrase_ranks_above_the_scattered_words_and_the_same_stories_match(
    any_db: Database,
) -> None:
    await _stories(any_db)
    page = await search(any_db, "مجلس الأمن", limit=10)
    assert {h.title for h in page.hits[:2]} == {t for t, _ in PHRASE}
    # The bag of words still decides what matches: the scattered stories too, not the one word alone.
    assert {h.title for h in page.hits} == {t for t, _ in PHRASE + SCATTERED}
    assert page.total == 4 and not page.relaxed


async def test_an_english_name_of_two_words_ranks_its_phrase_first(any_db: Database) -> None:
    await _stories(any_db)
    page = await search(any_db, "Security Council", limit=10)
    assert {h.title for h in page.hits[:2]} == {t for t, _ in PHRASE}
    assert page.total == 4


async def test_a_word_of_several_readings_and_a_word_between(any_db: Database) -> None:
    # الأوروبي is two terms (اوروبي, اوروب): the phrase is an OR of both; «الاتحاد النقدي الأوروبي»
    # has one word between, as a followed keyword allows.
    await store(
        any_db,
        (
            "الاتحاد الأفريقي يرحب في أديس أبابا بزيارة وفد برلماني أوروبي",
            "رحب الاتحاد الأفريقي في أديس أبابا بزيارة وفد برلماني أوروبي رفيع.",
        ),
        (
            "اتحاد الكرة يعاقب ناديا عريقا بسبب شغب مشجعين أوروبيين",
            "عاقب اتحاد الكرة ناديا عريقا بسبب شغب مشجعين أوروبيين في الملعب.",
        ),
    )
    await store(
        any_db,
        ("قمة الاتحاد الأوروبي تبحث الهجرة", "بحث قادة الاتحاد الأوروبي في بروكسل ملف الهجرة واللجوء."),
        ("وزراء الاتحاد النقدي الأوروبي يجتمعون", "اجتمع وزراء الاتحاد النقدي الأوروبي لبحث الديون."),
        age=timedelta(days=2),
    )
    page = await search(any_db, "الاتحاد الأوروبي", limit=10)
    assert {h.title for h in page.hits[:2]} == {
        "قمة الاتحاد الأوروبي تبحث الهجرة",
        "وزراء الاتحاد النقدي الأوروبي يجتمعون",
    }
    assert page.total == 4


async def test_three_words_in_a_phrase(any_db: Database) -> None:
    await store(
        any_db,
        (
            "منظمة إغاثية دولية تحذر من تراجع خدمات الصحة في المدن الكبرى حول العالم",
            "حذرت منظمة إغاثية دولية من تراجع خدمات الصحة في المدن الكبرى حول العالم.",
        ),
    )
    await store(
        any_db,
        ("منظمة الصحة العالمية تحذر من الكوليرا", "حذرت منظمة الصحة العالمية من انتشار الكوليرا في اليمن."),
        age=timedelta(days=2),
    )
    page = await search(any_db, "منظمة الصحة العالمية", limit=10)
    assert [h.title for h in page.hits] == [
        "منظمة الصحة العالمية تحذر من الكوليرا",
        "منظمة إغاثية دولية تحذر من تراجع خدمات الصحة في المدن الكبرى حول العالم",
    ]


async def test_or_and_excluded_words_keep_their_stories_and_rank_the_phrase_first(any_db: Database) -> None:
    await _stories(any_db)
    await store(any_db, ("طهران ترد على العقوبات", "ردت طهران على العقوبات الجديدة."), age=timedelta(days=3))
    either = await search(any_db, "مجلس الأمن أو طهران", limit=10)
    ranks = {h.title: n for n, h in enumerate(either.hits)}
    # The phrase above the scattered words (the second scattered story also says طهران, the
    # other branch, and may rank anywhere).
    assert max(ranks[t] for t, _ in PHRASE) < ranks[SCATTERED[0][0]]
    assert either.total == 5  # the four of مجلس الأمن, and طهران's story
    without = await search(any_db, "مجلس الأمن -اليمن", limit=10)
    assert [h.title for h in without.hits] == [PHRASE[1][0], *(t for t, _ in SCATTERED)]
    assert without.total == 3


async def test_relaxed_and_single_word_searches_still_work(any_db: Database) -> None:
    await _stories(any_db)
    relaxed = await search(any_db, "مجلس الأمن المريخ", limit=10)
    assert relaxed.relaxed and relaxed.total == 5
    single = await search(any_db, "الأمن", limit=10)
    assert not single.relaxed and single.total == 5


def test_the_phrase_expressions() -> None:
    # Each word is indexed as all its terms one after another: the window allows two a word.
    assert near_expression([[("مجلس",), ("امن",)]]) == 'NEAR("مجلس" "امن", 4)'
    assert near_expression([[("اتحاد",), ("اوروبي", "اوروب")], [("طهران",)]]) == (
        'NEAR("اتحاد" "اوروبي", 4) OR NEAR("اتحاد" "اوروب", 4)'
    )
    assert near_expression([[("روسي",)], [("طهران",)]]) is None
    many = [tuple(f"w{i}{j}" for j in range(3)) for i in range(4)]  # 81 combinations
    assert near_expression([many]).count("NEAR(") == PHRASE_COMBINATIONS  # type: ignore[union-attr]
    assert phrase_tsquery([[("روسي",)]]) is None
    assert "('مجلس':B) <1> ('امن':B)" in (phrase_tsquery([[("مجلس",), ("امن",)]]) or "")


@pytest.mark.parametrize("query", ["مجلس الأمن", "Security Council"])
async def test_the_like_fallback_is_unchanged(any_db: Database, query: str) -> None:
    # Other databases keep the portable ranking (no phrase operator there); nothing breaks.
    await _stories(any_db)
    page = await search(any_db, query, limit=10, fts=False)
    assert page.total == 4
