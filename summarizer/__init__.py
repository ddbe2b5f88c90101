"""Extractive summaries of Arabic news stories: the story's best few sentences, verbatim and whole.

Pure Python: no network, no database, no Telegram.

    summarize(text, *, title=None, sentences=3, max_words=None, cleaned=False) -> list[str]
    clean_text(text_or_html, title=None) -> str     # body text, paragraphs separated by blank lines
    split_sentences(text) -> list[str]
"""

from __future__ import annotations

import re

from summarizer.clean import clean_paragraphs, clean_text
from summarizer.rank import analyse, default_model, select
from summarizer.sentences import split_sentences

__all__ = ["clean_text", "split_sentences", "summarize"]


def summarize(
    text: str,
    *,
    title: str | None = None,
    sentences: int = 3,
    max_words: int | None = None,
    cleaned: bool = False,
) -> list[str]:
    """The story's best sentences, in document order.

    `text` is plain text or HTML (a feed item's content or a whole article page). Without
    `max_words`, at most `sentences` sentences; with it, whole sentences totalling at most
    `max_words` words (always at least one sentence). Empty or garbage input gives [].
    `cleaned=True` says `text` is already the output of `clean_text` (as the feed poller stores
    it): cleaning is idempotent, so it is skipped rather than done twice.
    """
    try:
        return _summarize(text, title, sentences, max_words, cleaned)
    except Exception:  # a summary is never worth a crash of the caller; bad input gives []
        import logging

        logging.getLogger(__name__).exception("summarize failed on input of %d chars", len(text or ""))
        return []


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, of any script


def _has_words(sentence: str) -> bool:
    """A sentence a reader could read: some word of two letters or more once links are set aside.
    A line of tatweels, a lone letter or a bare link is no summary (it was shown as one)."""
    return bool(_WORD.search(_URL.sub(" ", sentence.replace("\u0640", ""))))


def _summarize(text: str, title: str | None, count: int, max_words: int | None, cleaned: bool) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return []
    if not isinstance(title, str) or not title.strip():
        title = None
    if cleaned:
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
    else:
        paragraphs, title = clean_paragraphs(text, title)
    sents: list[str] = []
    starts: list[bool] = []
    for paragraph in paragraphs:
        for j, s in enumerate(split_sentences(paragraph)):
            if _has_words(s):
                sents.append(s)
                starts.append(j == 0)
    if len(sents) < 2:
        return sents  # nothing to choose (a feed item's abstract is often one sentence)
    model = default_model()
    analysis = analyse(sents, starts, title, model.stemmer, with_lexrank=bool(model.weights.get("lexrank")))
    if max_words is not None:
        chosen = select(analysis, model, count=None, max_words=max(int(max_words), 1))
    else:
        chosen = select(analysis, model, count=max(int(count), 1))
    return [sents[i] for i in chosen]
