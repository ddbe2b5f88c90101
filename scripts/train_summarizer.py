"""Choose the summarizer's stemmer and weighting by measurement, and write summarizer/model.json.

    .venv/bin/python scripts/train_summarizer.py [--data /work/shared/data] [--write] [--skip-sumy]

Development data: ANT-BBC stories of Feb–Apr 2018 (the protocol's standfirsts as references) and
the even-numbered EASC articles. Held out: ANT-BBC May–Jul and the odd-numbered EASC articles.
The yardstick is the protocol's ROUGE-1 F1 (length-matched, see data/README.md), and every
candidate is compared with "position only" (our sentences, in order: the lead baseline over our
splitter and cleaning), measured in the same run.

1. Stemmer: light (ours), Snowball, ISRI, none, under the same weighting.
2. sumy's summarizers fed our tokenizer, stemmer and stop words (summarizer.sumy_bridge), alone and
   added to the position prior, for the record of what centrality measures give on these corpora.
3. A small grid over the weights of centrality, LexRank, title similarity and the MMR redundancy
   penalty, on top of the position prior and fixed editorial penalties (fragments, bare quotes,
   questions, dependent openings: these are there for readers, and the script reports that they
   cost nothing on ROUGE). The chosen point maximises the mean gain over position-only on the two
   development sets, with neither below it.
4. The short-budget rule on top of that point (summarizer.rank.Model.short_budget): when the word
   budget holds fewer than B median-length sentences, sentences after the first are added only if
   their MMR score reaches a floor. Chosen the same way, and only if it lowers neither development
   set.
5. No restatements, 6. no teaser questions, 7. no fragments: editorial rules for readers, fixed
   rather than fitted; the script prints what each costs or gains on ROUGE.

The figures printed are the record of the choice; --write stores the chosen model.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from summarizer_lab import Prepared, load_ant_with_months, load_easc, mean_r1, mean_rouge, prepare, rouge1

from summarizer.rank import Model

MODEL_FILE = Path(__file__).resolve().parents[1] / "summarizer" / "model.json"
# Editorial penalties: what reads badly in a summary out of context. Fixed, not fitted.
PRIORS = {"short": -0.03, "no_final": -0.1, "bare_quote": -0.05, "dependent": -0.03, "question": -0.05}
GRID = {
    "redundancy": (0.0, 0.1, 0.2, 0.3, 0.5, 0.7),
    "centrality": (0.0, 0.1, 0.2, 0.3, 0.4),
    "lexrank": (0.0, 0.05, 0.1),
    "title_sim": (0.0, 0.1, 0.2),
}


SHORT_GRID = {
    "short_budget": (1.5, 2.0, 2.5, 3.0),
    "short_min_score": (0.2, 0.25, 0.3, 0.35, 0.4),
}
_SELECTION = ("redundancy", "short_budget", "short_min_score", "duplicate", "teaser_words", "fragment_words")
# Not chosen by ROUGE, which cannot see it (0.3 to 0.6 move R1 by at most +0.01 on either set): a
# reader sees a story's lead twice in 16% of France 24 summaries without it. Read from samples,
# pairs of chosen sentences at cosine 0.3 or more are restatements; below, elaborations.
DUPLICATE = 0.3
# Nor this: a later paragraph's opening that rewrites an earlier pick (France 24's body restating its
# standfirst at cosine 0.22-0.28) is a restatement from 0.2 (summarizer/README.md, "What a reader
# sees in a card"); ROUGE does not move. Written as it is.
RESTATEMENT = 0.2
# Not chosen by ROUGE, which rewards a short question for its topic words: "فماذا يتضمن المشروع؟" or
# "لماذا؟" in a summary is a teaser whose answer is left out (1.4% of 3-sentence ANT summaries held
# one). Questions of 12 words or more mostly carry news in their clauses and stay.
TEASER_WORDS = 12
# Sentences of 1-4 words after the first ("دفاع جديد.", a list item): fragments to a reader of a
# 3-sentence summary. Read from samples; ROUGE happens to agree (3-6 all within +-0.05).
FRAGMENT_WORDS = 5


def model_of(point: dict[str, float], priors: bool = True, stemmer: str = "light") -> Model:
    weights = {"position": 1.0, **(PRIORS if priors else {})}
    weights.update({k: v for k, v in point.items() if k not in _SELECTION and v})
    return Model(
        weights=weights,
        redundancy=point.get("redundancy", 0.0),
        stemmer=stemmer,
        short_budget=point.get("short_budget", 0.0),
        short_min_score=point.get("short_min_score", 0.0),
        duplicate=point.get("duplicate", 0.0),
        teaser_words=int(point.get("teaser_words", 0)),
        fragment_words=int(point.get("fragment_words", 0)),
    )


POSITION_ONLY = Model(weights={"position": 1.0}, redundancy=0.0)


class Splits:
    def __init__(self, ant: list[Prepared], easc: list[Prepared]) -> None:
        self.ant_dev = [p for p in ant if p.month <= 4]
        self.ant_test = [p for p in ant if p.month > 4]
        self.easc_dev = easc[0::2]
        self.easc_test = easc[1::2]
        self.ant, self.easc = ant, easc
        self.base = {name: mean_r1(getattr(self, name), POSITION_ONLY) for name in self.names}

    names = ("ant_dev", "easc_dev", "ant_test", "easc_test", "ant", "easc")

    def gains(self, model: Model, names: Sequence[str] = names) -> dict[str, float]:
        return {name: mean_r1(getattr(self, name), model) - self.base[name] for name in names}


def prepare_all(data: Path, stemmer: str) -> tuple[list[Prepared], list[Prepared]]:
    ant = prepare(load_ant_with_months(data / "ant" / "ant-2018-02-to-07.jsonl.xz"), stemmer)
    easc = prepare(load_easc(data / "easc" / "easc.jsonl"), stemmer)
    return ant, easc


def fmt(gains: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:+.2f}" for k, v in gains.items())


def compare_stemmers(data: Path, reference: dict[str, float]) -> str:
    print("\n1. stemmers (gain in R1 over position-only, same weighting)")
    best, best_score = "light", -1e9
    for stemmer in ("light", "snowball", "isri", "none"):
        t0 = time.perf_counter()
        splits = Splits(*prepare_all(data, stemmer))
        gains = splits.gains(model_of(reference, stemmer=stemmer), ("ant_dev", "easc_dev"))
        score = sum(gains.values()) / 2
        print(f"   {stemmer:9s} {fmt(gains)}   ({time.perf_counter() - t0:.0f}s)")
        # Ties (within 0.05) go to the light stemmer: it is the fastest.
        if score > best_score + 0.05:
            best, best_score = stemmer, score
    print(f"   chosen: {best}")
    return best


def compare_sumy(splits: Splits) -> None:
    from summarizer.sumy_bridge import SUMMARIZERS, make_summarizer, ratings

    print("\n2. sumy summarizers fed our tokenizer/stemmer/stop words (R1 on the dev sets)")
    print(
        f"   {'':10s} {'ANT alone':>10s} {'EASC alone':>11s} {'ANT pos+0.1':>12s} {'EASC pos+0.1':>13s} {'ms/doc':>7s}"
    )
    print(
        f"   {'position':10s} {'':>10s} {'':>11s} {splits.base['ant_dev']:12.2f} {splits.base['easc_dev']:13.2f}"
    )
    for name in SUMMARIZERS:
        summarizer = make_summarizer(name)
        row = []
        elapsed = 0.0
        count = 0
        for docs in (splits.ant_dev, splits.easc_dev):
            alone, combined = [], []
            for p in docs:
                n = len(p.analysis.sentences)
                if n == 0:
                    alone.append(0.0)
                    combined.append(0.0)
                    continue
                t0 = time.perf_counter()
                r = np.asarray(ratings(summarizer, p.analysis.sentences))
                elapsed += time.perf_counter() - t0
                count += 1
                span = r.max() - r.min()
                r = (r - r.min()) / span if span > 0 else np.zeros(n)
                alone.append(rouge1(p, _budget_order(p, r)))
                combined.append(rouge1(p, _budget_order(p, 1.0 / (1.0 + np.arange(n)) + 0.1 * r)))
            row.append((100 * np.mean(alone), 100 * np.mean(combined)))
        (ant_a, ant_c), (easc_a, easc_c) = row
        print(
            f"   {name:10s} {ant_a:10.2f} {easc_a:11.2f} {ant_c:12.2f} {easc_c:13.2f} {1000 * elapsed / count:7.2f}"
        )


def _budget_order(p: Prepared, score: np.ndarray) -> list[int]:
    chosen: list[int] = []
    total = 0
    for i in np.argsort(-score, kind="stable"):
        w = p.analysis.words[int(i)]
        if chosen and total + w > p.budget:
            continue
        chosen.append(int(i))
        total += w
        if total >= p.budget:
            break
    return sorted(chosen)


def search(splits: Splits) -> dict[str, float]:
    print("\n3. grid search (gain in R1 over position-only on the dev sets)")
    keys = list(GRID)
    results = []
    for values in itertools.product(*(GRID[k] for k in keys)):
        point = dict(zip(keys, values, strict=True))
        gains = splits.gains(model_of(point), ("ant_dev", "easc_dev"))
        worst = min(gains.values())
        mean = sum(gains.values()) / 2
        # Simpler points win ties: fewer and smaller weights.
        results.append((worst >= 0, round(mean, 3), -sum(values), point, gains))
    results.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    for ok, _mean, _size, point, gains in results[:8]:
        print(f"   {point}  {fmt(gains)}{'' if ok else '  (below position-only on one set)'}")
    return results[0][3]


def search_short(splits: Splits, point: dict[str, float]) -> dict[str, float]:
    print("\n4. short-budget rule on the chosen point (gain in R1 over the point without it, dev sets)")
    names = ("ant_dev", "easc_dev")
    before = splits.gains(model_of(point), names)
    results = []
    for budget, floor in itertools.product(SHORT_GRID["short_budget"], SHORT_GRID["short_min_score"]):
        candidate = {**point, "short_budget": budget, "short_min_score": floor}
        after = splits.gains(model_of(candidate), names)
        delta = {k: after[k] - before[k] for k in names}
        # Rounded so that noise-level differences tie and the smaller budget and floor win.
        results.append(
            (
                min(delta.values()) >= -0.005,
                round(sum(delta.values()) / 2, 2),
                -budget,
                -floor,
                candidate,
                delta,
            )
        )
    results.sort(key=lambda r: (r[0], r[1], r[2], r[3]), reverse=True)
    for ok, _mean, _b, _f, candidate, delta in results[:6]:
        label = f"B {candidate['short_budget']} floor {candidate['short_min_score']}"
        print(f"   {label:20s} {fmt(delta)}{'' if ok else '  (lowers one set)'}")
    ok, mean, _b, _f, candidate, _delta = results[0]
    if not ok or mean <= 0:
        print("   not used: it helps neither set")
        return point
    return candidate


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--write", action="store_true", help=f"write {MODEL_FILE}")
    parser.add_argument("--skip-sumy", action="store_true", help="skip the (slow) sumy comparison")
    parser.add_argument(
        "--skip-stemmers", action="store_true", help="use the light stemmer without comparing"
    )
    args = parser.parse_args()
    if not (args.data / "easc" / "easc.jsonl").is_file():
        print(f"no data under {args.data}", file=sys.stderr)
        return 2
    reference = {"redundancy": 0.3, "centrality": 0.2, "title_sim": 0.1}
    stemmer = "light" if args.skip_stemmers else compare_stemmers(args.data, reference)
    splits = Splits(*prepare_all(args.data, stemmer))
    print(
        "\nposition-only R1 (lead over our sentences): "
        + "  ".join(f"{k} {v:.2f}" for k, v in splits.base.items())
    )
    if not args.skip_sumy:
        compare_sumy(splits)
    point = search_short(splits, search(splits))
    without = splits.gains(model_of(point, stemmer=stemmer))
    point = {**point, "duplicate": DUPLICATE}
    chosen = model_of(point, stemmer=stemmer)
    with_rule = splits.gains(chosen)
    print(f"\n5. no restatements (cosine >= {DUPLICATE}): R1 gain over the point without the rule")
    print("   " + fmt({k: with_rule[k] - without[k] for k in with_rule}))
    before_teasers = with_rule
    point = {**point, "teaser_words": TEASER_WORDS}
    chosen = model_of(point, stemmer=stemmer)
    with_teasers = splits.gains(chosen)
    print(f"\n6. no teaser questions (under {TEASER_WORDS} words, after the first sentence): R1 gain")
    print("   " + fmt({k: with_teasers[k] - before_teasers[k] for k in with_teasers}))
    point = {**point, "fragment_words": FRAGMENT_WORDS}
    chosen = model_of(point, stemmer=stemmer)
    with_fragments = splits.gains(chosen)
    print(f"\n7. no fragments (under {FRAGMENT_WORDS} words, after the first sentence): R1 gain")
    print("   " + fmt({k: with_fragments[k] - with_teasers[k] for k in with_fragments}))
    print(f"\nchosen: {point} + priors {PRIORS}")
    print("   with priors:    " + fmt(splits.gains(chosen)))
    print("   without priors: " + fmt(splits.gains(model_of(point, priors=False, stemmer=stemmer))))
    full = {name: mean_rouge(getattr(splits, name), chosen) for name in ("ant", "easc")}
    for name, (r1, r2, rl) in full.items():
        print(f"   {name} full protocol: R1 {r1:.2f}  R2 {r2:.2f}  RL {rl:.2f}")
    if args.write:
        record = {
            "weights": chosen.weights,
            "redundancy": chosen.redundancy,
            "stemmer": chosen.stemmer,
            "short_budget": chosen.short_budget,
            "short_min_score": chosen.short_min_score,
            "duplicate": chosen.duplicate,
            "restatement": RESTATEMENT,
            "teaser_words": chosen.teaser_words,
            "fragment_words": chosen.fragment_words,
            "trained_by": "scripts/train_summarizer.py",
            "development": "ANT-BBC Feb-Apr 2018 standfirsts + even-numbered EASC articles",
            "held_out_gain_r1": {
                k: round(v, 2) for k, v in splits.gains(chosen, ("ant_test", "easc_test")).items()
            },
        }
        MODEL_FILE.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
