"""Plain-text topic questions: "ما الجديد عن سوريا؟", "أخبار النفط", "what's new about Syria?", "سوريا".

`extract_topic` strips the question words and filler around the topic; `find` resolves a
configured topic (its keywords widen the search) and asks the search index for the most relevant
recent stories, falling back to a scan of recent stories when the index is not installed.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from bot.db.database import Database
from bot.db.models import Story, Topic
from bot.search.analyzer import query_terms
from bot.subscribers import service
from summarizer.normalize import normalize

MAX_QUESTION_CHARS = 200


def _words(text: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in text.split())


# Leading words that only say "tell me the news about": removed, in any order and number.
_FILLER = _words(
    """
    ما ماذا ماهو ماهي هل من في عن حول بخصوص بشأن بشان على الى إلى لي لنا
    الجديد جديد اخر آخر أحدث احدث اخبار أخبار خبر الأخبار الاخبار مستجدات المستجدات
    اريد أريد ابغى ابغي عايز بدي اعطني أعطني عطني ابحث أبحث بحث دور شو ايش إيش وش شنو
    هناك يوجد ايه إيه اي أي حدثني أخبرني اخبرني قل
    what whats is are the any new news latest about on regarding tell me show
    search for find anything updates update happening going in of
    """
)
_TRAILING = _words("اليوم الان الآن حاليا حالياً today now please news updates")
_GREETINGS = _words("مرحبا مرحباً اهلا أهلا أهلاً سلام هلا hi hello hey شكرا شكراً thanks") | {
    normalize(w) for w in ("السلام عليكم", "صباح الخير", "مساء الخير", "thank you")
}
_PUNCT = re.compile(r"[؟?!.,،؛;:\"«»()\[\]…]+")


def extract_topic(question: str) -> str:
    """The topic a question is about, as the user wrote it ("" for "ما الجديد؟")."""
    words = _PUNCT.sub(" ", question).split()
    while words and _folded(words[0]) in _FILLER:
        words.pop(0)
    while words and _folded(words[-1]) in _TRAILING:
        words.pop()
    return " ".join(words)


def _folded(word: str) -> str:
    # "عن" may be glued to its noun by a و/ب clitic only rarely; only strip exact filler words.
    return normalize(word).replace("'", "").replace("’", "")


def is_greeting(question: str) -> bool:
    return normalize(" ".join(_PUNCT.sub(" ", question).split())) in _GREETINGS


def match_topic(topic: str, topics: list[Topic]) -> Topic | None:
    """A configured topic named by the text (Arabic or English name, any spelling variant)."""
    wanted = set(query_terms(topic))
    if not wanted:
        return None
    for candidate in topics:
        for name in (candidate.name, candidate.name_en or ""):
            terms = set(query_terms(name))
            if terms and terms == wanted:
                return candidate
    return None


@dataclass(frozen=True)
class Answer:
    topic: str  # what the question was about, for the reply
    stories: list[Story]


async def find(db: Database, question: str, *, limit: int = 3) -> Answer:
    """The most relevant recent stories for a question; an empty topic means "the latest news"."""
    topic_text = extract_topic(question)
    if not topic_text:
        return Answer("", await service.recent_stories(db, limit=limit))
    topic = match_topic(topic_text, await service.list_topics(db))
    queries = list(dict.fromkeys([topic_text, *(topic.keywords if topic else [])]))
    search = _search_module()
    if search is None:
        stories = await service.stories_matching(
            db, topics=[topic] if topic else [], keywords=[topic_text], limit=limit
        )
        return Answer(topic_text, stories)
    return Answer(topic_text, await _search(db, search, queries, limit=limit, many=topic is not None))


def _search_module() -> Any | None:
    try:
        return importlib.import_module("bot.search.service")
    except ImportError:
        return None


async def _search(db: Database, search: Any, queries: list[str], *, limit: int, many: bool) -> list[Story]:
    """One search per query; with a topic's keywords the union is shown newest first."""
    ranked: list[int] = []
    for query in queries:
        page = await search.search(db, query, limit=limit * 2 if many else limit)
        if getattr(page, "error", None):
            continue
        ranked.extend(hit.story_id for hit in page.hits if hit.story_id not in ranked)
    stories = [s for s in [await service.get_story(db, i) for i in ranked] if s is not None]
    originals = [s for s in stories if s.duplicate_of is None]
    if many:
        originals.sort(key=lambda s: (s.published_at, s.id), reverse=True)
    return originals[:limit]
