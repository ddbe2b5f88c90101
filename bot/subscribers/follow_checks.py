"""What /follow tells a reader about the word they just followed, besides that it is followed.

* Several words are a phrase (`is_phrase`): matching wants them near one another
  (bot.search.analyzer.matches), so «ترامب كيم» is not every story naming both somewhere. The reply
  says so, and that each word can be followed on its own.
* Latin words with no Arabic reading (`unread_latin`): "Facebook" or "MBS" in Latin letters is in
  almost no Arabic story (فيسبوك is), so a follow needing it brings little or nothing. The follow is
  kept (a reader may want the few stories that write "iPhone" so), but the reply says why so little
  will come and asks for the Arabic. English names the analyzer reads as Arabic (english.txt:
  Trump → ترامب) are no such words.
* A word in a large share of the news (`flood`): «قال» is in half of all stories. The reply says
  about how many of every 100 stories of the last week had it, and how many a day, when that is
  more than FLOOD_SHARE of them and at least FLOOD_MIN_STORIES stories (a new bot with a few stories
  warns of nothing). Counted through the search index (`bot.search.service.search`, the analysed
  terms the index and routing share), restricted to the week: one FTS5 count.
* A phrase is counted as it will be delivered. The index counts a bag of words (every word anywhere
  in the story), and «قال الرئيس» is in 27 of every 100 ANT stories so, together in 5. So when the
  bag is a flood and the keyword a phrase, its stories are read as routing reads them
  (`matches(story_terms(story), target)`): the most recently stored PHRASE_SAMPLE of them (all,
  when the week has no more), the share of them with the words together scaled to the bag's count.
  Reading them all is no option: a story takes 1 to 3 ms to analyse, and a busy instance (10,000
  stories a day) has 19,000 with both words of «قال الرئيس» in a week (36 s). With 50, the estimate
  of a share is within about 4 points of it (two standard errors when half the sample holds the
  phrase and the bag is 27 of 100); on such a week «الرئيس الأمريكي» came out 11 of 100 (exactly
  10.2), «الولايات المتحدة» 19 (18.7), «قال الرئيس» and «العام الماضي» under the line (5.1, 6.4).
  The newest stories are also those routing has just analysed and still holds (story_terms).
  Single words and bags under the line cost nothing more. Timings (the whole check, single words
  and phrases, the ANT archive and a busy week) are in tests/test_follow_warnings.py's docstring.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, TextClause, bindparam, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.db.models import Story
from bot.delivery.routing import story_terms
from bot.search.analyzer import keyword_groups, matches
from bot.search.models import SearchDoc
from bot.search.service import match_expression, search, tsquery_expression
from bot.subscribers.service import SubscriptionError, keyword_target, stored_keyword

log = logging.getLogger(__name__)

WINDOW = timedelta(days=7)
# A tenth of the news: «قال» (half), «الحكومة» (a fifth), «ترامب» warn; «النفط», «السعودية» (under a
# tenth in ANT) are what their readers follow them for.
FLOOD_SHARE = 0.10
FLOOD_MIN_STORIES = 20  # in the window: about three a day, and no warning from a nearly empty archive
# How many of a flooding bag's stories are read to tell how many hold the phrase (module docstring).
PHRASE_SAMPLE = 50

# A term the analyzer left in Latin letters: no Arabic reading (numbered names such as F-16 get one).
_LATIN = re.compile(r"[a-z]+")


def _unread(group: tuple[str, ...]) -> bool:
    return all(_LATIN.fullmatch(term) for term in group)


def unread_latin(keyword: str) -> list[str]:
    """The words of `keyword`, as typed, that are Latin with no Arabic reading; [] when there are
    none. A word of a longer English name ("Saudi Arabia") is read with the name, as matching reads it."""
    unread = {g for g in keyword_groups(keyword) if _unread(g)}
    if not unread:
        return []
    typed = [w for w in keyword.split() if (groups := keyword_groups(w)) and set(groups) <= unread]
    # A word glued to another by punctuation ("crown,prince") is named by its terms instead.
    return typed or sorted(term for group in unread for term in group)


def is_phrase(keyword: str) -> bool:
    """Whether `keyword` has several words, which matching reads as a phrase."""
    return len(keyword_groups(stored_keyword(keyword))) > 1


@dataclass(frozen=True)
class Flood:
    share: int  # stories with the word, of every 100 in the window
    per_day: int


async def flood(db: Database, keyword: str, now: datetime | None = None) -> Flood | None:
    """How much of the last WINDOW's news `keyword` is in, when that is a flood; None otherwise, and
    when it cannot be told (a keyword stored before today's rules, a database error, a phrase on a
    database with no full-text index to list its stories: the follow itself is done and its
    confirmation must still go out)."""
    now = as_utc(now or utcnow())
    since = now - WINDOW
    try:
        target = keyword_target(keyword)
        stories, oldest = await _window(db, since)
        if stories < FLOOD_MIN_STORIES:
            return None
        matched = (await search(db, target, limit=1, since=since, relax=False)).total
        if _floods(matched, stories) and is_phrase(target):
            together = await _phrase_count(db, target, since, matched)
            if together is None:
                return None
            matched = together
    except SubscriptionError:
        return None
    except SQLAlchemyError:
        log.warning("could not count the stories of keyword %r", keyword, exc_info=True)
        return None
    if not _floods(matched, stories):
        return None
    # An archive younger than the window has fewer days to spread its stories over.
    days = min(max((now - as_utc(oldest)) / timedelta(days=1), 1.0), WINDOW / timedelta(days=1))
    return Flood(share=max(1, round(100 * matched / stories)), per_day=round(matched / days))


def _floods(matched: int, stories: int) -> bool:
    return matched >= FLOOD_MIN_STORIES and matched > FLOOD_SHARE * stories


async def _phrase_count(db: Database, target: str, since: datetime, bag: int) -> int | None:
    """About how many of the `bag` stories since `since` that have every word of the phrase
    `target` have them together, as routing matches them: the share among the most recently stored
    PHRASE_SAMPLE of them, scaled. None on a database with no full-text index to list them."""
    ids = await _recent_with_words(db, target, since)
    if ids is None:
        return None
    if not ids:
        return 0
    async with db.read() as session:
        read = list(await session.scalars(select(Story).where(Story.id.in_(ids))))
    if not read:  # deleted since they were listed
        return 0
    # 1 to 3 ms a story: in a worker thread, so that the bot's other chats are not kept waiting.
    together = await asyncio.to_thread(_phrase_matches, read, target)
    return round(bag * together / len(read))


def _phrase_matches(read: Sequence[Story], target: str) -> int:
    return sum(matches(story_terms(story), target) for story in read)


async def _recent_with_words(db: Database, target: str, since: datetime) -> list[int] | None:
    """The ids of the most recently stored PHRASE_SAMPLE stories since `since` with every word of
    `target`, through the search index (the query `search` runs, listing ids instead of counting
    them). None on a database other than SQLite and PostgreSQL (no full-text index)."""
    groups = list(keyword_groups(target))
    has_words: TextClause
    if db.is_sqlite:
        has_words = text("search_fts MATCH :expr").bindparams(expr=match_expression(groups))
    elif db.engine.dialect.name == "postgresql":
        query = tsquery_expression(groups)
        has_words = text("search_fts.document @@ to_tsquery('simple', :expr)").bindparams(expr=query)
    else:
        return None
    async with db.read() as session:
        found = await session.scalars(
            select(SearchDoc.rowid)
            .join(Story, Story.id == SearchDoc.rowid)
            .where(has_words, Story.published_at >= since)
            .order_by(SearchDoc.rowid.desc())
            .limit(PHRASE_SAMPLE)
        )
        return list(found)


async def _window(db: Database, since: datetime) -> tuple[int, datetime]:
    """The number of stories published since `since` (duplicates are one story, as in the search
    index) and the oldest one's time."""
    query = _SQLITE_WINDOW if db.is_sqlite else _WINDOW
    async with db.read() as session:
        count, oldest = (await session.execute(query, {"since": since})).one()
    return int(count), oldest or since


_WINDOW = select(func.count(), func.min(Story.published_at)).where(
    Story.duplicate_of.is_(None), Story.published_at >= bindparam("since", type_=Story.published_at.type)
)
# The same through two covering indexes (published_at → id, id → duplicate_of), as search joins its
# matches: duplicate_of sits after the long text in the row (search_0003), and reading it from 72,000
# rows of a busy week took 120-190 ms of the check, against 50 ms so.
_SQLITE_WINDOW = (
    text(
        """SELECT count(*) AS stories, min(p.published_at) AS oldest
           FROM stories p INDEXED BY ix_stories_published_at
           JOIN stories s INDEXED BY ix_stories_search_meta ON s.id = p.id
           WHERE p.published_at >= :since AND s.duplicate_of IS NULL"""
    )
    .bindparams(bindparam("since", type_=Story.published_at.type))
    .columns(stories=Integer, oldest=Story.published_at.type)
)
