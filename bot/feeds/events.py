"""Two outlets reporting one event in their own words (bot.delivery.grouping folds them into one card).

Near-identical copies of one story are bot.feeds.dedup's business (SimHash, word-set overlap 0.6):
this is the looser relation of "السودان: قرار جمهوري بإعفاء وزير الخارجية من منصبه" (France 24) and
"الرئيس السوداني يعفي وزير الخارجية من منصبه" (Sky News), an hour apart.

A story is its title's content words (counted twice: the headline names the event) and the content
words of its first LEAD_WORDS words, each normalised and light-stemmed as the summarizer does, stop
words out; two stories are one event when the cosine of those bags reaches SAME_EVENT.

Measured on ANT (25,822 stories, five outlets, Feb–Jul 2018) by scripts/measure_events.py: of the
pairs from two outlets published within six hours of each other, 1,514 reach 0.55 (about ten a day
for a reader of all five). Reading random samples of 12: at 0.55–0.60 every pair was one event told
twice, or the same development of it ("اليابان أمام كارثة.. 100 قتيل جراء الأمطار التاريخية" /
"اليابان: ارتفاع حصيلة ضحايا الأمطار الغزيرة إلى 100 قتيل على الأقل"); at 0.45–0.50 a third were
another story beside the news, an explainer or a profile ("لماذا يشكل تحرير مطار الحديدة ضربة
قاصمة للحوثيين؟" beside the airport's capture), which a reader wants as a story of its own.
Weighting words by rarity (idf over the corpus) sorted the top no better, and would have meant
shipping a word-frequency table.

A headline that asks a question is an explainer or a profile, whatever its words: of the 1,188
pairs at 0.55 or more within three hours, 24 have one, and reading 15 of them, 13 were an explainer
beside the news ("من هو عمر الرزاز المكلف برئاسة الحكومة الأردنية؟" beside his appointment, 0.64;
"الاتفاق النووي الإيراني: ماذا بعد إعلان ترامب الانسحاب؟"). So such a story is never one event
with another (`telling`).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

from summarizer.normalize import tokens
from summarizer.stemming import light_stem
from summarizer.stopwords import stop_words

SAME_EVENT = 0.55
EVENT_WINDOW = timedelta(hours=3)
LEAD_WORDS = 40

Vector = dict[str, float]


def event_vector(title: str, text: str) -> Vector:
    """The story's words as compared here, as a unit vector (empty when it has none)."""
    stop = stop_words()

    def terms(value: str) -> set[str]:
        return {light_stem(w) for w in tokens(value) if len(w) > 1 and w not in stop}

    lead = " ".join((text or "").split()[:LEAD_WORDS])
    counts: Counter[str] = Counter()
    for term in terms(title or ""):
        counts[term] += 2
    for term in terms(lead):
        counts[term] += 1
    norm = math.sqrt(sum(c * c for c in counts.values()))
    return {term: c / norm for term, c in counts.items()} if norm else {}


def similarity(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b.get(term, 0.0) for term, weight in a.items())


def same_event(a: Vector, b: Vector) -> bool:
    return similarity(a, b) >= SAME_EVENT


def telling(title: str) -> bool:
    """Whether a story with this headline can be one event with another: not when it asks a question."""
    return not (title or "").rstrip(" \t\"'»”").endswith(("؟", "?"))
