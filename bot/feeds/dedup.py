"""The same story from two feeds: same link, or near-identical title and lead (SimHash).

A story's fingerprint is a 64-bit SimHash over the normalised words and word pairs of its title and
the first LEAD_WORDS words of its text. Two stories from different feeds within DUPLICATE_WINDOW are
one story when their links match (tracking parameters, http/https and "www." aside) AND their
title-and-lead word sets overlap by at least LINK_MIN_JACCARD, or when their fingerprints are within
CANDIDATE_DISTANCE bits AND their word sets overlap by at least MIN_JACCARD. The later story gets `duplicate_of` = the earlier one's canonical id, and
delivery sends each canonical story to a chat once.

Why not the link alone: some feeds link every item to one page (the site's home page, a section,
a live-coverage page), so two different stories share it; the word check keeps them apart. The bar
is lower than MIN_JACCARD because the shared link already makes them likely the same (another
headline over the same article): among 1.1 million pairs of unrelated ANT stories (1,500 sampled)
the 99.99th percentile of the overlap is 0.20, and 13 pairs, some of them true duplicates, reach 0.3.

Why not "distance <= 3" alone: on texts this short one changed word in a title moves the SimHash by
4-5 bits on average (up to 11 at the 99th percentile, measured on 500 ANT stories), while among 1.1
million pairs of unrelated ANT stories none came closer than 11 bits. So the SimHash picks
candidates cheaply and an exact word-set overlap decides.

Within one feed (`same_text`): an outlet that lists an article again under a new guid and link
(an edited slug, a bumped date) keeps its body. Its title may have been corrected, so the body
decides, and it must be near-identical: its words in the same order (difflib's ratio over tokens at
least SAME_TEXT) and its lead sharing at least SAME_LEAD of its words. On ANT, pairs of one
outlet's stories from one day that pass both are the same article edited (Sky News re-titles and
relists dozens); a story with a new opening paragraph over the same background, or a daily story
written to a template with new figures, falls below (the gold-price template with two of its
twenty words changed scores 0.90). A body shorter than TEXT_MIN_WORDS says too little to decide.
The feed's stories to compare are picked by fingerprint within RELIST_DISTANCE bits: a rewritten
headline moves it further than a corrected word does (up to 23 bits among those ANT relistings,
where 5 % of unrelated pairs come within 24), so the bound is wider than CANDIDATE_DISTANCE.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from datetime import timedelta
from difflib import SequenceMatcher

import numpy as np

from summarizer.normalize import tokens

DUPLICATE_WINDOW = timedelta(hours=48)
CANDIDATE_DISTANCE = 12
MIN_JACCARD = 0.6
LINK_MIN_JACCARD = 0.3
LEAD_WORDS = 25
MIN_TOKENS = 6
RELIST_DISTANCE = 24
SAME_TEXT = 0.95
SAME_LEAD = 0.6
TEXT_MIN_WORDS = 15
# Words of a body compared in order: difflib is quadratic at worst, and this runs while the poll
# holds the write lock. An article near-identical over its first thousand words is the same one.
_TEXT_WORDS = 1000
_MASK = (1 << 64) - 1


def simhash(features: Iterable[str]) -> int:
    """Unsigned 64-bit SimHash of the features (each weighted by its count)."""
    digests = b"".join(
        hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest() for feature in features
    )
    if not digests:
        return 0
    # One row of 64 bits per feature; a bit of the hash is set when most features set it.
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - bits.shape[0]
    value = 0
    for position, vote in enumerate(votes.tolist()):
        if vote > 0:
            value |= 1 << (63 - position)
    return value


def fingerprint(title: str, text: str) -> int | None:
    """Signed 64-bit fingerprint (it fits a BIGINT column), or None when there are too few words."""
    words = tokens(title) + _lead(text)
    if len(words) < MIN_TOKENS:
        return None
    features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    value = simhash(features)
    return value - (1 << 64) if value >= 1 << 63 else value


def _lead(text: str) -> list[str]:
    """tokens(text)[:LEAD_WORDS] without tokenising a whole article: a prefix that yields more
    than LEAD_WORDS tokens has its first LEAD_WORDS complete (only the last may be cut)."""
    head = tokens(text[: LEAD_WORDS * 24])  # 24 characters a word: ample for Arabic news text
    if len(head) > LEAD_WORDS:
        return head[:LEAD_WORDS]
    return tokens(text)[:LEAD_WORDS]


def distance(a: int, b: int) -> int:
    return ((a ^ b) & _MASK).bit_count()


def _lead_words(title: str, text: str, lead: int) -> set[str]:
    return set(tokens(title)) | set(tokens(text)[:lead])


def overlap(title_a: str, text_a: str, title_b: str, text_b: str) -> float:
    """Jaccard overlap of the title-and-lead word sets (the shorter lead decides how many words
    count, so a feed carrying only a truncated lead still matches one carrying the whole text)."""
    lead = min(LEAD_WORDS, len(tokens(text_a)), len(tokens(text_b)))
    a, b = _lead_words(title_a, text_a, lead), _lead_words(title_b, text_b, lead)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_story(title_a: str, text_a: str, title_b: str, text_b: str) -> bool:
    """Title and lead word sets overlap enough to be one story without any other evidence."""
    return overlap(title_a, text_a, title_b, text_b) >= MIN_JACCARD


def same_linked_story(title_a: str, text_a: str, title_b: str, text_b: str) -> bool:
    """Two stories with the same link are one story unless their words say otherwise."""
    return overlap(title_a, text_a, title_b, text_b) >= LINK_MIN_JACCARD


def has_text(text: str) -> bool:
    """Enough words of body for `same_text` to say anything (a title-only item has none)."""
    # A prefix first: enough words there spares tokenising a whole article.
    head = text[: TEXT_MIN_WORDS * 24]
    return len(tokens(head)) >= TEXT_MIN_WORDS or (head != text and len(tokens(text)) >= TEXT_MIN_WORDS)


def lead_set(text: str) -> frozenset[str]:
    """The words of a text's lead, for `leads_agree`."""
    return frozenset(_lead(text))


def leads_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Leads that share most of their words: a first look before `same_text` (which asks it too),
    for a caller comparing one text with many, each lead tokenised once."""
    return bool(a and b) and len(a & b) >= SAME_LEAD * len(a | b)


def same_text(text_a: str, text_b: str) -> bool:
    """Two bodies that are one article's, edited at most lightly (see the module's docstring)."""
    if not leads_agree(lead_set(text_a), lead_set(text_b)):
        return False  # a new opening paragraph over the same background is a development
    a, b = tokens(text_a)[:_TEXT_WORDS], tokens(text_b)[:_TEXT_WORDS]
    if min(len(a), len(b)) < TEXT_MIN_WORDS:
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The quick ratios bound the ratio from above: most bodies fail them without the slow one.
    return (
        matcher.real_quick_ratio() >= SAME_TEXT
        and matcher.quick_ratio() >= SAME_TEXT
        and matcher.ratio() >= SAME_TEXT
    )


def same_words(title_a: str, text_a: str, title_b: str, text_b: str) -> bool:
    """The same title and the same body, word for word once normalised."""
    return tokens(title_a) == tokens(title_b) and tokens(text_a) == tokens(text_b)


class RecentPrints:
    """Fingerprints of the stories stored in the last DUPLICATE_WINDOW, kept in memory (numpy
    arrays) so each new story is compared with thousands of recent ones in microseconds. The poller
    adds rows by increasing story id, so another process's stories are picked up too."""

    def __init__(self) -> None:
        self.max_id = 0
        self._ids = np.empty(0, dtype=np.int64)
        self._feeds = np.empty(0, dtype=np.int64)
        self._prints = np.empty(0, dtype=np.uint64)
        self._stamps = np.empty(0, dtype=np.float64)

    def __len__(self) -> int:
        return int(self._ids.size)

    def add(self, rows: Sequence[tuple[int, int | None, int | None, float]]) -> None:
        """(story id, feed id, signed fingerprint or None, fetched_at as a UNIX time) rows."""
        if not rows:
            return
        self.max_id = max(self.max_id, max(r[0] for r in rows))
        kept = [(i, -1 if f is None else f, p, t) for i, f, p, t in rows if p is not None]
        if not kept:
            return
        self._ids = np.concatenate([self._ids, np.array([r[0] for r in kept], dtype=np.int64)])
        self._feeds = np.concatenate([self._feeds, np.array([r[1] for r in kept], dtype=np.int64)])
        prints = np.array([r[2] for r in kept], dtype=np.int64).view(np.uint64)
        self._prints = np.concatenate([self._prints, prints])
        self._stamps = np.concatenate([self._stamps, np.array([r[3] for r in kept], dtype=np.float64)])

    def prune(self, oldest: float) -> None:
        keep = self._stamps >= oldest
        if not keep.all():
            self._ids, self._feeds = self._ids[keep], self._feeds[keep]
            self._prints, self._stamps = self._prints[keep], self._stamps[keep]

    def near(self, print_: int | None, feed_id: int, limit: int = 5) -> list[int]:
        """Ids of stories from OTHER feeds within CANDIDATE_DISTANCE bits, nearest first."""
        if print_ is None or not self._ids.size:
            return []
        target = np.array([print_], dtype=np.int64).view(np.uint64)[0]
        distances = np.bitwise_count(np.bitwise_xor(self._prints, target))
        hits = np.nonzero((distances <= CANDIDATE_DISTANCE) & (self._feeds != feed_id))[0]
        if not hits.size:
            return []
        order = hits[np.argsort(distances[hits], kind="stable")][:limit]
        return [int(i) for i in self._ids[order]]


def key_variants(url: str, key: str) -> list[str]:
    """The stored forms a link may have in another feed (http/https, with and without "www."),
    built from its `key` = identity.url_key(url), which already dropped scheme and "www."."""
    if not url.startswith(("http://", "https://")):
        return [url]
    return [f"{scheme}://{www}{key}" for scheme in ("https", "http") for www in ("", "www.")]
