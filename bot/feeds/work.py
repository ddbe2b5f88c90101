"""The CPU work of a poll, as plain functions a worker process can run (see cpu.py).

Kept apart from poller.py so that a parse worker imports feedparser, the summarizer and the search
analyser, and not SQLAlchemy, httpx or the bot: each worker stays small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.feeds import content
from bot.feeds.parser import ParsedEntry, ParsedFeed, parse_feed_at
from bot.search.terms import story_terms

# (clean text, summary and fingerprint, (title terms, body terms) for the search index)
Prepared = tuple[str, content.Prepared, tuple[str, str]]


def untitled(text: str) -> str:
    """A title for an entry that has none: the text's first words."""
    words = text.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def unique(entries: list[ParsedEntry]) -> list[ParsedEntry]:
    """The entries with distinct keys, first one kept (a feed may list an item twice)."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.key not in seen:
            seen.add(entry.key)
            out.append(entry)
    return out


def prepare_entries(
    entries: list[ParsedEntry],
    texts: list[str] | None,
    pages: list[str | None],
    sentences: int,
    max_chars: int,
) -> list[Prepared]:
    """content.prepare_entries plus each story's search terms: analysing terms is CPU work that
    would otherwise run on the event loop while the write lock is held."""
    prepared = content.prepare_entries(entries, texts, pages, sentences, max_chars)
    return [
        (text, prep, story_terms(entry.title or untitled(text), text, prep.summary))
        for entry, (text, prep) in zip(entries, prepared, strict=True)
    ]


def parse_and_prepare(
    body: bytes, url: str, headers: Mapping[str, str] | None, sentences: int, max_chars: int
) -> tuple[ParsedFeed, dict[str, Prepared]]:
    """Parse a feed and prepare every entry in one trip to a worker: on a feed's first poll every
    entry is new, so there is nothing to look up in between. The entries come back without their
    HTML (already cleaned into the prepared text), which halves what is sent back."""
    parsed = parse_feed_at(body, url, headers)
    entries = unique(parsed.entries)
    prepared = prepare_entries(entries, None, [], sentences, max_chars)
    slim = [replace(e, summary_html="", content_html="") for e in parsed.entries]
    return replace(parsed, entries=slim), {e.key: p for e, p in zip(entries, prepared, strict=True)}
