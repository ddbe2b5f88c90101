#!/usr/bin/env python3
"""Derive the analyzer's two word lists from the ANT corpus (bot/search/whole_words.txt and
bot/search/short_words.txt). Reproducible: the same corpus gives the same files.

    .venv/bin/python scripts/derive_search_words.py /work/shared/data/ant/ant-2018-02-to-07.jsonl.xz

ANT corpus v2.1 (Chouigui, Ben Khiroun, Elayeb 2021): only word counts are kept, never text.

whole_words.txt: words that start with a proclitic letter (و ف ب ك ل) but are words in their own
right, so the analyzer never reads them as proclitic + rest (بحرية is not ب + حرية):
  * the article ال never precedes a proclitic, so a word W whose ال-form (الW) occurs at least
    ARTICLE_MIN times is a word: البحرية، البطولة، الوزارة، الفقراء → بحرية، بطولة، وزارة، فقراء;
  * a word seen at least WHOLE_MIN times whose every proclitic reading leaves a rest seen (alone or
    with ال) less than 1/RARE_RATIO as often: فلاديمير (لاديمير، اديمير)، بوتين (وتين)، فرنسا.
short_words.txt: three-letter words a query may find under a proclitic (بغزة → غزة، لمصر → مصر):
  seen alone at least SHORT_MIN times, not a stop word, and at least SHORT_RATIO times as often as
  each of its one-letter proclitic forms (so بسام, a name, is not read as ب + سام). The corpus cannot
  vouch for every short name this way (وحلب is a fifth as frequent as حلب, كسرت is a verb, عكا is
  seen three times): the analyzer also reads a proclitic off the hand-kept places of
  bot/search/places.txt.
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.search.analyzer import STOP_WORDS
from summarizer.normalize import tokens

ARTICLE_MIN = 2
WHOLE_MIN = 5
RARE_RATIO = 20
SHORT_MIN = 20
SHORT_RATIO = 5
_LETTERS = "وفبكل"
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ك", "ل")
_ARTICLES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ال", "ولل", "فلل", "لل")
OUT = Path(__file__).resolve().parent.parent / "bot" / "search"


def count(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with lzma.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            counts.update(tokens(f"{record.get('title') or ''}\n{record.get('text') or ''}"))
    return counts


def _arabic(word: str) -> bool:
    return "\u0621" <= word[0] <= "\u064a"


def whole_words(counts: Counter[str]) -> list[str]:
    def seen(rest: str) -> int:
        return counts[rest] + counts["ال" + rest]

    words = {
        t[2:]
        for t, n in counts.items()
        if n >= ARTICLE_MIN and t.startswith("ال") and len(t) >= 6 and t[2] in _LETTERS
    }
    for word, n in counts.items():
        if n < WHOLE_MIN or not _arabic(word) or word[0] not in _LETTERS or word.startswith(_ARTICLES):
            continue
        rests = [word[len(p) :] for p in _PROCLITICS if word.startswith(p) and len(word) - len(p) >= 3]
        if rests and max(seen(r) for r in rests) * RARE_RATIO < n:
            words.add(word)
    return sorted(words)


def short_words(counts: Counter[str]) -> list[str]:
    return sorted(
        x
        for x, n in counts.items()
        if len(x) == 3
        and _arabic(x)
        and n >= SHORT_MIN
        and x not in STOP_WORDS
        and all(counts[p + x] * SHORT_RATIO <= n for p in _LETTERS)
    )


def write(name: str, words: list[str], rule: str) -> None:
    head = f"# {rule}\n# Derived from the ANT corpus v2.1 by scripts/derive_search_words.py; do not edit.\n"
    (OUT / name).write_text(head + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{name}: {len(words)} words")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, help="ant-2018-02-to-07.jsonl.xz")
    counts = count(parser.parse_args().corpus)
    write("whole_words.txt", whole_words(counts), "Words never read as proclitic + rest (normalised).")
    write("short_words.txt", short_words(counts), "Three-letter words a query finds under a proclitic.")


if __name__ == "__main__":
    main()
