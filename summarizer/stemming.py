"""Stemmers for comparing Arabic words: a light affix stripper (the default), Snowball, ISRI.

All take a normalised token (summarizer.normalize.tokens) and return its stem. Sentences of one
story repeat the same words, and stories repeat each other's, so stems are memoised: stemming a
word costs a dictionary look-up after its first sighting.

The light stemmer follows Larkey, Ballesteros & Connell's "light10" (2002): strip one definite-
article prefix (with its conjunction or preposition: وال، بال، كال، فال، لل، ال) and one suffix,
keeping at least a two-letter stem. Unlike light10 it never strips a bare و: too many news words
begin with one (وزير، وزارة، وطن، وقت، واحد), and light10 maps الوزير to وزير but وزير to زير. It was chosen by
measurement over Snowball and ISRI (see scripts/train_summarizer.py): it merges the inflections that
matter for sentence similarity (الرئيس/رئيس/والرئيس, اللاجئين/اللاجئون) without the root-level
over-merging of ISRI (مدرسة → درس).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

# Normalised forms (ة → ه, أ/إ/آ → ا), longest first.
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")

Stemmer = Callable[[str], str]


@lru_cache(maxsize=200_000)
def light_stem(word: str) -> str:
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            word = word[len(p) :]
            break
    for s in _SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 2:
            word = word[: -len(s)]
            break
    return word


def _cached(stem: Stemmer) -> Stemmer:
    return lru_cache(maxsize=200_000)(stem)


@cache
def get_stemmer(name: str = "light") -> Stemmer:
    """A memoised stemmer by name: "light", "snowball", "isri" or "none"."""
    if name == "light":
        return light_stem
    if name == "none":
        return lambda word: word
    if name == "snowball":
        from nltk.stem.snowball import ArabicStemmer

        return _cached(ArabicStemmer().stem)
    if name == "isri":
        from nltk.stem.isri import ISRIStemmer

        return _cached(ISRIStemmer().stem)
    raise ValueError(f"unknown stemmer {name!r}")
