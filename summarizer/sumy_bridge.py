"""sumy's summarizers fed our Arabic sentence splitter, word tokens, stemmer and stop words.

sumy's own "arabic" setup splits on commas and colons, stops after 32 splits a paragraph and drops
words that carry diacritics. Here its summarizers see our sentences and our normalised tokens, so
their ratings can be measured as features (scripts/train_summarizer.py) and compared fairly.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from summarizer.normalize import tokens
from summarizer.sentences import split_sentences
from summarizer.stemming import get_stemmer
from summarizer.stopwords import stop_words

# name -> (module, class) in sumy.summarizers
SUMMARIZERS = {
    "lexrank": ("lex_rank", "LexRankSummarizer"),
    "textrank": ("text_rank", "TextRankSummarizer"),
    "lsa": ("lsa", "LsaSummarizer"),
    "luhn": ("luhn", "LuhnSummarizer"),
    "kl": ("kl", "KLSummarizer"),
    "sumbasic": ("sum_basic", "SumBasicSummarizer"),
}


class ArabicTokenizer:
    """A sumy tokenizer: our sentence splitter, and normalised word tokens (diacritised words kept)."""

    language = "arabic"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(tokens(sentence))


def document(sentences: Sequence[str]) -> Any:
    """A sumy document holding these sentences as one paragraph, in order."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    tokenizer = ArabicTokenizer()
    return ObjectDocumentModel([Paragraph([Sentence(s, tokenizer) for s in sentences])])


def make_summarizer(name: str, stemmer: str = "light") -> Any:
    module, cls = SUMMARIZERS[name]
    summarizer = getattr(importlib.import_module(f"sumy.summarizers.{module}"), cls)(get_stemmer(stemmer))
    summarizer.stop_words = stop_words()
    return summarizer


def ratings(summarizer: Any, sentences: Sequence[str]) -> list[float]:
    """The summarizer's rating of every sentence (higher is better), by index.

    sumy returns only the top sentences; its ratings are read by intercepting the final
    selection step, which every sumy summarizer calls with all sentences and their ratings.
    """
    doc = document(sentences)
    sents = list(doc.sentences)
    seen: dict[int, float] = {}

    def capture(all_sentences: Any, count: Any, rating: Any, *args: Any, **kwargs: Any) -> tuple[()]:
        for i, s in enumerate(all_sentences):
            seen[i] = float(rating[s] if isinstance(rating, dict) else rating(s, *args, **kwargs))
        return ()

    summarizer._get_best_sentences = capture
    if sents:
        summarizer(doc, len(sents))
    return [seen.get(i, 0.0) for i in range(len(sents))]
