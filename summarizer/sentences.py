"""Arabic sentence splitting.

Sentences end at . ! ? ؟ … (and runs of them) followed by white space, and at line breaks. Commas,
semicolons and colons (، ؛ : , ;) never end a sentence: in Arabic news they join clauses of one
sentence, and a summary made of clauses reads as fragments. A full stop does not end a sentence when
it belongs to a number (3.5), an abbreviation (د. أ. ص.), a list number at the start of a line, or
when it sits inside quotes or brackets that close on the same line: a quoted statement stays whole.
A short attribution standing as a sentence of its own ("… الفائدة. حسب رويترز.") belongs to the
sentence before it, which it sources: it is kept with that sentence, so a summary neither shows it
alone nor drops it from the claim it sources. There is no cap on the number of sentences.
"""

from __future__ import annotations

import re

from summarizer.normalize import normalize

# Candidate boundary: final punctuation, any closing quotes/brackets that follow it, then space, or
# (a common typo) an Arabic word glued to the full stop: "الثلجية.لطالما", "غرينلاند .والرياح",
# "إلى نوح.و تعني" (a one-letter conjunction is a word too).
_BOUNDARY = re.compile(
    r"([.!?؟…]+)([\"'»”’)\]}]*)(?=\s|[\u0621-\u064A][\u064B-\u0652\u0640]*[\u0621-\u064A]|[وف]\s)"
)
# What may end a sentence glued to the next: a word of two Arabic letters or more, a Latin word or a
# number ("IBM.سمحت", "عام 2004.سوف"), or a closing quote or bracket ("(Angina).وزن"), with or
# without a space before the stop; a lone Arabic letter is an abbreviation ("د.محمد").
_GLUED = re.compile(r"(?:[\u0621-\u064A\u064B-\u0652\u0640]{2,}|[A-Za-z0-9\u0660-\u0669]|[\"»”’)\]}]) *$")
# ... except between Latin letters spelled in Arabic, an abbreviation (بي.بي.سي، سي.إن.إن، إم.إتش17:
# 700 in ANT), while "فيتامين سي.كما" and "تكريما له.على" are the typo. Normalised spellings.
_LETTER_NAMES = frozenset(
    [
        "اي",
        "ايه",
        "بي",
        "سي",
        "دي",
        "اف",
        "جي",
        "اتش",
        "جيه",
        "كي",
        "كيه",
        "ال",
        "ام",
        "ان",
        "او",
        "كيو",
        "ار",
        "اس",
        "تي",
        "يو",
        "في",
        "دبليو",
        "اكس",
        "واي",
        "زد",
        "زي",
    ]
)
# ... nor before a domain ending spelled in Arabic: "العربية.نت" is Al Arabiya's site, a name.
_DOMAIN = re.compile(r"(?:نت|كوم)(?![\u0621-\u064A\u064B-\u0652\u0640])")
_LETTERS_BEFORE = re.compile(r"[\u0621-\u064A\u064B-\u0652\u0640]+$")
_LETTERS_AFTER = re.compile(r"[\u0621-\u064A\u064B-\u0652\u0640]+")
_OPENERS = {"«": "»", "(": ")", "[": "]", "{": "}", "“": "”"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_QUOTE_CHAR = re.compile(r'["«»“”()\[\]{}]')
_NEW_SENTENCE = re.compile(r"[.!?؟]\s+و[\u0621-\u064A]{2,}")
_WORD_BEFORE = re.compile(r"(\S+)$")
_HAS_WORD = re.compile(r"[0-9A-Za-z\u0621-\u064A\u0660-\u0669\u06F0-\u06F9]")
_NUMBER = re.compile(r"^[\d\u0660-\u0669\u06F0-\u06F9]+$")
# Abbreviations written with a full stop that do not end a sentence. Single letters (د. for doctor,
# أ. for professor, ص. for page, ج. for part...) are handled generally; these are the longer ones.
_ABBREVIATIONS = frozenset(
    {
        "ق.م",
        "ص.ب",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "no",
        "inc",
        "co",
        "ltd",
        "أ.د",
        "م.م",
    }
)
# After a number, م. (ميلادي) and هـ. (هجري) close a date, which often ends the sentence.
_ERA_MARKS = frozenset({"م", "هـ", "ه"})
_OPENING_PUNCT = "«\"“'([{"
# "حسب رويترز." "بحسب ما أوردت رويترز." "وفقا لوكالة أسوشيتد برس." (normalised forms)
_ATTRIBUTION = re.compile(r"^و?(?:ب?حسب|وفقا|وفق|طبقا|نقلا عن|على حد قول)(?:\s|$)")
_ATTRIBUTION_MAX_WORDS = 6
_STRAY_STOP = re.compile(r"\s*[.!?؟…،,؛]+")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, verbatim (only surrounding white space removed), in order."""
    if not text:
        return []
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(s for s in _split_line(line) if _HAS_WORD.search(s))
    return out


def _split_line(line: str) -> list[str]:
    spans = _piece_spans(line)
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        stray = _STRAY_STOP.match(line, a, b)
        if merged and stray:
            # "… خليجة .. . ماذا يريد؟" or "خطيرة. .وحذر": a stop typed twice belongs to the
            # sentence it ends, not at the head of the next one, where a reader sees it.
            merged[-1] = (merged[-1][0], stray.end())
            a = stray.end()
        if merged and _is_attribution(line[a:b].strip()):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return [line[a:b].strip() for a, b in merged]


def _is_attribution(piece: str) -> bool:
    words = piece.split()
    return (
        len(words) <= _ATTRIBUTION_MAX_WORDS
        and "،" not in piece
        and bool(_ATTRIBUTION.match(normalize(piece)))
    )


def _piece_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in the line, before attributions are joined to theirs."""
    protected = _protected_spans(line) if _QUOTE_CHAR.search(line) else []
    pieces: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        end = m.end()
        if protected and _inside(end, protected):
            continue
        glued = end < len(line) and not line[end].isspace()
        if glued and not _GLUED.search(line[start : m.start()]):
            continue  # only a stop glued to an Arabic word is a typo; "3.5" and "U.S" are not
        if glued and (_spelled_abbreviation(line[start : m.start()], line[end:]) or _DOMAIN.match(line, end)):
            continue
        if m.group(1) == "." and not _ends_sentence(line[start : m.start()]):
            continue
        if line[start:end].strip():
            pieces.append((start, end))
        start = end
    if line[start:].strip():
        pieces.append((start, len(line)))
    return pieces


def _spelled_abbreviation(before: str, after: str) -> bool:
    """Whether the words either side of a glued stop are both Latin letters spelled in Arabic."""
    left = _LETTERS_BEFORE.search(before)
    right = _LETTERS_AFTER.match(after)
    return bool(
        left
        and right
        and normalize(left.group()) in _LETTER_NAMES
        and normalize(right.group()) in _LETTER_NAMES
    )


def _ends_sentence(sentence_so_far: str) -> bool:
    """Whether a single full stop after this text ends a sentence (not an abbreviation or list number)."""
    if sentence_so_far[-1:].isspace():
        return bool(sentence_so_far.strip())  # "... snow white ." : a stop set apart ends the sentence
    m = _WORD_BEFORE.search(sentence_so_far)
    if m is None:
        return False  # a stray full stop at the start of a segment
    word = m.group(1).lstrip(_OPENING_PUNCT)
    if not word:
        return True
    head = sentence_so_far[: m.start()].split()
    if _NUMBER.match(word):
        # "1. ..." at the start of a line numbers a list item.
        return bool(head)
    lowered = word.lower()
    if lowered in _ABBREVIATIONS:
        return False
    if len(word) == 1 or (len(word) == 2 and word.endswith("ـ")):
        # An initial or a one-letter abbreviation (د. محمد، أ. أحمد، J. Smith) does not end a sentence,
        # but an era mark after a year does: "ولد عام 1770 م."
        return bool(word in _ERA_MARKS and head and _NUMBER.match(head[-1]))
    return True


def _protected_spans(line: str) -> list[tuple[int, int]]:
    """Spans (opener index, closer index) of quotes and brackets that close on this line."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    straight: list[int] = []
    for m in _QUOTE_CHAR.finditer(line):
        c, i = m.group(), m.start()
        if c == '"':
            straight.append(i)
        elif c in _OPENERS:
            stack.append((c, i))
        elif c in _CLOSERS:
            opener = _CLOSERS[c]
            # Pop to the matching opener; unmatched closers (a typo) are ignored.
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == opener:
                    spans.append((stack[k][1], i))
                    del stack[k:]
                    break
    # Straight double quotes pair up in order; an odd last one is a typo and protects nothing.
    pairs = list(zip(straight[::2], straight[1::2], strict=False))
    if len(straight) % 2:
        # One quote never closes, so the pairs may be wrong: «قناة "الإخبارية الرسمية بأن "قوات …
        # الرياض". وأضافت "الإخبارية" …» pairs the second and third marks across a sentence end.
        # A pair that holds a stop and then a new sentence opening with و is not a quotation.
        pairs = [p for p in pairs if not _NEW_SENTENCE.search(line, p[0], p[1])]
    spans.extend(pairs)
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether cutting the line before `position` would cut a protected span in two."""
    return any(a < position <= b for a, b in spans)
