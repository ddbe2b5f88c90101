"""Snippets for search hits, cut from the story's own display text with the matched words in bold.

Matching runs on analysed terms, but what the reader sees is the original sentence (diacritics,
hamza forms and all), HTML-escaped for Telegram, with <b>…</b> around each word whose analysis
shares a term with the query.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from bot.search.analyzer import index_terms

# A displayed word: letters and digits of any script plus Arabic marks and tatweel.
_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+|\n+")
# The best sentence is looked for in the summary and the body's opening; a word that only occurs
# deeper in a very long story shows the lead instead (bounded cost per hit).
_MAX_SENTENCES = 40
_MAX_SCAN_CHARS = 4000


# normalize() folds these letters and drops marks; a term written back as a pattern over the
# display text finds every spelling the analysis would have folded onto it.
_MARKS = "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]*"
_FOLDED = {
    "ا": "[اأإآٱ]",
    "ي": "[يى]",
    "ه": "[هة]",
    "ء": "[ءؤئ]",
    **{str(d): f"[{d}{chr(0x0660 + d)}{chr(0x06F0 + d)}]" for d in range(10)},
}


@lru_cache(maxsize=100_000)
def _word_terms(word: str) -> frozenset[str]:
    return frozenset(index_terms(word))


def _hit(word: str, terms: set[str] | frozenset[str]) -> bool:
    return not terms.isdisjoint(_word_terms(word))


@lru_cache(maxsize=1024)
def _surface(terms: frozenset[str]) -> re.Pattern[str]:
    """A pattern that every display word matching `terms` contains (each analysed term is a
    substring of its normalised word): a cheap filter before the exact analysis."""
    if not terms:
        return re.compile(r"(?!)")
    alts = [_MARKS.join(_FOLDED.get(ch, re.escape(ch)) for ch in term) for term in sorted(terms, key=len)]
    return re.compile("|".join(reversed(alts)), re.IGNORECASE)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or "\u0610" <= ch <= "\u061a" or "\u064b" <= ch <= "\u065f" or ch == "\u0670"


def _matched_words(text: str, wanted: frozenset[str]) -> Iterator[tuple[int, int, frozenset[str]]]:
    """(start, end, terms) of each word of `text` whose analysis meets `wanted`, in order.

    Only words holding a surface form of a term are analysed; the rest of the text is skipped in C.
    """
    end = -1
    for m in _surface(wanted).finditer(text):
        if m.start() < end:
            continue  # another candidate inside the word just looked at
        start = m.start()
        while start > 0 and _is_word_char(text[start - 1]):
            start -= 1
        word = _WORD.match(text, m.start())
        end = word.end() if word else m.end()
        found = wanted & _word_terms(text[start:end])
        if found:
            yield start, end, found


def highlight(text: str, terms: Iterable[str]) -> str:
    """`text` escaped for Telegram HTML, with the words that match `terms` in <b>…</b>."""
    out: list[str] = []
    pos = 0
    for start, end, _found in _matched_words(text, frozenset(terms)):
        out.append(html.escape(text[pos:start], quote=False))
        out.append(f"<b>{html.escape(text[start:end], quote=False)}</b>")
        pos = end
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _sentences(summary: Sequence[str], text: str) -> list[str]:
    parts = [s.strip() for s in summary]
    body = _SENTENCE_END.split(text[:_MAX_SCAN_CHARS], maxsplit=_MAX_SENTENCES)[:_MAX_SENTENCES]
    parts += [s.strip() for s in body]
    return [p for p in parts if p]


def _trim(sentence: str, terms: frozenset[str], max_chars: int) -> str:
    """The part of a long sentence around its first matched word, with … where it was cut."""
    if len(sentence) <= max_chars:
        return sentence
    first = next(_matched_words(sentence, terms), None)
    centre = first[0] if first else 0
    start = max(0, centre - max_chars // 3)
    end = min(len(sentence), start + max_chars)
    start = max(0, end - max_chars)
    # Cut on word boundaries.
    if start > 0:
        space = sentence.find(" ", start)
        start = space + 1 if 0 <= space < centre else start
    if end < len(sentence):
        space = sentence.rfind(" ", start, end)
        end = space if space > start else end
    return ("… " if start > 0 else "") + sentence[start:end].strip() + (" …" if end < len(sentence) else "")


def make_snippet(
    summary: Sequence[str],
    text: str,
    terms: Iterable[str],
    *,
    max_chars: int = 240,
    enough: int | None = None,
) -> str:
    """The sentence that holds the most distinct query terms (the earliest on a tie), highlighted.

    The scan stops at the first sentence with `enough` distinct terms (the number of query words).
    When only the title matched, the story's first sentence stands in, so a hit always shows text.
    """
    wanted = frozenset(terms)
    enough = len(wanted) if enough is None else enough
    best, best_score = "", 0
    sentences = _sentences(summary, text)
    for sentence in sentences:
        found: set[str] = set()
        for _start, _end, terms_here in _matched_words(sentence, wanted):
            found |= terms_here
        if len(found) > best_score:
            best, best_score = sentence, len(found)
            if best_score >= enough:
                break
    if not best:
        best = sentences[0] if sentences else ""
    return highlight(_trim(best, wanted, max_chars), wanted)
