"""Sentence scoring and selection for news.

Each sentence gets features that news summaries depend on (position in the story and in its
paragraph, similarity to the title, centrality among the story's sentences, length, and penalties
for fragments and for quotes without context); a small linear weighting, learned on ANT standfirsts
by scripts/train_summarizer.py and shipped as summarizer/model.json, turns them into one score.
Selection is MMR (maximal marginal relevance): take the best sentence, then each next one by its
score minus its similarity to what is already taken, within the word budget.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from summarizer.normalize import tokens
from summarizer.stemming import get_stemmer
from summarizer.stopwords import stop_words

_MODEL_FILE = Path(__file__).with_name("model.json")
_FINAL = re.compile(r"[.!?؟…][\"'»”’)\]]*$")
_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”")
# Openings that lean on an earlier sentence: "But", "He added", "This", "However"...
_DEPENDENT_START = frozenset(
    tokens(
        """لكن ولكن لكنه لكنها غير أن إلا أنه بيد أضاف وأضاف وأضافت أضافت تابع وتابع وتابعت
        تابعت أشار وأشار وأشارت أوضح وأوضح وأوضحت هذا وهذا هذه وهذه ذلك وذلك كذلك وهو وهي
        وهم هو هي هم فيما بينما كما مع أما وأما لذلك ولذلك بذلك وبذلك عليه وعليه"""
    )
)

FEATURES = (
    "bias",
    "first",  # the story's first sentence
    "second",
    "third",
    "position",  # 1 / (1 + index): the inverted pyramid
    "rel_position",  # index / sentences
    "para_first",  # opens a paragraph
    "title_sim",  # cosine with the title (stems, no stop words, tf-idf within the story)
    "first_title_sim",  # the first sentence's title_sim: a lead that only restates the headline
    "title_best",  # the sentence closest to the title
    "sim_first",  # cosine with the first sentence
    "centrality",  # mean cosine with the other sentences (continuous LexRank degree)
    "lexrank",  # LexRank score (thresholded graph, power iteration), scaled to max 1
    "centroid",  # cosine with the whole story's term vector
    "length",  # log of the word count
    "short",  # fewer than 8 words: likely a fragment
    "no_final",  # no sentence-final punctuation: a fragment or a headline
    "quote",  # share of the sentence inside quotes
    "dependent",  # opens with a word that needs the previous sentence
    "question",  # a question
    "digits",  # carries figures (dates, counts)
)
F = {name: i for i, name in enumerate(FEATURES)}
# Features of a sentence against the word budget, known only when selecting.
BUDGET_FEATURES = (
    "fit",  # min(words, budget) / max(words, budget): how well the sentence alone fills the budget
    "overflow",  # words beyond the budget, relative to it
)


@dataclass
class Model:
    weights: dict[str, float] = field(default_factory=lambda: {"bias": 0.0, "position": 1.0})
    redundancy: float = 0.5  # MMR: weight of the similarity to sentences already chosen
    stemmer: str = "light"

    @classmethod
    def load(cls, path: Path = _MODEL_FILE) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            weights={k: float(v) for k, v in data["weights"].items()},
            redundancy=float(data.get("redundancy", 0.5)),
            stemmer=str(data.get("stemmer", "light")),
        )

    def vector(self) -> np.ndarray:
        return np.array([self.weights.get(f, 0.0) for f in FEATURES])

    def budget_vector(self) -> np.ndarray:
        return np.array([self.weights.get(f, 0.0) for f in BUDGET_FEATURES])


@lru_cache(maxsize=1)
def default_model() -> Model:
    try:
        return Model.load()
    except (OSError, ValueError, KeyError):
        return Model()


@dataclass
class Analysis:
    sentences: list[str]
    words: list[int]  # word counts, as the budget counts them
    features: np.ndarray  # sentences × FEATURES
    similarity: np.ndarray  # sentences × sentences cosine


def terms(text: str, stemmer_name: str = "light") -> list[str]:
    stem = get_stemmer(stemmer_name)
    stops = stop_words()
    return [stem(t) for t in tokens(text) if t not in stops and len(t) > 1]


def analyse(
    sentences: Sequence[str],
    paragraph_starts: Sequence[bool],
    title: str | None,
    stemmer_name: str = "light",
) -> Analysis:
    """Features and pairwise similarities of a story's sentences."""
    n = len(sentences)
    if n == 0:
        return Analysis([], [], np.zeros((0, len(FEATURES))), np.zeros((0, 0)))
    toks = [tokens(s) for s in sentences]
    stem = get_stemmer(stemmer_name)
    stops = stop_words()
    bags = [[stem(t) for t in ts if t not in stops and len(t) > 1] for ts in toks]

    vocab: dict[str, int] = {}
    for bag in bags:
        for t in bag:
            vocab.setdefault(t, len(vocab))
    tf = np.zeros((n, max(len(vocab), 1)))
    for i, bag in enumerate(bags):
        row = tf[i]
        for t in bag:
            row[vocab[t]] += 1.0
    df = (tf > 0).sum(axis=0)
    idf = np.log((n + 1) / (df + 0.5))
    vectors = tf * idf
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    unit = vectors / norms[:, None]
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)

    centroid = vectors.sum(axis=0)
    cnorm = np.linalg.norm(centroid) or 1.0
    to_centroid = unit @ (centroid / cnorm)

    title_sim = np.zeros(n)
    if title:
        tvec = np.zeros(tf.shape[1])
        for t in terms(title, stemmer_name):
            j = vocab.get(t)
            if j is not None:
                tvec[j] += idf[j]
        tn = np.linalg.norm(tvec)
        if tn > 0:
            title_sim = unit @ (tvec / tn)

    centrality = sim.sum(axis=1) / max(n - 1, 1)
    if centrality.max() > 0:
        centrality = centrality / centrality.max()

    feats = np.zeros((n, len(FEATURES)))
    feats[:, F["bias"]] = 1.0
    for k, name in enumerate(("first", "second", "third")):
        if n > k:
            feats[k, F[name]] = 1.0
    index = np.arange(n)
    feats[:, F["position"]] = 1.0 / (1.0 + index)
    feats[:, F["rel_position"]] = index / n
    feats[:, F["para_first"]] = np.asarray(paragraph_starts, dtype=float)
    feats[:, F["title_sim"]] = title_sim
    feats[0, F["first_title_sim"]] = title_sim[0]
    if title_sim.max() > 0:
        feats[int(np.argmax(title_sim)), F["title_best"]] = 1.0
    feats[:, F["sim_first"]] = sim[0]
    feats[:, F["centrality"]] = centrality
    feats[:, F["lexrank"]] = _lexrank(sim)
    feats[:, F["centroid"]] = to_centroid
    counts = [len(ts) for ts in toks]
    for i, s in enumerate(sentences):
        row = feats[i]
        w = counts[i]
        row[F["length"]] = math.log1p(w)
        row[F["short"]] = 1.0 if w < 8 else 0.0
        row[F["no_final"]] = 0.0 if _FINAL.search(s) else 1.0
        if '"' in s or "«" in s or "“" in s:
            row[F["quote"]] = sum(len(m) for m in _QUOTED.findall(s)) / len(s)
        row[F["dependent"]] = 1.0 if toks[i] and toks[i][0] in _DEPENDENT_START else 0.0
        row[F["question"]] = 1.0 if s.rstrip("\"'»”’)]").endswith(("؟", "?")) else 0.0
        row[F["digits"]] = 1.0 if any(t.isdigit() for t in toks[i]) else 0.0
    return Analysis(list(sentences), counts, feats, sim)


def _lexrank(sim: np.ndarray, threshold: float = 0.1, damping: float = 0.15) -> np.ndarray:
    """LexRank (Erkan & Radev 2004) over the cosine graph, scaled so the best sentence scores 1."""
    n = len(sim)
    if n < 2:
        return np.ones(n)
    adjacency = (sim > threshold).astype(float)
    degree = adjacency.sum(axis=1)
    degree[degree == 0] = 1.0
    transition = adjacency / degree[:, None]
    p = np.full(n, 1.0 / n)
    for _ in range(30):
        nxt = damping / n + (1 - damping) * (transition.T @ p)
        if np.abs(nxt - p).sum() < 1e-6:
            p = nxt
            break
        p = nxt
    return p / p.max()


def scores(analysis: Analysis, model: Model) -> np.ndarray:
    return analysis.features @ model.vector()


def select(
    analysis: Analysis,
    model: Model,
    count: int | None = 3,
    max_words: int | None = None,
) -> list[int]:
    """Indices of the chosen sentences in document order (MMR, within `count` and `max_words`)."""
    n = len(analysis.sentences)
    if n == 0:
        return []
    base = scores(analysis, model)
    words = analysis.words
    wf, wo = model.budget_vector()
    if max_words is not None and (wf or wo):
        w = np.asarray(words, dtype=float)
        fit = np.minimum(w, max_words) / np.maximum(np.maximum(w, max_words), 1.0)
        over = np.maximum(w - max_words, 0.0) / max_words
        base = base + wf * fit + wo * over
    chosen: list[int] = []
    total = 0
    limit = n if count is None else max(1, min(count, n))
    available = set(range(n))
    redundancy = np.zeros(n)
    while available and len(chosen) < limit:
        best, best_score = -1, -math.inf
        for i in available:
            if chosen and max_words is not None and total + words[i] > max_words:
                continue
            s = base[i] - model.redundancy * redundancy[i]
            if s > best_score:
                best, best_score = i, s
        if best < 0:
            break
        chosen.append(best)
        available.discard(best)
        total += words[best]
        redundancy = np.maximum(redundancy, analysis.similarity[best])
        if max_words is not None and total >= max_words:
            break
    return sorted(chosen)
