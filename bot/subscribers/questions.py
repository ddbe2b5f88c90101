"""Plain-text topic questions: "ما الجديد عن سوريا؟", "أخبار النفط", "what's new about Syria?", "سوريا".

`extract_topic` strips the question words and filler around the topic; `find` resolves a
configured topic (its keywords widen the search) and asks the search index
(bot.search.service.search) for the most relevant recent stories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.clock import as_utc
from bot.db.database import Database
from bot.db.models import Story, Topic
from bot.search.analyzer import query_groups
from bot.search.service import search
from bot.subscribers import service
from summarizer.normalize import normalize, strip_diacritics

MAX_QUESTION_CHARS = 200


def _words(text: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in text.split())


# Leading words that only say "tell me the news about": removed, in any order and number.
_FILLER = _words(
    """
    ما ماذا ماهو ماهي هل من في عن حول بخصوص بشأن بشان على الى إلى لي لنا
    هو هي الذي اللي
    الجديد جديد اخر آخر أحدث احدث اخبار أخبار خبر الأخبار الاخبار مستجدات المستجدات
    اريد أريد ابغى ابغي عايز بدي اعطني أعطني عطني ابحث أبحث بحث دور شو ايش إيش وش شنو
    هناك يوجد ايه إيه اي أي حدثني أخبرني اخبرني قل
    what whats is are was there has have been any news about on regarding tell me show
    search for find anything updates update happening going in of
    صار حصل جرى يجري حدث يحدث يحصل استجد يستجد بيصير happened
    كيف الوضع الاوضاع عندك عندكم صاير بيحصل طمني طمنا وين
    with latest
    التطورات تطورات القصة قصة الأوضاع أوضاع أخر
    """
)
# Filler only when another filler word follows (or nothing does): "what's new about Syria",
# "the latest on Gaza", "ابي اخبار غزة", "شي جديد", but "news about New York", «أبي أحمد»
# (Ethiopia's prime minister), «شي جين بينغ» (China's president).
_FILLER_BEFORE_FILLER = _words("new the ابي شي")
# normalize() folds ى into ي, so the preposition «على» would swallow the name «علي»: typed with a
# dotted final ي it is the name. («الي» stays filler: it is a common spelling of «إلى» and «اللي».)
_ALA = normalize("على")
# Trailing words that only say "lately" ("سوريا اليوم", "النفط هذا الأسبوع", "لبنان امس"): the
# answer is the most recent stories anyway, and as search words they would narrow it to stories
# that happen to say "الأسبوع".
_TRAILING = _words(
    """
    اليوم الان الآن حاليا حالياً امس أمس البارحة الليلة هذا هذه الأسبوع الاسبوع الأيام الايام الشهر
    الماضي الماضية الأخيرة الاخيرة مؤخرا مؤخراً في خلال منذ طوال
    today now please news updates yesterday tonight this week month lately recently
    """
)
# Hellos, one word or two, said alone or before a question; thanks only alone.
_HELLO_WORDS = _words("مرحبا مرحباً اهلا أهلا أهلاً سلام هلا hi hello hey")
_HELLO_PHRASES = {
    normalize(w)
    for w in (
        "السلام عليكم",
        "سلام عليكم",
        "صباح الخير",
        "مساء الخير",
        "good morning",
        "good evening",
        "good afternoon",
    )
}
_GREETINGS = _HELLO_WORDS | _HELLO_PHRASES | _words("شكرا شكراً thanks") | {normalize("thank you")}
_PUNCT = re.compile(r"[؟?!.,،؛;:\"«»()\[\]…]+")


def extract_topic(question: str) -> str:
    """The topic a question is about, as the user wrote it ("" for "ما الجديد؟")."""
    words = _PUNCT.sub(" ", question).split()
    # "مرحبا، ما الجديد عن غزة؟", "Hey, what's new about Gaza?": the greeting is not the topic.
    while len(words) > 1 and (greeting := _leading_greeting(words)):
        del words[:greeting]
    while words and _leading_filler(words):
        words.pop(0)
    # "the latest on the Gaza war" is about "Gaza war"; "news about the Hague" keeps the article
    # of a one-word name (search reads "the" as a stop word either way).
    if len(words) > 2 and _folded(words[0]) == "the":
        words.pop(0)
    while words and _folded(words[-1]) in _TRAILING:
        words.pop()
    return " ".join(words)


# Before a question, a hello and whom it calls ("يا", "dear") are not the topic.
_LEADING_GREETINGS = _HELLO_WORDS | _words("يا dear")


def _leading_greeting(words: list[str]) -> int:
    """How many of the first words are a greeting before the question (0 when none)."""
    if len(words) > 2 and f"{_folded(words[0])} {_folded(words[1])}" in _HELLO_PHRASES:
        return 2
    return 1 if _folded(words[0]) in _LEADING_GREETINGS else 0


def _leading_filler(words: list[str]) -> bool:
    first, rest = words[0], words[1:]
    key = _folded(first)
    if key in _FILLER_BEFORE_FILLER:
        return not rest or _is_filler(rest[0]) or _folded(rest[0]) in _FILLER_BEFORE_FILLER
    if not _is_filler(first):
        return False
    # «على» is also how Egyptian spelling writes the name Ali; with nothing after it, it cannot be
    # the preposition (which needs an object), so it is what the question is about.
    return bool(rest) or key != _ALA


def _is_filler(word: str) -> bool:
    key = _folded(word)
    return key in _FILLER and not (key == _ALA and strip_diacritics(word).endswith("ي"))


def _folded(word: str) -> str:
    # "عن" may be glued to its noun by a و/ب clitic only rarely; only strip exact filler words.
    return normalize(word).replace("'", "").replace("’", "")


# Words that only lengthen a greeting or a thanks: "شكرا لك", "السلام عليكم ورحمة الله وبركاته".
_COURTESY_TAIL = _words(
    "ورحمة الله وبركاته لك لكم بك بكم وسهلا كيف حالك حالكم الحال جزيلا جزيلاً كثيرا كثيراً "
    "there everyone guys friend very much so lot a all"
)


def is_greeting(question: str) -> bool:
    words = normalize(" ".join(_PUNCT.sub(" ", question).split())).split()
    if len(words) > 3 and words[-3:] == ["how", "are", "you"]:
        del words[-3:]
    while len(words) > 1 and words[-1] in _COURTESY_TAIL:
        words.pop()
    # "السلام عليكم يا شباب", "مرحبا يا بوت": whoever the greeting is addressed to is not a topic.
    if len(words) > 2 and words[-2] == "يا":
        del words[-2:]
    return " ".join(words) in _GREETINGS


def match_topic(topic: str, topics: list[Topic]) -> Topic | None:
    """A configured topic named by the text (Arabic or English name, any spelling variant, with a
    proclitic: «بسوريا» names سوريا): the same words, each sharing a reading with the name's."""
    wanted = frozenset(query_groups(topic))
    if not wanted:
        return None
    for candidate in topics:
        for name in (candidate.name, candidate.name_en or ""):
            if service.same_key(frozenset(query_groups(name)), wanted):
                return candidate
    return None


async def search_words(db: Database, query: str) -> str:
    """What /search and inline mode look up for `query`: a configured topic named in English
    ("syria", "Economy") by its Arabic name, as the stories are Arabic; anything else as typed."""
    topic = match_topic(query, await service.list_topics(db))
    return topic.name if topic is not None else query


@dataclass(frozen=True)
class Answer:
    topic: str  # what the question was about, for the reply
    stories: list[Story]


async def find(db: Database, question: str, *, chat_id: int, limit: int = 3) -> Answer:
    """The most relevant recent stories for a question.

    A question with no topic ("ما الجديد؟") gets the latest stories of the chat's subscriptions.
    """
    topic_text = extract_topic(question)
    if not topic_text:
        return Answer("", await service.latest_stories(db, chat_id, limit))
    topic = match_topic(topic_text, await service.list_topics(db))
    if topic is None:
        return Answer(topic_text, await _search(db, [topic_text], limit=limit, strict=False))
    # A configured topic: what was typed, its names and its keywords, the union newest first.
    queries = list(dict.fromkeys([topic_text, topic.name, *topic.keywords]))
    return Answer(topic_text, await _search(db, queries, limit=limit, strict=True))


async def _search(db: Database, queries: list[str], *, limit: int, strict: bool) -> list[Story]:
    """Stories with every word of a query, through the search index, duplicates of another story
    left out, shown newest first (the reply says «أحدث ما وجدته»).

    With `strict` (a topic's keywords) the union of the queries' stories is cut newest first;
    otherwise the index picks the most relevant recent ones (relevance and recency), which are
    then shown newest first. A story with only some of the words is never shown: under that
    header it would read as news about the topic («قضية خاشقجي» is not the Benalla affair).
    """
    ranked: list[int] = []
    for query in queries:
        page = await search(db, query, limit=limit * 3, relax=False, question=True)
        if page.error:
            continue
        ranked.extend(hit.story_id for hit in page.hits if hit.story_id not in ranked)
    stories = [s for s in [await service.get_story(db, i) for i in ranked] if s is not None]
    originals = [s for s in stories if s.duplicate_of is None]
    if strict:
        originals.sort(key=_newest_first)
    return sorted(originals[:limit], key=_newest_first)


def _newest_first(story: Story) -> tuple[float, int]:
    return (-as_utc(story.published_at).timestamp(), -story.id)
