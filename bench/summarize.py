"""Summarizer throughput on real ANT stories: ours vs sumy's default Arabic LexRank, one core.

    python bench/summarize.py /work/shared/data/ant/ant-2018-02-to-07.jsonl.xz [--stories 2000]

Takes every k-th story of the corpus (all five outlets, spread over Feb–Jul 2018) so the sample is
not one outlet's week, summarises each to 3 sentences with both systems, and prints stories per
second of CPU time (process time, so other load on the machine does not count) and the ratio.
Both run in this process, one after the other, on the same texts.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CORPUS_SIZE = 25_822  # stories in ant-2018-02-to-07.jsonl.xz; only used to space the sample


def load_sample(path: Path, stories: int) -> list[dict[str, Any]]:
    step = max(CORPUS_SIZE // stories, 1)
    opener: Any = lzma.open if path.name.endswith(".xz") else open
    out: list[dict[str, Any]] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % step == 0:
                record = json.loads(line)
                if record.get("text"):
                    out.append(record)
                    if len(out) >= stories:
                        break
    return out


def ours() -> Callable[[str, str | None], list[str]]:
    from summarizer import summarize

    return lambda text, title: summarize(text, title=title, sentences=3)


def sumy_lexrank() -> Callable[[str, str | None], list[str]]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.nlp.tokenizers import Tokenizer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    summarizer = LexRankSummarizer(Stemmer("arabic"))
    summarizer.stop_words = get_stop_words("arabic")
    tokenizer = Tokenizer("arabic")

    def run(text: str, title: str | None) -> list[str]:
        document = PlaintextParser.from_string(text, tokenizer).document
        return [str(s) for s in summarizer(document, 3)]

    return run


def measure(fn: Callable[[str, str | None], list[str]], stories: list[dict[str, Any]]) -> float:
    fn(stories[0]["text"], stories[0].get("title"))  # imports and caches are set-up, not throughput
    start = time.process_time()
    for s in stories:
        fn(s["text"], s.get("title"))
    return len(stories) / (time.process_time() - start)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", type=Path, help="ant-2018-02-to-07.jsonl.xz")
    parser.add_argument("--stories", type=int, default=2000)
    args = parser.parse_args()
    if not args.path.is_file():
        print(f"no such file: {args.path}", file=sys.stderr)
        return 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the bot runs it
    import warnings

    warnings.filterwarnings("ignore", category=RuntimeWarning)  # sumy's LexRank divides by zero norms
    stories = load_sample(args.path, args.stories)
    ours_rate = measure(ours(), stories)
    sumy_rate = measure(sumy_lexrank(), stories)
    print(f"summarizer throughput, {len(stories)} ANT stories, 3 sentences each, one core (CPU time)")
    print(f"{'system':34s} {'stories/s':>10s}")
    print(f"{'ours (summarizer.summarize)':34s} {ours_rate:10.1f}")
    print(f"{'sumy LexRank (default Arabic)':34s} {sumy_rate:10.1f}")
    print(f"{'ratio ours / sumy':34s} {ours_rate / sumy_rate:10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
