"""Summary-quality protocols (EASC and ANT-BBC) and their length-matched Arabic ROUGE.

This is the protocol of data/README.md, written to give exactly the figures of the reference scorer
(tools/rouge_ar.py): same document selection, same word budget, same tokens, same ROUGE-1/2/L F1
averaged over a document's references and then over documents. Systems compared in one run:
ours (summarizer.summarize), lead (the first sentences) and sumy's default Arabic LexRank.

The scorer's tokens are defined by the protocol, not by summarizer.normalize (which also folds ؤ/ئ
and Persian digits): the figures must match the reference scorer's, so they use its tokens.
"""

from __future__ import annotations

import json
import lzma
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TASHKEEL = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_TOKEN = re.compile(r"[\u0621-\u064A0-9A-Za-z]+")
_ALEF = re.compile("[أإآٱ]")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
# The protocol's own sentence split, used by the lead baseline and the ANT "5 sentences" filter.
PROTOCOL_SPLIT = re.compile(r"(?<=[.!?؟…])\s+|\n+")

# A system takes (text, title, max_words) and returns whole sentences.
System = Callable[[str, "str | None", int], Sequence[str]]


@dataclass(frozen=True)
class Doc:
    text: str
    title: str | None
    references: tuple[str, ...]


@dataclass(frozen=True)
class Scores:
    system: str
    r1: float
    r2: float
    rl: float
    docs: int
    seconds: float


def norm_tokens(text: str) -> list[str]:
    t = _TASHKEEL.sub("", text)
    t = _ALEF.sub("ا", t).replace("ى", "ي").replace("ة", "ه")
    return _TOKEN.findall(t.translate(_DIGITS).lower())


def words(text: str) -> int:
    return len(norm_tokens(text))


def _ngrams(toks: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def ngram_f1(system: Sequence[str], reference: Sequence[str], n: int) -> float:
    a, b = _ngrams(system, n), _ngrams(reference, n)
    hit = sum((a & b).values())
    if not a or not b or not hit:
        return 0.0
    p, r = hit / sum(a.values()), hit / sum(b.values())
    return 2 * p * r / (p + r)


def lcs_f1(x: Sequence[str], y: Sequence[str]) -> float:
    if not x or not y:
        return 0.0
    prev = [0] * (len(y) + 1)
    for xi in x:
        cur = [0]
        for j, yj in enumerate(y):
            cur.append(prev[j] + 1 if xi == yj else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if not lcs:
        return 0.0
    p, r = lcs / len(x), lcs / len(y)
    return 2 * p * r / (p + r)


def budget(doc: Doc) -> int:
    """The word budget W: the reference's length (EASC: the rounded mean over its references)."""
    return round(sum(words(r) for r in doc.references) / len(doc.references))


def budget_pick(sentences: Sequence[str], order: Iterable[int], max_words: int) -> list[str]:
    """Whole sentences in rank order, skipping any that would overflow W, at least one; document order."""
    chosen: list[int] = []
    total = 0
    for i in order:
        w = words(sentences[i])
        if chosen and total + w > max_words:
            continue
        chosen.append(i)
        total += w
        if total >= max_words:
            break
    return [sentences[i] for i in sorted(chosen)]


# --- corpora ---------------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[str]:
    opener: Any = lzma.open if path.name.endswith(".xz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        yield from fh


def load_easc(path: Path, limit: int = 0) -> list[Doc]:
    """All EASC articles, each with its 5 human extractive summaries."""
    docs: list[Doc] = []
    for line in _lines(path):
        r = json.loads(line)
        docs.append(Doc(r["article"], None, tuple(r["summaries"])))
        if limit and len(docs) >= limit:
            break
    return docs


def is_ant_bbc_standfirst(record: dict[str, Any]) -> bool:
    """BBC stories whose description is an editor's standfirst and whose body has ≥ 5 sentences."""
    text, abstract = record.get("text"), record.get("abstract")
    if record.get("source") != "BBC" or not abstract or not text:
        return False
    # CNN's and the others' descriptions copy the lead; BBC's sometimes do too: those are excluded.
    if " ".join(text.split()).startswith(" ".join(abstract.split())[:60]):
        return False
    return len([s for s in PROTOCOL_SPLIT.split(text) if s.strip()]) >= 5


def load_ant(path: Path, limit: int = 0) -> list[Doc]:
    docs: list[Doc] = []
    for line in _lines(path):
        r = json.loads(line)
        if not is_ant_bbc_standfirst(r):
            continue
        docs.append(Doc(r["text"], r["title"], (r["abstract"],)))
        if limit and len(docs) >= limit:
            break
    return docs


def load(kind: str, path: Path, limit: int = 0) -> list[Doc]:
    if kind == "easc":
        return load_easc(path, limit)
    if kind == "ant":
        return load_ant(path, limit)
    raise ValueError(f"unknown corpus {kind!r} (easc or ant)")


# --- systems ---------------------------------------------------------------------------------


def lead_system(text: str, title: str | None, max_words: int) -> list[str]:
    sents = [s.strip() for s in PROTOCOL_SPLIT.split(text) if s and s.strip()]
    return budget_pick(sents, range(len(sents)), max_words)


def ours_system(text: str, title: str | None, max_words: int) -> list[str]:
    from summarizer import summarize

    return summarize(text, title=title, max_words=max_words)


def sumy_lexrank_system() -> System:
    """sumy's LexRank with its defaults for "arabic" (pyarabic's splitter, Snowball, sumy's stop words).

    Ranks every sentence (not just the top N) and picks by the protocol's budget rule, as the
    reference scorer does.
    """
    from sumy.nlp.stemmers import Stemmer
    from sumy.nlp.tokenizers import Tokenizer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    summarizer = LexRankSummarizer(Stemmer("arabic"))
    summarizer.stop_words = get_stop_words("arabic")
    tokenizer = Tokenizer("arabic")

    def run(text: str, title: str | None, max_words: int) -> list[str]:
        document = PlaintextParser.from_string(text, tokenizer).document
        sentences = list(document.sentences)
        seen: dict[int, float] = {}

        def capture(sents: Any, count: Any, rating: Any, *args: Any, **kwargs: Any) -> tuple[()]:
            rate = (
                (lambda s: rating[s]) if isinstance(rating, dict) else (lambda s: rating(s, *args, **kwargs))
            )
            seen.update({i: rate(s) for i, s in enumerate(sents)})
            return ()

        summarizer._get_best_sentences = capture  # type: ignore[method-assign]
        if sentences:
            summarizer(document, len(sentences))
        order = sorted(range(len(sentences)), key=lambda i: (-seen.get(i, 0), i))
        return budget_pick([str(s) for s in sentences], order, max_words)

    return run


def systems(names: Sequence[str]) -> dict[str, System]:
    table: dict[str, Callable[[], System]] = {
        "ours": lambda: ours_system,
        "lead": lambda: lead_system,
        "lexrank": sumy_lexrank_system,
    }
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ValueError(f"unknown system(s): {', '.join(unknown)} (known: {', '.join(table)})")
    return {n: table[n]() for n in names}


# --- scoring ---------------------------------------------------------------------------------


def score_doc(summary: Sequence[str], doc: Doc) -> tuple[float, float, float]:
    toks = norm_tokens(" ".join(summary))
    refs = [norm_tokens(r) for r in doc.references]
    n = len(refs)
    return (
        sum(ngram_f1(toks, r, 1) for r in refs) / n,
        sum(ngram_f1(toks, r, 2) for r in refs) / n,
        sum(lcs_f1(toks, r) for r in refs) / n,
    )


def evaluate(
    name: str,
    system: System,
    docs: Sequence[Doc],
    progress: Callable[[Iterable[Doc]], Iterable[Doc]] = lambda d: d,
) -> Scores:
    s1 = s2 = sl = 0.0
    t0 = time.perf_counter()
    for doc in progress(docs):
        r1, r2, rl = score_doc(system(doc.text, doc.title, budget(doc)), doc)
        s1, s2, sl = s1 + r1, s2 + r2, sl + rl
    n = max(len(docs), 1)
    return Scores(name, 100 * s1 / n, 100 * s2 / n, 100 * sl / n, len(docs), time.perf_counter() - t0)
