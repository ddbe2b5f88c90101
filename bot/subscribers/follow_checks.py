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
  terms the index and routing share), restricted to the week: one FTS5 count, 3 to 22 ms on the
  25,822-story ANT archive (numbers in tests/test_follow_warnings.py's docstring).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.db.models import Story
from bot.search.analyzer import keyword_groups
from bot.search.service import search
from bot.subscribers.service import SubscriptionError, keyword_target, stored_keyword

log = logging.getLogger(__name__)

WINDOW = timedelta(days=7)
# A tenth of the news: «قال» (half), «الحكومة» (a fifth), «ترامب» warn; «النفط», «السعودية» (under a
# tenth in ANT) are what their readers follow them for.
FLOOD_SHARE = 0.10
FLOOD_MIN_STORIES = 20  # in the window: about three a day, and no warning from a nearly empty archive

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
    when it cannot be told (a keyword stored before today's rules, a database error: the follow
    itself is done and its confirmation must still go out)."""
    now = as_utc(now or utcnow())
    since = now - WINDOW
    try:
        target = keyword_target(keyword)
        stories, oldest = await _window(db, since)
        if stories < FLOOD_MIN_STORIES:
            return None
        matched = (await search(db, target, limit=1, since=since, relax=False)).total
    except SubscriptionError:
        return None
    except SQLAlchemyError:
        log.warning("could not count the stories of keyword %r", keyword, exc_info=True)
        return None
    if matched < FLOOD_MIN_STORIES or matched <= FLOOD_SHARE * stories:
        return None
    # An archive younger than the window has fewer days to spread its stories over.
    days = min(max((now - as_utc(oldest)) / timedelta(days=1), 1.0), WINDOW / timedelta(days=1))
    return Flood(share=max(1, round(100 * matched / stories)), per_day=round(matched / days))


async def _window(db: Database, since: datetime) -> tuple[int, datetime]:
    """The number of stories published since `since` (duplicates are one story, as in the search
    index) and the oldest one's time."""
    async with db.read() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(Story.published_at)).where(
                    Story.duplicate_of.is_(None), Story.published_at >= since
                )
            )
        ).one()
    return int(count), oldest or since
