"""What of a story is indexed: its title, and its body (clean text plus any summary sentence
that is not already in the text, e.g. a feed's description when the body is short)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.search.analyzer import index_terms


def _sentences(summary: Sequence[str] | str | None) -> list[str]:
    if not summary:
        return []
    if isinstance(summary, str):  # raw JSON, as a plain SQL select returns it
        try:
            value = json.loads(summary)
        except ValueError:
            return [summary]
        return [str(s) for s in value] if isinstance(value, list) else [str(value)]
    return [str(s) for s in summary]


def story_terms(title: str | None, text: str | None, summary: Sequence[str] | str | None) -> tuple[str, str]:
    """(title terms, body terms), each a space-separated string of analysed terms."""
    body = text or ""
    extra = [s for s in _sentences(summary) if s not in body]
    if extra:
        body = "\n".join([*extra, body])
    return " ".join(index_terms(title or "")), " ".join(index_terms(body))
