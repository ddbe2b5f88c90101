"""Keyword search over stored stories: what a user finds, in what order, and what never breaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import Feed, Story
from bot.search.analyzer import parse_query
from bot.search.index import index_missing, index_stories, index_story, reindex_all
from bot.search.models import SearchDoc
from bot.search.service import recent, search
from bot.search.snippets import highlight

FIXTURE = Path(__file__).parent / "fixtures" / "search" / "stories.jsonl"


def fixture_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]


async def load_stories(db: Database, records: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Store the fixture stories the way the feed poller does (index_story in the same session).

    Returns ANT id -> story id.
    """
    ids: dict[str, int] = {}
    async with db.write() as session:
        for rec in records or fixture_records():
            story = Story(
                entry_key=rec["id"],
                url=rec["url"],
                title=rec["title"],
                source=rec["source"],
                published_at=parsedate_to_datetime(rec["time"]).astimezone(UTC),
                text=rec["text"],
                summary=[rec["abstract"]] if rec.get("abstract") else [],
                feed_id=rec.get("feed_id"),
            )
            session.add(story)
            await session.flush()
            index_story(session, story)
            ids[rec["id"]] = story.id
    return ids


def short(ant_id: str) -> str:
    return ant_id.split("-")[0] + "-" + ant_id.split("-")[2]


@pytest.fixture
async def stories(db: Database) -> dict[str, int]:
    return await load_stories(db)


async def found(db: Database, query: str, **kwargs: Any) -> set[int]:
    page = await search(db, query, limit=50, **kwargs)
    assert page.error is None, page
    assert page.total == len(page.hits)
    return {h.story_id for h in page.hits}


REFUGEES = {
    "AL-internationalNews-1245-20180519",  # اللاجئين
    "AL-internationalNews-1737-20180622",  # اللاجئين السوريين
    "AL-internationalNews-1677-20180618",  # "اللاجئون"
    "BB-middleEast-301-20180407",  # اللاجئون السوريون
    "FR-internationalNews-2407-20180720",  # لاجئ سوري
    "CN-internationalNews-34-20180225",  # طفل لاجئ
    "FR-internationalNews-1179-20180510",  # اللاجئون العراقيون
}
SYRIA = {
    "AL-internationalNews-1737-20180622",
    "BB-middleEast-301-20180407",
    "FR-internationalNews-2407-20180720",
    "AL-culture-28-20180209",  # السورية in the title
    "AL-internationalNews-11-20180218",
    "AL-internationalNews-1117-20180511",
}
SURAS_AND_WALLS = {
    "FR-internationalNews-879-20180423",  # سور من القرآن
    "SK-internationalNews-1124-20180424",
    "AL-culture-263-20180415",  # سور الصين العظيم
}


@pytest.mark.parametrize("query", ["اللاجئين", "لاجئ", "اللاجئون", "للاجئين", "لاجئين"])
async def test_every_refugee_spelling_finds_every_refugee_story(
    db: Database, stories: dict[str, int], query: str
) -> None:
    assert await found(db, query) == {stories[i] for i in REFUGEES}


@pytest.mark.parametrize("query", ["سوريا", "السورية", "سورية", "السوريين"])
async def test_syria_finds_syrian_stories_but_not_suras_or_walls(
    db: Database, stories: dict[str, int], query: str
) -> None:
    assert await found(db, query) == {stories[i] for i in SYRIA}


async def test_sura_does_not_find_syria(db: Database, stories: dict[str, int]) -> None:
    assert await found(db, "سور") == {stories[i] for i in SURAS_AND_WALLS}


async def test_all_words_must_match(db: Database, stories: dict[str, int]) -> None:
    page = await search(db, "اللاجئين سوريا", limit=50)
    assert {h.story_id for h in page.hits} == {stories[i] for i in REFUGEES & SYRIA}
    assert not page.relaxed


async def test_no_story_with_every_word_relaxes_to_any_word(db: Database, stories: dict[str, int]) -> None:
    page = await search(db, "اللاجئين الهلال", limit=50)
    assert page.relaxed
    ids = {h.story_id for h in page.hits}
    assert stories["AL-sport-1108-20180405"] in ids
    assert {stories[i] for i in REFUGEES} <= ids


async def test_title_matches_rank_first(db: Database, stories: dict[str, int]) -> None:
    page = await search(db, "لبنان", limit=50)
    in_title = [h for h in page.hits if "لبنان" in h.title]
    assert len(in_title) >= 2
    assert {h.story_id for h in page.hits[: len(in_title)]} == {h.story_id for h in in_title}


async def test_recent_story_ranks_above_an_equal_old_one(db: Database) -> None:
    now = utcnow()
    records = [
        {
            "id": f"old-{i}",
            "url": f"https://example.com/{i}",
            "title": "اللاجئون في المخيمات",
            "source": "test",
            "time": "",
            "text": "عاد اللاجئون إلى المخيمات بعد العاصفة.",
        }
        for i in range(2)
    ]
    async with db.write() as session:
        for rec, when in zip(records, [now - timedelta(days=60), now - timedelta(hours=1)], strict=True):
            story = Story(
                entry_key=rec["id"],
                url=rec["url"],
                title=rec["title"],
                source="test",
                published_at=when,
                text=rec["text"],
            )
            session.add(story)
            index_story(session, story)  # before flush: the relationship fills in the id
    page = await search(db, "لاجئ")
    assert [h.url for h in page.hits] == ["https://example.com/1", "https://example.com/0"]
    assert page.hits[0].score > page.hits[1].score


async def test_snippets_bold_the_matched_words_and_escape_the_rest(db: Database) -> None:
    async with db.write() as session:
        story = Story(
            entry_key="x",
            title="خبر",
            source="test",
            text="مقدمة بلا صلة. قال <مسؤول> إن عودة اللاجئين & النازحين بدأت. خاتمة.",
        )
        session.add(story)
        index_story(session, story)
    [hit] = (await search(db, "لاجئ")).hits
    assert hit.snippet_html == "قال &lt;مسؤول&gt; إن عودة <b>اللاجئين</b> &amp; النازحين بدأت."


async def test_snippet_keeps_diacritics_and_bolds_every_variant(db: Database) -> None:
    async with db.write() as session:
        story = Story(
            entry_key="x", title="خبر", source="test", text="وصلت الحكومةُ السّورية إلى اتفاق مع سوريا الجديدة"
        )
        session.add(story)
        index_story(session, story)
    [hit] = (await search(db, "سوريا")).hits
    assert hit.snippet_html == "وصلت الحكومةُ <b>السّورية</b> إلى اتفاق مع <b>سوريا</b> الجديدة"


async def test_long_sentence_snippet_is_cut_around_the_match(db: Database) -> None:
    filler = " ".join(["كلام"] * 200)
    async with db.write() as session:
        story = Story(entry_key="x", title="خبر", source="test", text=f"{filler} اللاجئين {filler}")
        session.add(story)
        index_story(session, story)
    [hit] = (await search(db, "لاجئ")).hits
    assert "<b>اللاجئين</b>" in hit.snippet_html
    assert hit.snippet_html.startswith("… ") and hit.snippet_html.endswith(" …")
    assert len(hit.snippet_html) < 300


async def test_source_filter(db: Database, stories: dict[str, int]) -> None:
    assert await found(db, "سوريا", source="BBC") == {stories["BB-middleEast-301-20180407"]}
    assert await found(db, "سوريا", source="bbc") == {stories["BB-middleEast-301-20180407"]}
    assert await found(db, "سوريا", source="nowhere") == set()


async def test_time_window(db: Database, stories: dict[str, int]) -> None:
    since = datetime(2018, 6, 1, tzinfo=UTC)
    expected = {
        stories[i]
        for i in SYRIA
        if datetime.strptime(i.rsplit("-", 1)[1], "%Y%m%d").replace(tzinfo=UTC) >= since
    }
    assert expected and expected != {stories[i] for i in SYRIA}
    assert await found(db, "سوريا", since=since) == expected
    assert await found(db, "سوريا", since=since, fts=False) == expected


async def test_recent_lists_newest_first_with_filters(db: Database, stories: dict[str, int]) -> None:
    page = await recent(db, limit=50)
    assert page.total == len(stories) and len(page.hits) == len(stories)
    times = [h.published_at for h in page.hits]
    assert times == sorted(times, reverse=True)
    assert all(h.snippet_html and "<b>" not in h.snippet_html for h in page.hits)
    bbc = await recent(db, source="BBC", since=datetime(2018, 4, 1, tzinfo=UTC))
    assert {h.source for h in bbc.hits} == {"BBC"} and bbc.total == len(bbc.hits) >= 1


async def test_feed_filter(db: Database) -> None:
    async with db.write() as session:
        feeds = [Feed(url=f"https://example.com/{n}.xml", name=n) for n in ("a", "b")]
        session.add_all(feeds)
        await session.flush()
        feed_ids = [f.id for f in feeds]
    records = fixture_records()[:4]
    for n, rec in enumerate(records):
        rec["feed_id"] = feed_ids[n % 2]
    ids = await load_stories(db, records)
    got = await found(db, "لاجئ", feed_ids=[feed_ids[0]])
    assert got == {ids[records[0]["id"]], ids[records[2]["id"]]}
    assert await found(db, "لاجئ", feed_ids=[]) == set()


async def test_duplicates_are_not_listed_twice(db: Database, stories: dict[str, int]) -> None:
    original = stories["AL-internationalNews-1036-20180507"]
    async with db.write() as session:
        copy = Story(
            entry_key="copy",
            title="لبنان.. نتائج الانتخابات تعلن اليوم",
            source="other",
            duplicate_of=original,
            text="نتائج الانتخابات في لبنان",
        )
        session.add(copy)
        await session.flush()
        index_story(session, copy)
    ids = await found(db, "الانتخابات لبنان")
    assert original in ids and copy.id not in ids
    # A story marked a duplicate later leaves the index when re-indexed.
    later = stories["AL-economy-610-20180517"]
    async with db.write() as session:
        (await session.get(Story, later)).duplicate_of = original  # type: ignore[union-attr]
    await index_stories(db, [later])
    assert later not in await found(db, "الانتخابات لبنان")


async def test_pages_do_not_overlap(db: Database, stories: dict[str, int]) -> None:
    pages = [await search(db, "لاجئ", limit=3, offset=o) for o in (0, 3, 6)]
    ids = [h.story_id for p in pages for h in p.hits]
    assert len(ids) == len(set(ids)) == len(REFUGEES)
    assert all(p.total == len(REFUGEES) for p in pages)
    assert pages[0].has_more and not pages[2].has_more
    # Past the end: an empty page, not a relaxed search.
    past = await search(db, "اللاجئين سوريا", offset=40)
    assert past.hits == [] and not past.relaxed


HOSTILE = [
    '"',
    '""',
    '"سوريا',
    "سوريا*",
    "*",
    "NEAR(سوريا لبنان)",
    "سوريا AND OR NOT",
    "AND",
    "^سوريا",
    "title_terms:سوريا",
    "body_terms : سوريا",
    "(سوريا",
    ")",
    "سوريا)",
    "'; DROP TABLE stories; --",
    "سوريا " * 200,
    "س" * 1000,
    "🇸🇾 سوريا 🔥",
    "🔥🔥🔥",
    "The Voice",
    "",
    "   ",
    "في من على",
    "\x00سوريا\x00",
    "{سوريا}",
    "-سوريا +لبنان",
    "سوريا" + "\u200f\u200e",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_never_break(db: Database, stories: dict[str, int], query: str) -> None:
    page = await search(db, query)
    if page.error:
        assert page.error == "empty" and page.hits == []
    else:
        assert page.query_terms
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Story)) == len(stories)


@pytest.mark.parametrize("query", ["", "   ", "🔥🔥🔥", "في من على", "*", '"', "AND"])
async def test_queries_with_no_words_say_so(db: Database, stories: dict[str, int], query: str) -> None:
    page = await search(db, query)
    assert page.error == "empty" or (page.query_terms and page.total == 0)


@pytest.mark.parametrize("query", ['"سوريا', "سوريا*", "^سوريا", "(سوريا", "🇸🇾 سوريا 🔥", "سوريا " * 200])
async def test_syntax_around_a_word_still_finds_it(db: Database, stories: dict[str, int], query: str) -> None:
    assert await found(db, query) == {stories[i] for i in SYRIA}


async def test_latin_words_are_searchable(db: Database, stories: dict[str, int]) -> None:
    assert await found(db, "the VOICE") == {stories["AL-culture-28-20180209"]}


async def test_empty_database(db: Database) -> None:
    page = await search(db, "سوريا")
    assert page.hits == [] and page.total == 0 and page.error is None


async def test_deleting_a_story_removes_it_from_the_index(db: Database, stories: dict[str, int]) -> None:
    gone = stories["AL-internationalNews-11-20180218"]
    async with db.write() as session:
        await session.execute(delete(Story).where(Story.id == gone))
    assert gone not in await found(db, "سوريا")
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SearchDoc)) == len(stories) - 1


async def test_rolled_back_poll_leaves_no_index_row(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            story = Story(entry_key="x", title="اللاجئون", source="test")
            session.add(story)
            await session.flush()
            index_story(session, story)
            await session.flush()
            raise RuntimeError("poll failed")
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(SearchDoc)) == 0


async def test_index_story_can_be_awaited(db: Database) -> None:
    async with db.write() as session:
        story = Story(entry_key="x", title="اللاجئون", source="test")
        session.add(story)
        await session.flush()
        await index_story(session, story)
    assert len((await search(db, "لاجئ")).hits) == 1


async def test_reindex_all_and_index_missing_repair_the_index(db: Database, stories: dict[str, int]) -> None:
    async with db.write() as session:
        await session.execute(text("DELETE FROM search_fts"))
    assert await found(db, "سوريا") == set()
    assert await index_missing(db) == len(stories)
    assert await index_missing(db) == 0
    assert await found(db, "سوريا") == {stories[i] for i in SYRIA}
    assert await reindex_all(db) == len(stories)
    assert await found(db, "سوريا") == {stories[i] for i in SYRIA}


async def test_index_stories_picks_up_an_edited_story(db: Database, stories: dict[str, int]) -> None:
    sid = stories["AL-sport-1108-20180405"]
    async with db.write() as session:
        (await session.get(Story, sid)).title = "اللاجئون يشجعون الهلال"  # type: ignore[union-attr]
    assert sid not in await found(db, "لاجئ")
    await index_stories(db, [sid])
    assert sid in await found(db, "لاجئ")


@pytest.mark.parametrize("query", ["اللاجئين", "سوريا", "سور", "اللاجئين سوريا", "The Voice"])
async def test_like_fallback_finds_the_same_stories(
    db: Database, stories: dict[str, int], query: str
) -> None:
    fts = await search(db, query, limit=50)
    like = await search(db, query, limit=50, fts=False)
    assert {h.story_id for h in like.hits} == {h.story_id for h in fts.hits}
    assert like.total == fts.total


async def test_upgrading_an_existing_database_indexes_its_stories(tmp_path: Path) -> None:
    from bot.db.migrate import upgrade

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade(database.engine, "0001")  # a database from before search existed
        async with database.write() as session:
            session.add(Story(entry_key="old", title="عودة اللاجئين", source="old feed", text="نص"))
        await database.migrate()
        page = await search(database, "لاجئ")
        assert [h.title for h in page.hits] == ["عودة اللاجئين"]
    finally:
        await database.close()


async def ali_found_after_upgrading(database: Database) -> list[str]:
    """A story about «علي» indexed by the release before the analyzer told «علي» from «على» (its
    terms lack the name), then the upgrade: what a search for the name finds."""
    from bot.db.migrate import upgrade

    await upgrade(database.engine, "search_0004")
    async with database.write() as session:
        story = Story(
            entry_key="ali",
            title="وصول علي خامنئي إلى طهران",
            source="old feed",
            text="وصل المرشد علي خامنئي على متن طائرة.",
            summary=["وصل المرشد علي خامنئي على متن طائرة."],
        )
        session.add(story)
        await session.flush()
        # What the older analyzer stored: «علي» dropped with «على».
        session.add(
            SearchDoc(rowid=story.id, title_terms="وصول خامنئي طهران", body_terms="وصل مرشد خامنئي متن طائر")
        )
    assert (await search(database, "علي")).hits == []  # as it was
    await database.migrate()
    return [h.title for h in (await search(database, "علي")).hits]


async def test_upgrading_makes_the_name_ali_searchable_in_stories_indexed_before(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        assert await ali_found_after_upgrading(database) == ["وصول علي خامنئي إلى طهران"]
    finally:
        await database.close()


async def test_a_search_for_ali_finds_him_and_not_every_story_that_says_on(db: Database) -> None:
    async with db.write() as session:
        for key, title in (
            ("a", "علي عبدالله صالح يلتقي وفدا قبليا"),
            ("b", "هجوم على قافلة في الصحراء"),
            ("c", "وعلي خامنئي يستقبل الرئيس"),
        ):
            story = Story(entry_key=key, title=title, source="test", text=title)
            session.add(story)
            index_story(session, story)
    assert sorted(h.title for h in (await search(db, "علي")).hits) == [
        "علي عبدالله صالح يلتقي وفدا قبليا",
        "وعلي خامنئي يستقبل الرئيس",
    ]
    assert (await search(db, "على")).hits == []  # the preposition is still no search word


@pytest.mark.parametrize(
    ("query", "sentence", "bold"),
    [
        ("F-16", "لإنتاج مقاتلات إف 16 بلوك 70 في الهند", "إف 16"),
        ("F-16", "طائرات إف-16 الأمريكية", "إف-16"),
        ("S-400", "منظومة (إس-400) الروسية", "إس-400"),
        ("كوفيد-19", "جائحة كوفيد-19 انتشرت", "كوفيد-19"),
        ("1.2 مليون", "بلغ العدد 1.2 مليون شخص", "1.2"),
    ],
)
def test_a_name_with_its_number_and_a_decimal_are_bolded_whole(query: str, sentence: str, bold: str) -> None:
    """Found searching a real archive: /search F-16 found 53 stories and bolded nothing in them,
    the term (اف16) being written as two words in the text."""
    terms = {term for group in parse_query(query).groups for term in group}
    assert f"<b>{bold}</b>" in highlight(sentence, terms)


async def test_a_company_named_in_english_finds_the_stories_that_write_it_in_arabic(db: Database) -> None:
    """Found searching a real archive: Facebook found 8 stories, فيسبوك 790; Apple 16, أبل 263."""
    ids = await load_stories(
        db,
        [
            {
                "id": "QA-brand-1",
                "url": "https://example.org/fb",
                "title": "فيسبوك تغلق آلاف الحسابات المزيفة",
                "source": "سكاي نيوز عربية",
                "time": "Mon, 05 Mar 2018 10:00:00 +0000",
                "text": "أعلنت شركة فيسبوك إغلاق آلاف الحسابات. وقالت أبل إنها ستطلق هاتف آيفون جديدا.",
            }
        ],
    )
    for query in ("Facebook", "apple", "iPhone"):
        assert {h.story_id for h in (await search(db, query)).hits} == {ids["QA-brand-1"]}, query
