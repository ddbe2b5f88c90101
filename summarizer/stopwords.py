"""Arabic stop words, normalised the same way as the words they are compared with."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from summarizer.normalize import normalize

_FILE = Path(__file__).with_name("stopwords_ar.txt")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The stop-word list, each word normalised (so "إلى" and "الى" are both caught)."""
    words = set()
    for line in _FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize(line))
    return frozenset(words)
