"""From a feed entry to a story's text, summary and fingerprint (CPU work; run in a worker thread).

Text comes from the entry's content (when the feed carries the body) or its description, through
the summarizer's cleaning (HTML to plain paragraphs, page furniture removed). The summary is the
summarizer's choice of whole sentences, trimmed to summary.max_chars.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

import summarizer
from bot.feeds.dedup import fingerprint
from bot.feeds.parser import ParsedEntry
from summarizer.normalize import tokens

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")


def word_count(text: str) -> int:
    return len(text.split())


def entry_text(entry: ParsedEntry) -> str:
    """The entry's own text, cleaned: its content if that is longer than its description. A
    description that only repeats the title is no text: stored, the card would show the title
    twice (the second time as its summary)."""
    description = clean(entry.summary_html, entry.title)
    if entry.content_html:
        content = clean(entry.content_html, entry.title)
        if word_count(content) > word_count(description):
            description = content
    return "" if description and tokens(description) == tokens(entry.title) else description


def clean(text_or_html: str, title: str) -> str:
    if not text_or_html.strip():
        return ""
    try:
        return summarizer.clean_text(text_or_html, title=title or None).strip()
    except Exception:  # a summarizer bug on one odd entry must not stop the feed
        log.exception("clean_text failed; keeping the text without its markup")
        # Never markup on a card: the text is summarised as cleaned and shown as it is.
        lines = (" ".join(html.unescape(line).split()) for line in _TAG.sub("\n", text_or_html).splitlines())
        return "\n\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Prepared:
    text: str
    summary: list[str]
    fingerprint: int | None


def prepare(title: str, text: str, *, sentences: int, max_chars: int, cleaned: bool = False) -> Prepared:
    """`cleaned`: `text` is clean() output, so the summarizer need not clean it again."""
    summary: list[str] = []
    if text.strip():
        try:
            summary = summarizer.summarize(text, title=title or None, sentences=sentences, cleaned=cleaned)
        except Exception:
            log.exception("summarize failed; storing the story without a summary")
    return Prepared(text=text, summary=trim(summary, max_chars), fingerprint=fingerprint(title, text))


def trim(summary: list[str], max_chars: int) -> list[str]:
    """Whole sentences within max_chars (the first is always kept: delivery shortens it if needed)."""
    kept: list[str] = []
    total = 0
    for sentence in summary:
        if kept and total + len(sentence) + 1 > max_chars:
            break
        kept.append(sentence)
        total += len(sentence) + 1
    return kept


def entry_texts(entries: list[ParsedEntry]) -> list[str]:
    return [entry_text(e) for e in entries]


def prepare_entries(
    entries: list[ParsedEntry],
    texts: list[str] | None,
    pages: list[str | None],
    sentences: int,
    max_chars: int,
) -> list[tuple[str, Prepared]]:
    """(text, prepared) for each entry: its article page's text when one was fetched (cleaned
    here like any description), else its own text (`texts`, or cleaned here when None)."""
    out = []
    for i, entry in enumerate(entries):
        page = pages[i] if pages else None
        text = clean(page, entry.title) if page else (texts[i] if texts else entry_text(entry))
        cleaned = bool(text)
        if page and not text:
            text = page  # nothing survived cleaning: keep the page, and let the summarizer try
        out.append(
            (text, prepare(entry.title, text, sentences=sentences, max_chars=max_chars, cleaned=cleaned))
        )
    return out
