"""Shared helpers for scripts/train_summarizer.py: load the protocol corpora once, analyse every
document once, then score many weightings quickly with the protocol's own ROUGE."""

from __future__ import annotations

import json
import lzma
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np

from bot.evaluation import Doc, budget, is_ant_bbc_standfirst, lcs_f1, ngram_f1, norm_tokens
from summarizer.clean import clean_paragraphs
from summarizer.rank import Analysis, Model, analyse, select
from summarizer.sentences import split_sentences

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
EASC = SHARED / "easc" / "easc.jsonl"
ANT = SHARED / "ant" / "ant-2018-02-to-07.jsonl.xz"


@dataclass
class Prepared:
    doc: Doc
    month: int  # ANT: publication month (2..7); EASC: 0
    budget: int
    analysis: Analysis
    sentence_tokens: list[list[str]]
    ref_tokens: list[list[str]]


def load_ant_with_months(path: Path = ANT, limit: int = 0) -> list[tuple[Doc, int]]:
    out: list[tuple[Doc, int]] = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if not is_ant_bbc_standfirst(r):
                continue
            try:
                month = parsedate_to_datetime(r["time"]).month
            except (TypeError, ValueError):
                month = 0
            out.append((Doc(r["text"], r["title"], (r["abstract"],)), month))
            if limit and len(out) >= limit:
                break
    return out


def load_easc(path: Path = EASC) -> list[tuple[Doc, int]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            out.append((Doc(r["article"], None, tuple(r["summaries"])), 0))
    return out


def prepare(docs: Sequence[tuple[Doc, int]], stemmer: str = "light") -> list[Prepared]:
    out = []
    for doc, month in docs:
        paragraphs, title = clean_paragraphs(doc.text, doc.title)
        sents: list[str] = []
        starts: list[bool] = []
        for p in paragraphs:
            for j, s in enumerate(split_sentences(p)):
                sents.append(s)
                starts.append(j == 0)
        a = analyse(sents, starts, title, stemmer)
        out.append(
            Prepared(
                doc,
                month,
                budget(doc),
                a,
                [norm_tokens(s) for s in sents],
                [norm_tokens(r) for r in doc.references],
            )
        )
    return out


def rouge1(p: Prepared, chosen: Sequence[int]) -> float:
    toks = [t for i in chosen for t in p.sentence_tokens[i]]
    return sum(ngram_f1(toks, r, 1) for r in p.ref_tokens) / len(p.ref_tokens)


def rouge_all(p: Prepared, chosen: Sequence[int]) -> np.ndarray:
    toks = [t for i in chosen for t in p.sentence_tokens[i]]
    refs = p.ref_tokens
    n = len(refs)
    return np.array(
        [
            sum(ngram_f1(toks, r, 1) for r in refs) / n,
            sum(ngram_f1(toks, r, 2) for r in refs) / n,
            sum(lcs_f1(toks, r) for r in refs) / n,
        ]
    )


def mean_r1(prepared: Sequence[Prepared], model: Model) -> float:
    if not prepared:
        return 0.0
    total = 0.0
    for p in prepared:
        total += rouge1(p, select(p.analysis, model, count=None, max_words=p.budget))
    return 100 * total / len(prepared)


def mean_rouge(prepared: Sequence[Prepared], model: Model) -> np.ndarray:
    total = np.zeros(3)
    for p in prepared:
        total += rouge_all(p, select(p.analysis, model, count=None, max_words=p.budget))
    return 100 * total / max(len(prepared), 1)
