"""Sentence scoring and selection for news.

Every sentence gets the features a news summary depends on: its position (the inverted pyramid:
news puts the essentials first), whether it opens a paragraph, its similarity to the title, its
centrality among the story's sentences (a continuous LexRank degree and LexRank proper), and
penalties for what reads badly out of context: fragments, bare quotes, questions, and openings that
lean on the previous sentence ("وأضاف", "لكن", "وهذا"). A small linear weighting, chosen by
measurement in scripts/train_summarizer.py and shipped as summarizer/model.json, turns them into one
score. Selection is MMR (maximal marginal relevance): the best sentence first, then each next one by
its score minus its greatest similarity to a sentence already taken, within the sentence count or the
word budget, never one that restates a sentence already taken; a budget of one or two sentences is not padded with sentences that score low.

Similarity is the cosine of tf-idf vectors over stems (the light stemmer) without stop words, with
idf computed over the story's own sentences, as LexRank does.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from summarizer.normalize import normalize, tokens
from summarizer.stemming import get_stemmer
from summarizer.stopwords import stop_words

_MODEL_FILE = Path(__file__).with_name("model.json")
_FINAL = re.compile(r"[.!?؟…][\"'»”’)\]]*$")
_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”")
_OPENING_QUOTE = re.compile(r"^[\"«“]")
_TOKEN = re.compile(r"[\u0621-\u064A0-9A-Za-z]+")  # summarizer.normalize's token, on normalised text
# Openings that lean on an earlier sentence: "but", "he added", "this", "however"...
_DEPENDENT_START = frozenset(
    tokens(
        """لكن ولكن لكنه لكنها غير إلا بيد أضاف وأضاف وأضافت أضافت تابع وتابع وتابعت
        تابعت أشار وأشار وأشارت أوضح وأوضح وأوضحت هذا وهذا هذه وهذه ذلك وذلك كذلك وهو وهي
        وهم هو هي هم فيما بينما كما أما وأما لذلك ولذلك بذلك وبذلك وعليه"""
    )
)
SHORT_WORDS = 8
_TERM_TABLE_MAX = 500_000

FEATURES = (
    "bias",
    "first",  # the story's first sentence
    "position",  # 1 / (1 + index)
    "para_first",  # opens a paragraph
    "title_sim",  # cosine with the title
    "centrality",  # mean cosine with the other sentences, scaled to max 1 (continuous LexRank degree)
    "lexrank",  # LexRank (thresholded cosine graph, damped power iteration), scaled to max 1
    "centroid",  # cosine with the story's whole term vector
    "length",  # log(1 + words)
    "short",  # fewer than SHORT_WORDS words: likely a fragment
    "no_final",  # no sentence-final punctuation: a fragment or a headline
    "quote",  # share of the sentence inside quotation marks
    "bare_quote",  # opens with a quotation and is mostly quote: a quote without its speaker
    "dependent",  # opens with a word that needs the previous sentence
    "question",  # ends with a question mark
)
F = {name: i for i, name in enumerate(FEATURES)}


@dataclass
class Model:
    weights: dict[str, float] = field(default_factory=lambda: {"position": 1.0})
    redundancy: float = 0.5  # MMR: weight of the similarity to sentences already chosen
    stemmer: str = "light"
    # A word budget of fewer than `short_budget` typical (median-length) sentences is a short
    # summary: after the first sentence, a sentence is added only if its MMR score reaches
    # `short_min_score`. A summary that holds one or two sentences is usually a paraphrase of the
    # story's top, and a low-ranked sentence padded in costs more precision than it adds recall.
    # 0 turns the rule off.
    short_budget: float = 0.0
    short_min_score: float = 0.0
    # A sentence this similar (cosine) to one already chosen is a restatement, not more news: some
    # outlets (France 24) open with a standfirst and then rewrite it as the body's first sentence,
    # and MMR's soft penalty let both into one summary. 0 turns the rule off.
    duplicate: float = 0.0
    # A question shorter than this many words ("فماذا يتضمن المشروع؟", "فمن هو برنارد لويس؟") is a
    # teaser for the paragraph after it: alone in a summary it tells the reader nothing, so it is
    # never taken after the first sentence. Longer questions usually carry the news in their
    # clauses ("… إن قوات بلاده ستخرج من سوريا، فهل يحدث ذلك حقا؟") and stay. 0 turns it off.
    teaser_words: int = 0
    # A sentence of fewer words than this ("دفاع جديد.", "• صانع الأغاني.", "وقال ترامب \"سنرى\".")
    # is a fragment of a list or a rhetorical beat: never taken after the first sentence. 0: off.
    fragment_words: int = 0

    @classmethod
    def load(cls, path: Path = _MODEL_FILE) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(data["weights"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features in {path}: {sorted(unknown)}")
        return cls(
            weights={k: float(v) for k, v in data["weights"].items()},
            redundancy=float(data.get("redundancy", 0.5)),
            stemmer=str(data.get("stemmer", "light")),
            short_budget=float(data.get("short_budget", 0.0)),
            short_min_score=float(data.get("short_min_score", 0.0)),
            duplicate=float(data.get("duplicate", 0.0)),
            teaser_words=int(data.get("teaser_words", 0)),
            fragment_words=int(data.get("fragment_words", 0)),
        )

    def vector(self) -> np.ndarray:
        return np.array([self.weights.get(f, 0.0) for f in FEATURES])


@lru_cache(maxsize=1)
def default_model() -> Model:
    try:
        return Model.load()
    except (OSError, ValueError, KeyError, TypeError):
        return Model()


@dataclass
class Analysis:
    sentences: list[str]
    words: list[int]  # word counts (normalised tokens), as a word budget counts them
    features: np.ndarray  # sentences × FEATURES
    similarity: np.ndarray  # sentences × sentences cosine, zero diagonal


def terms(text: str, stemmer_name: str = "light") -> list[str]:
    """The stems a text is compared by: normalised tokens, no stop words, stemmed."""
    return [term for term in (_term(t, stemmer_name) for t in tokens(text)) if term]


def _term(token: str, stemmer_name: str) -> str:
    """A normalised token's stem, or "" for a stop word or a one-letter token."""
    if len(token) < 2 or token in stop_words():
        return ""
    return get_stemmer(stemmer_name)(token)


@cache
def _term_table(stemmer_name: str) -> dict[str, str]:
    # Token -> term, filled as words are met: news vocabulary repeats, so after a few hundred
    # stories nearly every token is a single dictionary look-up. Bounded by the vocabulary seen.
    return {}


def analyse(
    sentences: Sequence[str],
    paragraph_starts: Sequence[bool],
    title: str | None,
    stemmer_name: str = "light",
    with_lexrank: bool = True,
) -> Analysis:
    """Features and pairwise similarities of a story's sentences (LexRank only if asked: it costs
    a power iteration, and a model that gives it no weight need not pay for it)."""
    n = len(sentences)
    if n == 0:
        return Analysis([], [], np.zeros((0, len(FEATURES))), np.zeros((0, 0)))
    term_of = _term_table(stemmer_name)
    if len(term_of) > _TERM_TABLE_MAX:
        term_of.clear()  # a long-running bot meets new words for ever; memory stays bounded
    toks = [_TOKEN.findall(normalize(s)) for s in sentences]

    vocab: dict[str, int] = {}
    cells: list[int] = []  # row * width + column, one entry per term occurrence; width set below
    rows: list[int] = []
    for i, ts in enumerate(toks):
        for t in ts:
            term = term_of.get(t)
            if term is None:
                term = term_of[t] = _term(t, stemmer_name)
            if term:
                cells.append(vocab.setdefault(term, len(vocab)))
                rows.append(i)
    width = max(len(vocab), 1)
    flat = np.asarray(rows, dtype=np.int64) * width + np.asarray(cells, dtype=np.int64)
    tf = np.bincount(flat, minlength=n * width).reshape(n, width).astype(float)
    df = np.count_nonzero(tf, axis=0)
    idf = np.log((n + 1) / (df + 0.5))
    vectors = tf * idf
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    unit = vectors / norms[:, None]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)

    feats = np.zeros((n, len(FEATURES)))
    feats[:, F["bias"]] = 1.0
    feats[0, F["first"]] = 1.0
    feats[:, F["position"]] = 1.0 / (1.0 + np.arange(n))
    feats[:, F["para_first"]] = np.asarray(paragraph_starts, dtype=float)
    if title:
        tvec = np.zeros(tf.shape[1])
        for t in terms(title, stemmer_name):
            j = vocab.get(t)
            if j is not None:
                tvec[j] += idf[j]
        tn = np.linalg.norm(tvec)
        if tn > 0:
            feats[:, F["title_sim"]] = unit @ (tvec / tn)
    if n > 1:
        centrality = sim.sum(axis=1)
        top = centrality.max()
        if top > 0:
            feats[:, F["centrality"]] = centrality / top
        if with_lexrank:
            feats[:, F["lexrank"]] = _lexrank(sim)
    else:
        feats[:, F["centrality"]] = feats[:, F["lexrank"]] = 1.0
    centroid = vectors.sum(axis=0)
    cn = np.linalg.norm(centroid)
    if cn > 0:
        feats[:, F["centroid"]] = unit @ (centroid / cn)

    counts = [len(ts) for ts in toks]
    for i, s in enumerate(sentences):
        row_f = feats[i]
        w = counts[i]
        row_f[F["length"]] = math.log1p(w)
        row_f[F["short"]] = 1.0 if w < SHORT_WORDS else 0.0
        row_f[F["no_final"]] = 0.0 if _FINAL.search(s) else 1.0
        if '"' in s or "«" in s or "“" in s:
            share = sum(len(m) for m in _QUOTED.findall(s)) / len(s)
            row_f[F["quote"]] = share
            row_f[F["bare_quote"]] = 1.0 if share > 0.5 and _OPENING_QUOTE.match(s) else 0.0
        row_f[F["dependent"]] = 1.0 if toks[i] and toks[i][0] in _DEPENDENT_START else 0.0
        row_f[F["question"]] = 1.0 if s.rstrip("\"'»”’)]").endswith(("؟", "?")) else 0.0
    return Analysis(list(sentences), counts, feats, sim)


def _lexrank(sim: np.ndarray, threshold: float = 0.1, damping: float = 0.15) -> np.ndarray:
    """LexRank (Erkan & Radev 2004) over the cosine graph, scaled so the best sentence scores 1."""
    n = len(sim)
    adjacency = (sim > threshold).astype(float)
    degree = adjacency.sum(axis=1)
    degree[degree == 0] = 1.0
    transition_t = (adjacency / degree[:, None]).T
    p = np.full(n, 1.0 / n)
    for _ in range(50):
        nxt = damping / n + (1 - damping) * (transition_t @ p)
        done = np.abs(nxt - p).sum() < 1e-6
        p = nxt
        if done:
            break
    return p / p.max()


def scores(analysis: Analysis, model: Model) -> np.ndarray:
    return analysis.features @ model.vector()


def select(
    analysis: Analysis,
    model: Model,
    count: int | None = 3,
    max_words: int | None = None,
) -> list[int]:
    """Indices of the chosen sentences in document order.

    MMR within `count` sentences (None: no limit) and, if given, `max_words` words. The first
    sentence is taken whatever its length: a summary always has at least one sentence. A short
    word budget (see Model.short_budget) takes further sentences only if they score well enough.
    """
    n = len(analysis.sentences)
    if n == 0:
        return []
    base = scores(analysis, model)
    words = np.asarray(analysis.words)
    limit = n if count is None else max(1, min(count, n))
    open_ = np.ones(n, dtype=bool)
    penalty = np.zeros(n)
    floor = -np.inf
    if max_words is not None and model.short_budget > 0 and max_words < model.short_budget * np.median(words):
        floor = model.short_min_score
    # Never a second pick: teaser questions and fragments (see Model), and a sentence that
    # announces what follows ("… جاءت على النحو التالي:"), whose list the summary would not hold.
    not_after_first = (
        ((analysis.features[:, F["question"]] > 0) & (words < model.teaser_words))
        | (words < model.fragment_words)
        | np.array([s.rstrip().endswith(":") for s in analysis.sentences])
    )
    chosen: list[int] = []
    total = 0
    while len(chosen) < limit:
        if chosen and max_words is not None:
            open_ &= words <= max_words - total
        if not open_.any():
            break
        candidates = np.where(open_, base - model.redundancy * penalty, -np.inf)
        best = int(np.argmax(candidates))  # ties go to the earlier sentence
        if chosen and candidates[best] < floor:
            break
        chosen.append(best)
        open_[best] = False
        open_ &= ~not_after_first
        total += int(words[best])
        if max_words is not None and total >= max_words:
            break
        np.maximum(penalty, analysis.similarity[best], out=penalty)
        if model.duplicate > 0:
            open_ &= analysis.similarity[best] < model.duplicate
    return sorted(chosen)
