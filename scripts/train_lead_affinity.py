"""Learning from the BBC standfirsts which words a lead keeps: does it choose the lead better?
(issue #3, fourth round). It did not, so nothing ships: this script is the record of the measurement
(summarizer/README.md quotes its figures).

    .venv/bin/python scripts/train_lead_affinity.py [--data /work/shared/data]

On ANT-BBC the first sentence is not the best lead in 19% of the stories, and neither title nor
centroid similarity, lexical or semantic, finds the better one (scripts/train_semantic.py). What
decides it is which words the standfirst shares with the sentence. This tries the supervised
version of that: for every word (normalised, unstemmed, as ROUGE counts it), how much likelier it
is to appear in the standfirst when it appears in one of the first ten sentences of the body,
smoothed log-odds against the base rate, learned from the development months' standfirsts. A
candidate lead then gets its mean word affinity and its expected ROUGE-1 F1 under those odds.

The affinities of a development story are learned from the other half of the development stories
(two folds), so that the lead model fitted on them does not see a story's own standfirst; the
held-out months use affinities from all development stories. Without that cross-fitting the
development gain is an artefact (+0.4 to +0.6 R1, while the held-out months lose).

Measured: the listwise lead model of scripts/train_semantic.py (expected ROUGE under a softmax
over the first five sentences, fitted on Feb–Apr), lexical features alone and with the affinity
features, and picking the candidate of highest expected F1 outright.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_semantic import ANT_FILE, LEADS, Lab

from summarizer.rank import F

SMOOTHING = 5.0  # pseudo-counts at the base rate


class Affinity:
    def __init__(self) -> None:
        self.hit: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()

    def learn(self, sentence_tokens: list[list[str]], reference: list[str]) -> None:
        ref = set(reference)
        for t in {t for s in sentence_tokens[:10] for t in s}:
            self.seen[t] += 1
            self.hit[t] += t in ref

    def __add__(self, other: Affinity) -> Affinity:
        out = Affinity()
        out.hit, out.seen = self.hit + other.hit, self.seen + other.seen
        return out

    def scores(self, toks: list[str], base: float) -> np.ndarray:
        """Each word's log-odds of reaching the standfirst, relative to the base rate."""
        prior = np.log(base / (1 - base))
        return np.array(
            [
                np.log(
                    (self.hit[t] + SMOOTHING * base) / (self.seen[t] - self.hit[t] + SMOOTHING * (1 - base))
                )
                - prior
                for t in toks
            ]
        )


def features(lab: Lab) -> np.ndarray:
    folds = [Affinity(), Affinity()]
    for d, p in enumerate(lab.ant):
        if lab.dev[d]:
            folds[d % 2].learn(p.sentence_tokens, p.ref_tokens[0])
    everything = folds[0] + folds[1]
    base = sum(everything.hit.values()) / sum(everything.seen.values())
    out = np.zeros((len(lab.ant), LEADS, 10))
    for d, p in enumerate(lab.ant):
        table = folds[1 - d % 2] if lab.dev[d] else everything
        f = p.analysis.features
        for j in range(min(LEADS, len(f))):
            toks = p.sentence_tokens[j] or ["-"]
            a = table.scores(toks, base)
            hits = (1 / (1 + np.exp(-(a + np.log(base / (1 - base)))))).sum()
            w = p.analysis.words[j] / p.budget
            lexical = [float(j == k) for k in range(1, LEADS)] + [
                w,
                float(w > 1),
                f[j, F["title_sim"]] - f[0, F["title_sim"]],
                f[j, F["dependent"]],
            ]
            out[d, j] = [*lexical, a.mean(), 2 * hits / (len(toks) + p.budget)]
    return out


def listwise(lab: Lab, x: np.ndarray) -> np.ndarray:
    """Weights maximising the expected R1 of the lead under a softmax, fitted on the dev months."""
    reward = np.where(lab.valid, lab.forced, 0.0)
    dev = lab.dev
    w = np.zeros(x.shape[2])
    for _ in range(3000):
        s = np.where(lab.valid[dev], x[dev] @ w, -np.inf)
        prob = np.exp(s - s.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        r = reward[dev]
        advantage = prob * (r - (prob * r).sum(axis=1, keepdims=True))
        w += 5.0 * ((advantage[:, :, None] * x[dev]).sum(axis=(0, 1)) / dev.sum() - 0.01 * w)
    return np.argmax(np.where(lab.valid, x @ w, -np.inf), axis=1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    if not (args.data / ANT_FILE).is_file():
        print(f"no data under {args.data}", file=sys.stderr)
        return 2
    lab = Lab(args.data)
    x = features(lab)
    print("R1 gain over the shipped lead (dev Feb–Apr / held out May–Jul), share of stories switched")
    for label, cols in (
        ("listwise, lexical", slice(0, 8)),
        ("listwise, + mean affinity", slice(0, 9)),
        ("listwise, + affinity and expected F1", slice(0, 10)),
    ):
        picks = listwise(lab, x[:, :, cols])
        dev, test = lab.gain(picks)
        print(f"   {label:38s} {dev:+.2f} / {test:+.2f}   {np.mean(picks != 0):.1%}")
    picks = np.argmax(np.where(lab.valid, x[:, :, 9], -np.inf), axis=1)
    dev, test = lab.gain(picks)
    print(f"   {'highest expected F1':38s} {dev:+.2f} / {test:+.2f}   {np.mean(picks != 0):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
