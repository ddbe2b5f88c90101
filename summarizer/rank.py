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


def _words(text: str) -> list[str]:
    return text.split()


# A speech verb opening a sentence and followed at once by the quote ("وقال: «…»", "وأضاف "…"",
# "وتابع قائلا …") names no speaker: the sentence before it does. Not "وقال إن …" / "وأضاف أن …":
# reported speech reads whole more often, and EASC's annotators took it alone (only the soft
# `dependent` penalty applies to it). Likewise "في وقت …"
# ("while … did", not "في وقت سابق" nor "في وقت يتأهب فيه …، توعد …", whose main clause follows) and
# "ما أدى …" / "مما أدى …" ("which led to …") continue the sentence before them. «وقالت "وفا" إن …»
# names its speaker in quotes. Such a sentence is taken only with the one before it. Normalised forms.
_SPEECH_VERBS = _words(
    "قال قالت اضاف اضافت تابع تابعت اوضح اوضحت اشار اشارت اكد اكدت ذكر ذكرت لفت لفتت اختتم اختتمت "
    "شدد شددت استطرد استطردت استدرك استدركت زاد زادت مضي مضت اعتبر اعتبرت كشف كشفت بين بينت"
)
_LEANS_ON_PREVIOUS = re.compile(
    r"^[وف]?(?:(?:" + "|".join(_SPEECH_VERBS) + r")"
    r"(?:\s*:|\s*[\"«“](?![^\"«»“”]{1,30}[\"»”]\s*(?:ان|انه|انها|في|عن)\s)"
    r"|\s+(?:قائلا|قائله|بالقول)(?=\s|$|[:،,]))"
    r"|في وقت (?!سابق|لاحق|مبكر|متاخر|قصير|قياسي|واحد|مضي|ما\b|من\b|كان|[يت])|م?ما ادي\b)"
)
_LEANS_FIRST_WORDS = frozenset(w for v in _SPEECH_VERBS for w in (v, "و" + v, "ف" + v)) | {"في", "ما", "مما"}
# Conjunctions written as words of their own (see _conjunction for و and ف).
_CONJUNCTIONS = frozenset(tokens("لكن ثم كما أما بينما فيما إلا غير بيد حيث إذ أو أم بل حتى كذلك أيضا"))
_OPENING_MARKS = "\"«“'( "
# Words that begin with a root و, not with the conjunction (normalised): roots whose feminine
# perfect is four letters (وصلت، وقعت), and nouns longer than a root.
_WAW_ROOTS = frozenset(
    _words("وصف وقع وجد وعد ورد وقف وضع وصل ولد وجه وفد وقت وسط وزن وثق ورث وكل وفق وفر ودع")
)
_WAW_NOUNS = tuple(_words("وزير وزرا وزار وكال واشنطن ولاي وحد وثيق وطن وسيل وسائل وظيف وقود وكيل وكلا"))
# "لكن السؤال الذي نود مناقشته هنا، هو: هل …؟" announces the question the story answers: a teaser,
# however long.
_TEASER_QUESTION = re.compile(r"^(?:\S+\s){0,2}السءال\b.{0,120}?\sهو\s*:")
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
    # The duplicate threshold for a sentence that opens a paragraph after the first without a
    # conjunction (a second lead restating the first in other words). 0: `duplicate` for all.
    restatement: float = 0.0

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
            restatement=float(data.get("restatement", 0.0)),
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
    # Reading rules for selection (see select); None: worked out from `sentences` when needed.
    leans_back: np.ndarray | None = None  # needs the sentence before it (a quote without its speaker)
    teaser: np.ndarray | None = None  # announces a question ("السؤال الذي … هو: …؟")
    opener: np.ndarray | None = None  # opens a paragraph after the first, without a conjunction


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
    normed = [normalize(s) for s in sentences]
    toks = [_TOKEN.findall(s) for s in normed]

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
    leans_back, teaser, opener = _reading(sentences, normed, toks, paragraph_starts)
    return Analysis(list(sentences), counts, feats, sim, leans_back, teaser, opener)


def _reading(
    sentences: Sequence[str],
    norms: Sequence[str],
    toks: Sequence[Sequence[str]],
    paragraph_starts: Sequence[bool],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The masks select() reads (Analysis.leans_back, .teaser, .opener) from normalised sentences."""
    n = len(norms)
    leans_back = np.zeros(n, dtype=bool)
    teaser = np.zeros(n, dtype=bool)
    opener = np.zeros(n, dtype=bool)
    story: set[str] = set()  # filled only for a paragraph opening with ف (rare)
    for i, (norm, ts) in enumerate(zip(norms, toks, strict=True)):
        if not ts:
            continue
        if ts[0] in _LEANS_FIRST_WORDS and _LEANS_ON_PREVIOUS.match(norm):
            leans_back[i] = i > 0
        if "السءال" in norm and _TEASER_QUESTION.match(norm):
            teaser[i] = True
        if i > 0 and paragraph_starts[i]:
            if ts[0][0] == "ف" and not story:
                story.update(t for words in toks for t in words)
            opener[i] = not _conjunction(ts[0], sentences[i], story)
    return leans_back, teaser, opener


def _conjunction(first: str, sentence: str, story: set[str]) -> bool:
    """Whether a sentence's first word (normalised) is or begins with a conjunction.

    و and ف are written joined to the next word, and many news words begin with those letters
    (وصف، وصلت، واصل، وزير، وفد، واشنطن، فرنسا، فاز), so a separate-word test decides: "و+word"
    is a conjunction unless the word is one of و's own (a three-letter root such as وصف and its
    feminine وصفت, a form III verb such as واصل, a noun such as وزير); "ف+word" only when the rest
    is a word of its own (فقد، فالرئيس) or one the story uses.
    """
    if first in _CONJUNCTIONS:
        return True
    if len(first) < 3 or first[0] not in "وف":
        return False
    rest = first[1:]
    raw = sentence.lstrip(_OPENING_MARKS)[1:2]
    if raw in ("أ", "إ", "آ") or rest in stop_words() or (rest.startswith("ال") and len(rest) >= 4):
        return True
    if first[0] == "ف":
        return rest in story
    own_word = (
        len(first) == 3
        or (len(first) == 4 and first[:3] in _WAW_ROOTS)
        or (first.startswith("وا") and len(first) <= 5)
        or first.startswith(_WAW_NOUNS)
    )
    return not own_word


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
    leans_back, teaser, opener = _masks(analysis)
    question = analysis.features[:, F["question"]] > 0
    announces = np.array([s.rstrip().endswith(":") for s in analysis.sentences])
    not_after_first = (
        (question & ((words < model.teaser_words) | teaser)) | (words < model.fragment_words) | announces
    )
    # A feed item that is the outlet's abstract alone ends mid-sentence ("… أصبح يبعد مسافة 3 كم
    # عن"): in a text that otherwise ends its sentences, a last sentence without a final stop was
    # cut short, and a summary never ends on it after its first pick.
    no_final = analysis.features[:, F["no_final"]] > 0
    # Nor on the items of a list the story announces ("… على النحو التالي:" then lines without a
    # stop): without their announcement they are half of something unnamed.
    item = False
    for i in range(1, n):
        item = bool(no_final[i] and (announces[i - 1] or item))
        not_after_first[i] |= item
    if n > 1 and no_final[-1] and not no_final[:-1].all():
        not_after_first[-1] = True
    # A paragraph after the first that opens without a conjunction and says the lead again in
    # other words (France 24's body restating its standfirst) is a restatement at a lower cosine.
    # (restatement 0: the rule is off, every pair is held to `duplicate`.)
    restates = np.where(opener, model.restatement or model.duplicate, model.duplicate)
    chosen: list[int] = []
    waiting = leans_back.copy()  # until the sentence before is chosen
    total = 0
    while len(chosen) < limit:
        if chosen and max_words is not None:
            open_ &= words <= max_words - total
        # A quote without its speaker only follows the sentence that names the speaker.
        ready = open_ & ~waiting if chosen else open_
        if not ready.any():
            break
        candidates = np.where(ready, base - model.redundancy * penalty, -np.inf)
        best = int(np.argmax(candidates))  # ties go to the earlier sentence
        if chosen and candidates[best] < floor:
            break
        chosen.append(best)
        if best + 1 < n:
            waiting[best + 1] = False
        open_[best] = False
        open_ &= ~not_after_first
        total += int(words[best])
        if max_words is not None and total >= max_words:
            break
        np.maximum(penalty, analysis.similarity[best], out=penalty)
        if model.duplicate > 0:
            # The later sentence of a pair decides the threshold: it is the one that restates.
            later = np.arange(n) > best
            open_ &= analysis.similarity[best] < np.where(later, restates, restates[best])
    return sorted(chosen)


def _masks(analysis: Analysis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if analysis.leans_back is not None and analysis.teaser is not None and analysis.opener is not None:
        return analysis.leans_back, analysis.teaser, analysis.opener
    # An Analysis built by hand (the training scripts mix similarities): work the masks out again.
    norms = [normalize(s) for s in analysis.sentences]
    toks = [_TOKEN.findall(s) for s in norms]
    starts = list(analysis.features[:, F["para_first"]] > 0)
    return _reading(analysis.sentences, norms, toks, starts)
