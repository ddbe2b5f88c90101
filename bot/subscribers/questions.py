"""Plain-text topic questions: "ما الجديد عن سوريا؟", "أخبار النفط", "what's new about Syria?", "سوريا",
and as people ask in dialect or politely: «عايز اعرف اخبار مصر», «بدي اعرف شو صاير بلبنان»,
«اخبار مصر لو سمحت», "please tell me the latest news about Iraq", «طيب والمريخ؟».

`extract_topic` strips the question words, polite words and filler around the topic; `find`
resolves a configured topic (its keywords widen the search) and asks the search index
(bot.search.service.search) for the most relevant recent stories, naming the topic as searched
(«بسوريا» → «سوريا»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.clock import as_utc
from bot.db.database import Database
from bot.db.models import Story, Topic
from bot.search.analyzer import has_operators, query_groups, shown_word
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
    عاوز عاوزة عايزة عايزين عاوزين بدنا حابب حابة أود اود أرغب ارغب بغيت أبغى نبغى
    اعرف أعرف نعرف اعلم أعلم معرفة اشوف أشوف نشوف اتابع أتابع اقرا اقرأ أقرأ اطلع أطلع أن ان
    قولي قوللي قلي خبرني اعطيني أعطيني عطيني هات هاتلي جيبلي ابعتلي ارسل أرسل ارسللي وريني
    فرجيني اعرض اعرضلي شوفلي دورلي ممكن أرجو ارجو
    can could would you give get send i want wanna to know need like let do does got
    something more hear see read check
    """
)
# Said before a question or a follow-up ("طيب والمريخ؟", "and Iran?"), never a topic themselves; alone
# they are an acknowledgement (is_greeting), not a word to search for («طيب» is Erdogan's name).
_LEAD_INS = _words("طيب طب اوك تمام حسنا ok okay so and also well كمان برضو برضه")
# Filler only when another filler word follows (or nothing does): "what's new about Syria",
# "the latest on Gaza", "ابي اخبار غزة", "شي جديد", but "news about New York", «أبي أحمد»
# (Ethiopia's prime minister), «شي جين بينغ» (China's president).
# «ودي» "I'd like" (Gulf) is also "friendly" (مباراة ودية); «نبي» "we want" is also "prophet".
_FILLER_BEFORE_FILLER = _words("new the ابي شي ودي نبي احب أحب نفسي")
# normalize() folds ى into ي, so the preposition «على» would swallow the name «علي»: typed with a
# dotted final ي it is the name. («الي» stays filler: it is a common spelling of «إلى» and «اللي».)
_ALA = normalize("على")
# Trailing words that only say "lately" ("سوريا اليوم", "النفط هذا الأسبوع", "لبنان امس"): the
# answer is the most recent stories anyway, and as search words they would narrow it to stories
# that happen to say "الأسبوع".
_TRAILING = _words(
    """
    اليوم الان الآن حاليا حالياً امس أمس البارحة الليلة هذا هذه الأسبوع الاسبوع الأيام الايام الشهر
    الماضي الماضية الأخيرة الاخيرة مؤخرا مؤخراً في خلال منذ طوال الحين دلوقتي دلوقت هلق هلأ هسه هسا
    today now please news updates yesterday tonight this week month lately recently
    """
)
# "Please" and "thank you", one word or several, at either end of a question: «لو سمحت اخبار مصر»,
# «اخبار مصر من فضلك», "news about Iraq please".
_POLITE = [
    tuple(normalize(w) for w in phrase.split())
    for phrase in (
        "لو سمحت",
        "لو سمحتي",
        "لو سمحتم",
        "من فضلك",
        "من فضلكم",
        "الله يخليك",
        "الله يخليكم",
        "يعطيك العافية",
        "الله يعطيك العافية",
        "رجاء",
        "رجاءً",
        "رجاءا",
        "أرجوك",
        "ارجوك",
        "أرجوكم",
        "لطفا",
        "لطفاً",
        "بليز",
        "شكرا",
        "شكراً",
        "شكرا لك",
        "please",
        "pls",
        "plz",
        "kindly",
        "thanks",
        "thank you",
    )
]
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
_THANKS = _words("شكرا شكراً مشكور مشكورين تسلم تسلمي thanks thx ty") | {
    normalize(w) for w in ("thank you", "يعطيك العافية", "الله يعطيك العافية", "جزاك الله خيرا")
}
_GREETINGS = _HELLO_WORDS | _HELLO_PHRASES | _THANKS | _LEAD_INS
_PUNCT = re.compile(r"[؟?!.,،؛;:\"«»()\[\]…]+")


def extract_topic(question: str) -> str:
    """The topic a question is about, as the user wrote it ("" for "ما الجديد؟")."""
    words = _PUNCT.sub(" ", question).split()
    # "مرحبا، ما الجديد عن غزة؟", "Hey, what's new about Gaza?": the greeting is not the topic.
    while len(words) > 1 and (greeting := _leading_greeting(words)):
        del words[:greeting]
    # Polite words and filler, in any order: «ممكن لو سمحت أعرف أخبار مصر».
    while _drop_first(words):
        pass
    # "the latest on the Gaza war" is about "Gaza war"; "news about the Hague" keeps the article
    # of a one-word name (search reads "the" as a stop word either way).
    if len(words) > 2 and _folded(words[0]) == "the":
        words.pop(0)
    while _drop_last(words):
        pass
    return " ".join(words)


def _drop_first(words: list[str]) -> bool:
    """Drops a polite phrase, lead-in or filler word at the start of `words`; whether it did."""
    polite = _polite(words[:3])
    if polite and len(words) > polite:
        del words[:polite]
        return True
    if len(words) > 1 and _folded(words[0]) in _LEAD_INS:
        del words[0]
        return True
    if words and _leading_filler(words):
        del words[0]
        return True
    return False


def _drop_last(words: list[str]) -> bool:
    """Drops a polite phrase or a word that says "lately" at the end of `words`; whether it did."""
    for size in (3, 2, 1):
        if len(words) > size and _polite(words[-size:]) == size:
            del words[-size:]
            return True
    if words and _folded(words[-1]) in _TRAILING:
        del words[-1]
        return True
    return False


def _polite(words: list[str]) -> int:
    """How many of `words`, from the first, make a polite phrase (0: none does)."""
    folded = tuple(_folded(w) for w in words)
    return max((len(p) for p in _POLITE if folded[: len(p)] == p), default=0)


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
    return _courtesy(question) in _GREETINGS


def is_thanks(question: str) -> bool:
    """A thanks said alone ("شكرا جزيلا", "thank you so much"): answered as one, not with a hello."""
    return _courtesy(question) in _THANKS


def _courtesy(question: str) -> str:
    """The words of a message that may be only a courtesy, without what merely lengthens one."""
    words = normalize(" ".join(_PUNCT.sub(" ", question).split())).split()
    if len(words) > 3 and words[-3:] == ["how", "are", "you"]:
        del words[-3:]
    while len(words) > 1 and words[-1] in _COURTESY_TAIL:
        words.pop()
    # "السلام عليكم يا شباب", "مرحبا يا بوت": whoever the greeting is addressed to is not a topic.
    if len(words) > 2 and words[-2] == "يا":
        del words[-2:]
    return " ".join(words)


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
    ("syria", "Economy") by its Arabic name, as the stories are Arabic; anything else as typed.

    A query with operators is read word by word: named whole, «سوريا -روسيا» would be the topic
    سوريا and lose its "-روسيا" (and «سوريا أو لبنان» its Lebanon)."""
    topics = await service.list_topics(db)
    if not has_operators(query):
        topic = match_topic(query, topics)
        return topic.name if topic is not None else query
    return " ".join(_topic_word(chunk, topics) for chunk in query.split())


def _topic_word(chunk: str, topics: list[Topic]) -> str:
    """One word of a query with operators, a topic's name in Arabic ("Economy" → «اقتصاد», "-Syria"
    → «-سوريا»); operators and other words as typed."""
    sign = "-" if chunk.startswith("-") and len(chunk) > 1 else ""
    topic = match_topic(chunk[len(sign) :], topics)
    return sign + topic.name if topic is not None else chunk


@dataclass(frozen=True)
class Answer:
    topic: str  # what the question was about, for the reply
    stories: list[Story]
    searchable: bool = True  # False: the topic has no word to search for («على», «في من»)


async def find(db: Database, question: str, *, chat_id: int, limit: int = 3) -> Answer:
    """The most relevant recent stories for a question.

    A question with no topic ("ما الجديد؟") gets the latest stories of the chat's subscriptions.
    """
    topic_text = extract_topic(question)
    if not topic_text:
        return Answer("", await service.latest_stories(db, chat_id, limit))
    if not query_groups(topic_text):
        return Answer(topic_text, [], searchable=False)
    topics = await service.list_topics(db)
    shown = shown_topic(topic_text, topics)
    # «سوريا -روسيا» typed as a question: the topic's keywords would bring Russia back.
    topic = None if has_operators(topic_text) else match_topic(topic_text, topics)
    if topic is None:
        return Answer(shown, await _search(db, [topic_text], limit=limit, strict=False))
    # A configured topic: what was typed, its names and its keywords, the union newest first.
    queries = list(dict.fromkeys([topic_text, topic.name, *topic.keywords]))
    return Answer(shown, await _search(db, queries, limit=limit, strict=True))


def shown_topic(topic_text: str, topics: list[Topic]) -> str:
    """The topic as the reply names it: its first word without the proclitic the search reads off
    it («شو صار بسوريا» → «سوريا», «والمريخ؟» → «المريخ»), when that is certain (bot.search.analyzer
    .shown_word; a configured topic's names count as known words)."""
    first, _, rest = topic_text.partition(" ")
    known = {word for t in topics for name in (t.name, *t.keywords) for word in name.split()}
    return " ".join(filter(None, [shown_word(first, known), rest]))


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
