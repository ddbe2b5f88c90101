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

from bot.search.analyzer import index_terms, spellings

# A displayed word: letters and digits of any script plus Arabic marks and tatweel.
_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640])+")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+|\n+")
# The best sentence is looked for in the summary and the body's opening; a word that only occurs
# deeper in a very long story shows the lead instead (bounded cost per hit).
_MAX_SENTENCES = 40
_MAX_SCAN_CHARS = 4000


# normalize() folds these letters and drops marks; the display text is folded the same way (one
# letter for one letter) and its marks cut out, so a plain substring search finds every spelling the
# analysis would have folded onto a term. (A regex per query did the same but cost a millisecond
# to compile, more than the search itself.)
_MARK_RUN = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")
# Letter for letter, so positions carry over. str.replace per letter runs in C; str.translate
# with a table looks every letter up in a dict (ten times slower on Arabic text).
_FOLD_LETTERS = (
    *((ch, "ا") for ch in "أإآٱ"),
    ("ى", "ي"),
    ("ة", "ه"),
    ("ؤ", "ء"),
    ("ئ", "ء"),
    *zip("پچژگڤیک", "بجزكفيك", strict=True),
)
_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
_FOLD_DIGITS = str.maketrans(
    {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)


def _fold(text: str) -> str:
    for letter, base in _FOLD_LETTERS:
        text = text.replace(letter, base)
    if _DIGITS.search(text):
        text = text.translate(_FOLD_DIGITS)
    return text


@lru_cache(maxsize=100_000)
def _word_terms(word: str) -> frozenset[str]:
    return frozenset(index_terms(word))


def _hit(word: str, terms: set[str] | frozenset[str]) -> bool:
    return not terms.isdisjoint(_word_terms(word))


@lru_cache(maxsize=1024)
def _needles(terms: frozenset[str]) -> tuple[str, ...]:
    # A term folded from another spelling (ترمب → ترامب) is looked for under each spelling.
    return tuple(dict.fromkeys(_fold(w).lower() for t in terms if t for w in spellings(t)))


def _folded(text: str) -> tuple[str, list[int] | None]:
    """`text` folded, lower-cased and without marks, and where each of its letters is in `text`
    (None when they are in the same place). Lower-casing that changes the length (a handful of
    letters such as İ) keeps the letter as it is."""
    base = _fold(text)
    folded = base.lower()
    if len(folded) != len(base):
        folded = "".join(low if len(low := ch.lower()) == 1 else ch for ch in base)
    if _MARK_RUN.search(folded) is None:
        return folded, None
    kept: list[int] = []
    pieces: list[str] = []
    pos = 0
    for m in _MARK_RUN.finditer(folded):
        pieces.append(folded[pos : m.start()])
        kept.extend(range(pos, m.start()))
        pos = m.end()
    pieces.append(folded[pos:])
    kept.extend(range(pos, len(folded)))
    return "".join(pieces), kept


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or "\u0610" <= ch <= "\u061a" or "\u064b" <= ch <= "\u065f" or ch == "\u0670"


def _candidates(folding: tuple[str, list[int] | None], wanted: frozenset[str]) -> list[int]:
    """Where in the text (`_folded` of it) a surface form of a term starts, in order (each analysed
    term is a substring of its normalised word: a cheap filter before the exact analysis)."""
    needles = _needles(wanted)
    if not needles:
        return []
    folded, kept = folding
    starts: set[int] = set()
    for needle in needles:
        at = folded.find(needle)
        while at >= 0:
            starts.add(at)
            at = folded.find(needle, at + 1)
    if kept is None:
        return sorted(starts)
    return [kept[at] for at in sorted(starts)]


# Terms the analyser joins from two written words (bot.search.analyzer): a name and its number
# ("إف-16", "F 16", "كوفيد-19" → اف16, f16, كوفيد19) and a decimal ("1.2" → 1d2). Written with a
# hyphen, a space or a decimal mark between the parts, they are no substring of the text.
_NAME_NUMBER = re.compile(r"^([^\W\d_]+)(\d+)$")
_DECIMAL = re.compile(r"^(\d+)d(\d+)$")


@lru_cache(maxsize=1024)
def _joined(terms: frozenset[str]) -> re.Pattern[str] | None:
    """A pattern over the folded text for the joined terms among `terms`, or None."""
    parts = []
    for term in sorted(terms):
        if m := _NAME_NUMBER.match(term):
            parts.append(re.escape(_fold(m[1]).lower()) + r"[-\s]?" + m[2])
        elif m := _DECIMAL.match(term):
            parts.append(m[1] + r"[.,\u066b]" + m[2])
    return re.compile("|".join(parts)) if parts else None


def _joined_words(
    text: str, folding: tuple[str, list[int] | None], wanted: frozenset[str]
) -> list[tuple[int, int, frozenset[str]]]:
    """(start, end, terms) of each run of words that the analyser reads as one of the joined terms
    in `wanted`, the run whole ("إف-16", "1.2")."""
    pattern = _joined(wanted)
    if pattern is None:
        return []
    folded, kept = folding
    spans = []
    for m in pattern.finditer(folded):
        start = kept[m.start()] if kept else m.start()
        end = kept[m.end() - 1] + 1 if kept else m.end()
        while start > 0 and _is_word_char(text[start - 1]):
            start -= 1
        while end < len(text) and _is_word_char(text[end]):
            end += 1
        found = wanted & frozenset(index_terms(text[start:end]))
        if found:
            spans.append((start, end, found))
    return spans


def _matched_words(text: str, wanted: frozenset[str]) -> Iterator[tuple[int, int, frozenset[str]]]:
    """(start, end, terms) of each word of `text` whose analysis meets `wanted`, in order.

    Only words holding a surface form of a term are analysed; the rest of the text is skipped in C.
    """
    if not _needles(wanted):
        return
    folding = _folded(text)
    joined = _joined_words(text, folding, wanted)
    words: list[tuple[int, int, frozenset[str]]] = []
    end = -1
    for at in _candidates(folding, wanted):
        if at < end or any(s <= at < e for s, e, _ in joined):
            continue  # inside the word just looked at, or inside a joined run
        start = at
        while start > 0 and _is_word_char(text[start - 1]):
            start -= 1
        word = _WORD.match(text, at)
        end = word.end() if word else at + 1
        found = wanted & _word_terms(text[start:end])
        if found:
            words.append((start, end, found))
    if not joined:
        yield from words
        return
    last = -1
    for span in sorted([*joined, *words]):
        if span[0] >= last:  # a word the joined run already covers is not bolded twice
            yield span
            last = span[1]


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


def _sentences(summary: Sequence[str], text: str) -> Iterator[str]:
    """The summary's sentences, then the first _MAX_SENTENCES of the body's opening, without
    blanks; lazily, as the best sentence is usually among the first few."""
    for part in summary:
        if part := part.strip():
            yield part
    scan = text[:_MAX_SCAN_CHARS]
    pos = 0
    for count, m in enumerate(_SENTENCE_END.finditer(scan), start=1):
        if part := scan[pos : m.start()].strip():
            yield part
        pos = m.end()
        if count == _MAX_SENTENCES:
            return
    if part := scan[pos:].strip():
        yield part


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
    best, best_score, first = "", 0, ""
    for sentence in _sentences(summary, text):
        first = first or sentence
        found: set[str] = set()
        for _start, _end, terms_here in _matched_words(sentence, wanted):
            found |= terms_here
        if len(found) > best_score:
            best, best_score = sentence, len(found)
            if best_score >= enough:
                break
    if not best:
        best = first
    return highlight(_trim(best, wanted, max_chars), wanted)
