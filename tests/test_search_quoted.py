"""/search reads a quoted part of the query as a phrase every result holds, by the rule a followed
keyword's phrase is matched with (bot.search.analyzer.matches): «حزب الله» is Hezbollah, not the
Turkish AKP beside «عبد الله غول», and the count is of the stories that hold it. The quote marks
a reader types: " ", « » (either way round), “ ”; an unclosed one runs to the end. Phrases combine
with words, "-word", OR and «أو»; a "-" before the quote leaves the phrase out.

On SQLite (FTS5) and, with a server, PostgreSQL; the stories are short ones written for these tests.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.db.database import Database, open_database
from bot.search import service
from bot.search.render import results_message
from bot.search.service import quoted_phrases, search
from tests.helpers import USER_ID
from tests.test_search_quality import any_db, store

__all__ = ["any_db"]  # the fixture, on SQLite and (with a server) PostgreSQL

HEZBOLLAH = ("حزب الله يرد على العقوبات الأمريكية", "قال حزب الله اللبناني إن العقوبات لن تغير شيئا.")
AKP = (
    "حزب العدالة والتنمية يرشح عبد الله غول",
    "أعلن حزب العدالة والتنمية التركي أن عبد الله غول سيخوض الانتخابات.",
)
JOINED = ("الحزب الحاكم يستقبل عبدالله الثاني", "استقبل الحزب الحاكم في الأردن الملك عبدالله الثاني أمس.")
# The phrase on two lines is no phrase (as for a followed keyword): the title ends with one word and
# the text starts with the other.
TWO_LINES = ("مؤتمر صحفي لرئيس الحزب", "الله وحده يعلم متى تنتهي الأزمة، قال رئيس الحزب للصحفيين.")
AMAL = ("حركة أمل تعلن مرشحيها في الجنوب", "أعلنت حركة أمل أسماء مرشحيها للانتخابات النيابية.")


async def _stories(db: Database) -> None:
    # The stories without the phrase are the newer ones: ranked first were they found at all.
    await store(db, AKP, JOINED, TWO_LINES, AMAL)
    await store(db, HEZBOLLAH, age=timedelta(days=2))


@pytest.mark.parametrize(
    "query", ['"حزب الله"', "«حزب الله»", "»حزب الله«", "“حزب الله”", '"حزب الله', "«حزب الله"]
)
async def test_a_quoted_phrase_finds_only_its_holders(any_db: Database, query: str) -> None:
    await _stories(any_db)
    page = await search(any_db, query, limit=10)
    assert [h.title for h in page.hits] == [HEZBOLLAH[0]]
    assert page.total == 1 and not page.at_least and not page.relaxed and not page.unquoted
    # Unquoted, the words anywhere still find the others.
    assert (await search(any_db, "حزب الله", limit=10)).total == 4


async def test_phrases_combine_with_words_exclusions_and_or(any_db: Database) -> None:
    await _stories(any_db)

    async def found(query: str) -> tuple[set[str], int]:
        # Not relaxed: without a holder, /search would show the words without the quotes.
        page = await search(any_db, query, limit=10, relax=False)
        return {h.title for h in page.hits}, page.total

    assert await found('"حزب الله" العقوبات') == ({HEZBOLLAH[0]}, 1)
    assert await found('"حزب الله" -العقوبات') == (set(), 0)
    assert await found('"حزب الله" أو "حركة أمل"') == ({HEZBOLLAH[0], AMAL[0]}, 2)
    assert await found('"حزب الله" OR الأردن') == ({HEZBOLLAH[0], JOINED[0]}, 2)
    # Left out: the phrase's holders only, not every story with one of its words.
    assert await found('حزب -"حزب الله"') == ({AKP[0], JOINED[0], TWO_LINES[0]}, 3)
    assert await found('حزب NOT "حزب الله"') == ({AKP[0], JOINED[0], TWO_LINES[0]}, 3)
    # Inside quotes «أو» is a word of the phrase (a stop word, as in a followed keyword), not an
    # operator that would accept any story with حزب.
    assert await found('"حزب أو الله"') == ({HEZBOLLAH[0]}, 1)


async def test_a_quoted_half_of_a_joined_name_is_not_the_name(any_db: Database) -> None:
    await store(
        any_db,
        ("مستشفى عبدالرحمن يفتتح جناحا", "افتتح مستشفى عبدالرحمن جناحا جديدا للأطفال."),
        ("فيلق الرحمن ينسحب من الغوطة", "بدأ مقاتلو فيلق الرحمن الانسحاب من الغوطة الشرقية."),
    )
    page = await search(any_db, '"الرحمن"', limit=10)
    assert [h.title for h in page.hits] == ["فيلق الرحمن ينسحب من الغوطة"] and page.total == 1
    # The name written joined is the name written apart.
    joined = await search(any_db, '"عبد الرحمن"', limit=10)
    assert [h.title for h in joined.hits] == ["مستشفى عبدالرحمن يفتتح جناحا"]


async def test_spellings_the_analysis_folds_are_found_inside_quotes(any_db: Database) -> None:
    # The quick test of a story's lines must let through every spelling the analysis reads as the
    # phrase's words: a variant (ترمب), an ending the analysis changes (رياضات → رياضة), a number
    # written with a dash (إف-16).
    await store(
        any_db,
        ("ترمب يلتقي كيم في سنغافورة", "التقى الرئيس الأمريكي دونالد ترمب الزعيم الكوري."),
        ("وزارة الرياضات الشتوية تعلن خطتها", "أعلنت وزارة الرياضات الشتوية خطتها للموسم."),
        ("صفقة طائرات إف-16 جديدة", "وقعت الحكومة صفقة لشراء طائرات إف-16 من واشنطن."),
    )
    for query in ('"دونالد ترامب"', '"وزارة الرياضة"', '"طائرات F-16"'):
        page = await search(any_db, query, limit=10, relax=False)
        assert page.total == 1 and not page.unquoted, query


async def test_no_holder_gives_the_words_without_quotes_and_says_so(any_db: Database) -> None:
    await store(any_db, AKP)
    page = await search(any_db, '"حزب الله"', limit=10)
    assert [h.title for h in page.hits] == [AKP[0]] and page.unquoted and page.total == 1
    message = results_message(page, '"حزب الله"', "ar", "Asia/Riyadh")
    assert "لا يوجد خبر فيه ما بين علامتي التنصيص كما كُتب" in message
    english = results_message(page, '"حزب الله"', "en", "Asia/Riyadh")
    assert "No story has the quoted words together as written" in english
    # Nothing at all: nothing found, no note.
    none = await search(any_db, '"كوكب المريخ"', limit=10)
    assert none.hits == [] and not none.unquoted
    # A question does not relax: the phrase or nothing.
    assert (await search(any_db, '"حزب الله"', relax=False)).hits == []


async def test_the_count_says_at_least_past_the_stories_checked(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store(any_db, HEZBOLLAH, HEZBOLLAH, AKP, HEZBOLLAH)
    monkeypatch.setattr(service, "CHECK_CANDIDATES", 2)
    page = await search(any_db, '"حزب الله"', limit=10)
    # The two most recently stored stories with the words are checked; one holds the phrase.
    assert page.total == 1 and page.at_least and len(page.hits) == 1
    assert "(عدد الأخبار: ١ على الأقل)" in results_message(page, '"حزب الله"', "ar", "UTC")
    assert "(stories found: at least 1)" in results_message(page, '"حزب الله"', "en", "UTC")
    monkeypatch.setattr(service, "CHECK_CANDIDATES", 200)
    page = await search(any_db, '"حزب الله"', limit=2)
    assert page.total == 3 and not page.at_least and page.has_more
    second = await search(any_db, '"حزب الله"', limit=2, offset=2)
    assert len(second.hits) == 1 and not second.has_more


async def test_filters_and_the_portable_fallback(any_db: Database) -> None:
    await _stories(any_db)
    since = service.utcnow() - timedelta(days=1)
    recent = await search(any_db, '"حزب الله"', since=since, relax=False)
    assert recent.hits == [] and recent.total == 0
    assert (await search(any_db, '"حزب الله"', source="other", relax=False)).total == 0
    assert (await search(any_db, '"حزب الله"', source="test")).total == 1
    like = await search(any_db, '"حزب الله" أو "حركة أمل"', limit=10, fts=False)
    assert {h.title for h in like.hits} == {HEZBOLLAH[0], AMAL[0]} and like.total == 2


def test_reading_the_quotes() -> None:
    assert quoted_phrases("حزب الله") is None
    assert quoted_phrases('"في"') is None  # stop words only: nothing asked
    read = quoted_phrases('لبنان "حزب الله" أو -"حركة أمل" إيران')
    assert read is not None
    assert read.plain == "لبنان حزب الله OR إيران"
    assert read.required == (("حزب الله",), ())
    assert read.excluded == ("حركة أمل",)
    # A dash apart from the quote mark is no sign, as «- روسيا» is no "-روسيا".
    apart = quoted_phrases('سوريا - "حزب الله"')
    assert apart is not None and apart.required == (("حزب الله",),) and not apart.excluded


@pytest.fixture
async def stored(tmp_path: Path) -> None:
    """The stories in the database the bot will open (make_config's tmp SQLite)."""
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}")
    try:
        await _stories(db)
    finally:
        await db.close()


async def test_a_reader_searches_a_quoted_phrase(stored: None, bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, '/search "حزب الله"')
        assert (
            "نتائج البحث عن «&quot;حزب الله&quot;» (عدد الأخبار: ١)".replace("&quot;", '"')
            in (reply["plain_text"])
        )
        assert HEZBOLLAH[0] in reply["plain_text"]
        assert all(t not in reply["plain_text"] for t in (AKP[0], JOINED[0], TWO_LINES[0]))
        [arabic] = await fake_telegram.converse(USER_ID, "/search «حزب الله»")
        assert "(عدد الأخبار: ١)" in arabic["plain_text"] and HEZBOLLAH[0] in arabic["plain_text"]


async def test_help_and_the_search_hint_tell_about_quotes(bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        [usage] = await fake_telegram.converse(USER_ID, "/search")
        assert "/search «حزب الله» (العبارة كما كُتبت بين علامتي التنصيص)" in usage["plain_text"]
        [english] = await fake_telegram.converse(USER_ID, "/search", language_code="en")
        assert (
            '/search "Security Council" (the words in quotes, together as written)' in english["plain_text"]
        )
        [help_ar] = await fake_telegram.converse(USER_ID, "/help")
        assert "ضع العبارة بين علامتي تنصيص لتجدها كما كُتبت" in help_ar["plain_text"]


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("ar", "لا خبر فيه العبارة كما كُتبت؛ هذه فيها كلماتها"),
        ("en", "No story has the quoted words together; these have them apart"),
    ],
)
async def test_inline_says_when_no_story_holds_the_quoted_phrase(
    tmp_path: Path, bot_factory: Any, fake_telegram: Any, language: str, note: str
) -> None:
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}")
    try:
        await store(db, AKP)
    finally:
        await db.close()
    async with bot_factory():
        update = await fake_telegram.inline_query('"حزب الله"', language_code=language)
        answer = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"])
        # The AKP story has both words apart: listed, but not as if it held the phrase.
        assert [r["title"] for r in answer["results"]] == [AKP[0]]
        assert answer["button"] == {"text": note, "start_parameter": "search"}
