"""Characters that show nothing (a CMS's soft hyphen, a Persian keyboard's zero-width non-joiner,
direction marks) inside a word: the word is still the word for /follow and /search.

A title reaches the index as the feed wrote it (only bodies went through the cleaner that drops
them), so «الحكو&shy;مة» was two halves and neither a follower of «الحكومة» nor /search found it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db.database import Database
from bot.db.models import Story
from bot.search.models import SearchDoc
from summarizer.normalize import tokens
from tests.test_follow_matching import follows, upgrade_all_but
from tests.test_search_quality import any_db, store, titles

__all__ = ["any_db"]  # the fixture, on SQLite and (with a server) PostgreSQL

SOFT_HYPHEN = "الحكو\u00adمة تعلن خطة للإسكان"
ZWNJ = "البر\u200cلمان يقر الميزانية"
MARKED = "\u200fسوريا\u200e: هدنة جديدة"


@pytest.mark.parametrize(
    ("written", "word"),
    [
        ("الحكو\u00adمة", "الحكومة"),
        ("البر\u200cلمان", "البرلمان"),
        ("المو\u200dازنة", "الموازنة"),
        ("\ufeffغزة", "غزة"),
        ("\u200fسوريا\u200e", "سوريا"),
        ("\u2067القدس\u2069", "القدس"),
    ],
)
def test_an_invisible_character_inside_a_word_leaves_it_one_word(written: str, word: str) -> None:
    assert tokens(written) == tokens(word)


@pytest.mark.parametrize(
    ("keyword", "title"), [("الحكومة", SOFT_HYPHEN), ("البرلمان", ZWNJ), ("سوريا", MARKED)]
)
def test_a_follower_gets_a_story_whose_title_hides_a_mark_in_the_word(keyword: str, title: str) -> None:
    assert follows(keyword, title, "نص الخبر بلا الكلمة.")


async def test_search_finds_the_word_in_such_a_title(any_db: Database) -> None:
    await store(any_db, (SOFT_HYPHEN, "قالت مصادر رسمية إن الخطة تشمل ألف وحدة."), (ZWNJ, "صوت النواب أمس."))
    assert await titles(any_db, "الحكومة") == [SOFT_HYPHEN]
    assert await titles(any_db, "البرلمان") == [ZWNJ]


async def test_upgrading_re_indexes_the_stories_that_hold_one(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade_all_but(database, "search_0011")
        async with database.write() as session:
            story = Story(entry_key="k", title=SOFT_HYPHEN, source="old feed", text="نص.", summary=["نص."])
            plain = Story(
                entry_key="p", title="الحكومة تجتمع", source="old feed", text="نص.", summary=["نص."]
            )
            session.add_all([story, plain])
            await session.flush()
            # What the analyzer before search_0011 stored: the title's word in two halves.
            session.add(SearchDoc(rowid=story.id, title_terms="حكو مه تعلن خطه اسكان", body_terms="نص"))
            session.add(SearchDoc(rowid=plain.id, title_terms="حكوم تجتمع", body_terms="نص"))
        assert await titles(database, "الحكومة") == ["الحكومة تجتمع"]
        await database.migrate()
        assert sorted(await titles(database, "الحكومة")) == sorted([SOFT_HYPHEN, "الحكومة تجتمع"])
    finally:
        await database.close()
