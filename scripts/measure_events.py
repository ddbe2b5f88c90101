"""How bot.feeds.events sorts pairs of stories from different outlets, measured on ANT.

    python scripts/measure_events.py /path/to/ant-2018-02-to-07.jsonl.xz [--show 0.55 --pairs 12]

Prints, for pairs of stories from two different outlets published within --hours of each other,
how many fall in each similarity band, and with --show BAND a random sample of that band's pairs
(headlines) to read: whether they are one event told twice is a reader's judgement.
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
from collections import defaultdict
from email.utils import parsedate_to_datetime

from bot.feeds.events import SAME_EVENT, event_vector, similarity


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ant")
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--show", type=float, action="append", default=[], help="band to sample, e.g. 0.55")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    stories = []
    with lzma.open(args.ant, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            try:
                when = parsedate_to_datetime(record["time"]).timestamp()
            except (TypeError, ValueError):
                continue
            vector = event_vector(record["title"], record["text"])
            stories.append((when, record["source"], record["title"], vector))
    stories.sort(key=lambda s: s[0])

    bands: dict[float, list[tuple[float, int, int]]] = defaultdict(list)
    start = 0
    for i, (when, source, _, vector) in enumerate(stories):
        while stories[start][0] < when - args.hours * 3600:
            start += 1
        for j in range(start, i):
            if stories[j][1] != source:
                score = similarity(vector, stories[j][3])
                if score >= 0.3:
                    bands[int(score * 20) / 20].append((score, j, i))

    print(f"{len(stories)} stories; pairs from two outlets within {args.hours:g} h, by similarity:")
    print("| band | pairs |\n|---|---|")
    for band in sorted(bands):
        print(f"| {band:.2f}–{band + 0.05:.2f} | {len(bands[band])} |")
    total = sum(len(p) for b, p in bands.items() if b >= SAME_EVENT - 1e-9)
    print(f"\n{total} pairs at or above SAME_EVENT = {SAME_EVENT}")
    rng = random.Random(args.seed)
    for band in args.show:
        pairs = bands.get(int(band * 20 + 1e-9) / 20, [])
        print(f"\n== {band:.2f}–{band + 0.05:.2f}: {args.pairs} of {len(pairs)}")
        for score, j, i in rng.sample(pairs, min(args.pairs, len(pairs))):
            print(f"{score:.2f} {stories[j][1][:8]:8} {stories[j][2][:90]}")
            print(f"     {stories[i][1][:8]:8} {stories[i][2][:90]}")


if __name__ == "__main__":
    main()
