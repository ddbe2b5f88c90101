"""Corpus-derived semantic similarity for the summarizer: train word vectors on ANT story bodies,
unsupervised, and measure whether they improve the summaries (issue #3). They did not, so nothing
ships: this script is the record of the measurement (summarizer/README.md quotes its figures).

    .venv/bin/python scripts/train_semantic.py [--data /work/shared/data] [--months 4]
        [--vectors lsa-story:64 ppmi:100 ...] [--keep DIR]

Training data: the bodies (the `text` field) of every ANT story, all five outlets, dated up to the
end of --months (default 4: Feb–Apr 2018, the development months of scripts/train_summarizer.py;
12 = all bodies). Never the `abstract` (the ANT-BBC references), never EASC. Terms are the
summarizer's own (summarizer.rank.terms: normalised, stop words out, light stem); the 20,000 terms
found in most stories are kept.

Vector kinds (KIND:DIMS):
- lsa-story, lsa-paragraph: LSA. The unit × term matrix (log(1 + tf) × idf, rows of unit length)
  reduced by a randomised SVD (Halko, Martinsson & Tropp 2011) in plain numpy, a chunk of rows at a
  time; a term's vector is idf × its right singular vector, so a sentence's vector (the sum of its
  terms') is the LSA fold-in up to the singular values.
- ppmi: positive PMI of terms within ±5 terms in a paragraph (context counts smoothed by ^0.75,
  Levy, Goldberg & Dagan 2015), reduced by the same SVD; a term's vector is U√S scaled to unit
  length, times idf.

Measured (dev = ANT-BBC Feb–Apr + even-numbered EASC articles, held out = ANT-BBC May–Jul + odd
EASC, ROUGE-1 F1 of the protocol, against the shipped model measured in the same run):
1. Diagnostics on the "hard" ANT-BBC stories, those where forcing another of the first five
   sentences to lead (then filling as usual) beats leading with the first: how often each
   similarity prefers the best lead to the first, and, as a ceiling, how often similarity to the
   reference itself picks it (semantic vs word overlap).
2. Choosing the lead among the first five on ANT: argmax of a × 1/(1+i) + semantic title
   similarity + semantic centroid similarity + lexical title similarity, grid chosen on dev.
3. The same choice by a listwise model (expected ROUGE under a softmax over the five candidates),
   fitted on dev, with and without the semantic features.
4. Semantic title similarity, centroid similarity and degree centrality added to the shipped
   score, and semantic similarity mixed into the MMR redundancy, a grid on both dev sets.
5. EASC: ridge regression of a sentence's ROUGE-1 precision against the five references, lexical
   features with and without semantic ones, two-fold (even ↔ odd).
"""

from __future__ import annotations

import argparse
import itertools
import json
import lzma
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from summarizer_lab import Prepared, load_ant_with_months, load_easc, prepare, rouge1

from summarizer.clean import clean_paragraphs
from summarizer.rank import Analysis, F, Model, default_model, terms

ANT_FILE = Path("ant") / "ant-2018-02-to-07.jsonl.xz"
VOCAB = 20_000
LEADS = 5  # candidates for the lead sentence on ANT


# --- training ----------------------------------------------------------------------------------


def read_bodies(path: Path, months: int) -> list[list[list[str]]]:
    """Each story's paragraphs as term lists, for stories dated up to `months` of 2018."""
    out: list[list[list[str]]] = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            try:
                month = parsedate_to_datetime(r["time"]).month
            except (TypeError, ValueError):
                month = 0
            # A few stories are dated Oct–Dec 2017 (archive pages): outside every month range.
            if month > months or not r.get("text"):
                continue
            out.append([ts for p in r["text"].split("\n") if (ts := terms(p))])
    return out


def vocabulary(stories: list[list[list[str]]]) -> tuple[list[str], np.ndarray]:
    df: Counter[str] = Counter()
    for story in stories:
        df.update({t for p in story for t in p})
    # Sorted by count, then term: ties must not depend on set order (string hashing varies by run).
    ranked = sorted(df.items(), key=lambda item: (-item[1], item[0]))
    vocab = [t for t, c in ranked[:VOCAB] if c >= 3]
    idf = np.array([math.log(len(stories) / df[t]) for t in vocab], dtype=np.float32)
    return vocab, idf


MatMul = Callable[[np.ndarray], np.ndarray]


def randomized_svd(
    a_x: MatMul, at_y: MatMul, width: int, dims: int, power: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top `dims` singular triplets of a matrix A known only by a_x(X) = A @ X and at_y(Y) = A.T @ Y."""
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(a_x(rng.standard_normal((width, dims + 20)).astype(np.float32)))
    for _ in range(power):  # power iterations sharpen the spectrum
        z, _ = np.linalg.qr(at_y(q))
        q, _ = np.linalg.qr(a_x(z))
    ub, s, vt = np.linalg.svd(at_y(q).T, full_matrices=False)
    return (q @ ub)[:, :dims], s[:dims], vt[:dims]


def lsa(stories: list[list[list[str]]], dims: int, unit: str) -> tuple[list[str], np.ndarray]:
    vocab, idf = vocabulary(stories)
    index = {t: j for j, t in enumerate(vocab)}
    v = len(vocab)
    docs = (
        [[t for p in s for t in p] for s in stories]
        if unit == "story"
        else [p for s in stories for p in s if len(p) >= 5]
    )
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    for d in docs:
        counts = Counter(index[t] for t in d if t in index)
        if counts:
            cols = np.fromiter(counts, dtype=np.int64)
            w = np.log1p(np.fromiter(counts.values(), dtype=np.float32)) * idf[cols]
            rows.append((cols, w / np.linalg.norm(w)))
    chunk = 2000

    def dense(start: int) -> np.ndarray:
        part = rows[start : start + chunk]
        m = np.zeros((len(part), v), dtype=np.float32)
        for i, (cols, w) in enumerate(part):
            m[i, cols] = w
        return m

    def a_x(x: np.ndarray) -> np.ndarray:
        return np.vstack([dense(s) @ x for s in range(0, len(rows), chunk)])

    def at_y(y: np.ndarray) -> np.ndarray:
        out = np.zeros((v, y.shape[1]), dtype=np.float32)
        for s in range(0, len(rows), chunk):
            out += dense(s).T @ y[s : s + chunk]
        return out

    _, _, vt = randomized_svd(a_x, at_y, v, dims)
    return vocab, (vt.T * idf[:, None]).astype(np.float32)


def ppmi(stories: list[list[list[str]]], dims: int, window: int = 5) -> tuple[list[str], np.ndarray]:
    vocab, idf = vocabulary(stories)
    index = {t: j for j, t in enumerate(vocab)}
    v = len(vocab)
    pairs: list[np.ndarray] = []
    for story in stories:
        for p in story:
            a = np.array([index[t] for t in p if t in index], dtype=np.int64)
            for k in range(1, window + 1):
                if len(a) > k:
                    pairs += [a[:-k] * v + a[k:], a[k:] * v + a[:-k]]
    cells, counts = np.unique(np.concatenate(pairs), return_counts=True)
    c = np.zeros(v * v, dtype=np.float32)
    c[cells] = counts
    c = c.reshape(v, v)
    total = c.sum()
    context = c.sum(axis=0) ** 0.75
    with np.errstate(divide="ignore"):
        pmi = np.log(c / total)
        pmi -= np.log(c.sum(axis=1) / total)[:, None]
        pmi -= np.log(context / context.sum())[None, :]
    pmi[~np.isfinite(pmi)] = 0.0
    np.maximum(pmi, 0.0, out=pmi)
    u, s, _ = randomized_svd(lambda x: pmi @ x, lambda y: pmi.T @ y, v, dims, power=3)
    vec = u * np.sqrt(s)
    vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9)
    return vocab, (vec * idf[:, None]).astype(np.float32)


def save(path: Path, vocab: list[str], vectors: np.ndarray, meta: dict[str, object]) -> None:
    """int8 with a scale per term: 20,000 × 64 dims is about 1.3 MB compressed."""
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    np.savez_compressed(
        path,
        terms=np.array("\n".join(vocab)),
        vectors=np.round(vectors / scale[:, None]).astype(np.int8),
        scale=scale.astype(np.float32),
        meta=np.array(json.dumps(meta)),
    )


@dataclass
class Vectors:
    index: dict[str, int]
    matrix: np.ndarray

    @classmethod
    def load(cls, path: Path) -> Vectors:
        z = np.load(path)
        vocab = str(z["terms"]).split("\n")
        return cls({t: i for i, t in enumerate(vocab)}, z["vectors"].astype(np.float32) * z["scale"][:, None])

    def of(self, ts: Sequence[str]) -> np.ndarray:
        ids = [self.index[t] for t in ts if t in self.index]
        return self.matrix[ids].sum(axis=0) if ids else np.zeros(self.matrix.shape[1], dtype=np.float32)


def train(data: Path, months: int, spec: str, out_dir: Path) -> Path:
    kind, dims = spec.split(":")
    t0 = time.perf_counter()
    stories = read_bodies(data / ANT_FILE, months)
    if kind == "ppmi":
        vocab, vectors = ppmi(stories, int(dims))
    else:
        vocab, vectors = lsa(stories, int(dims), kind.split("-")[1])
    path = out_dir / f"{kind}-{dims}-m{months}.npz"
    meta = {"corpus": f"ANT v2.1 bodies, all outlets, 2018 up to month {months}", "kind": kind}
    save(path, vocab, vectors, meta)
    print(
        f"   {spec}: {len(stories)} stories, {len(vocab)} terms, {path.stat().st_size / 1e6:.2f} MB "
        f"({time.perf_counter() - t0:.0f}s)"
    )
    return path


# --- measurement -------------------------------------------------------------------------------


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


@dataclass
class Semantic:
    """A story's sentences under one set of vectors."""

    unit: np.ndarray  # sentences × dims, unit length
    title: np.ndarray  # cosine with the title
    centroid: np.ndarray  # cosine with the sum of the story's sentences
    degree: np.ndarray  # summed cosine with the other sentences, scaled to max 1
    similarity: np.ndarray  # sentences × sentences, zero diagonal


def semantic(p: Prepared, sentence_terms: list[list[str]], title_terms: list[str], vec: Vectors) -> Semantic:
    raw = np.array([vec.of(ts) for ts in sentence_terms])
    unit = _unit(raw)
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    degree = sim.sum(axis=1)
    degree = degree / degree.max() if len(degree) > 1 and degree.max() > 0 else np.ones(len(degree))
    return Semantic(unit, unit @ _unit(vec.of(title_terms)), unit @ _unit(raw.sum(axis=0)), degree, sim)


def select_from(
    analysis: Analysis, model: Model, budget: int, base: np.ndarray, first: int | None
) -> list[int]:
    """summarizer.rank.select with the scores given and, if asked, the first pick forced."""
    n = len(analysis.sentences)
    words = np.asarray(analysis.words)
    open_ = np.ones(n, dtype=bool)
    penalty = np.zeros(n)
    floor = -np.inf
    if model.short_budget > 0 and budget < model.short_budget * np.median(words):
        floor = model.short_min_score
    chosen: list[int] = []
    total = 0
    while True:
        if chosen:
            open_ &= words <= budget - total
        if not open_.any():
            break
        candidates = np.where(open_, base - model.redundancy * penalty, -np.inf)
        best = first if first is not None and not chosen else int(np.argmax(candidates))
        if chosen and candidates[best] < floor:
            break
        chosen.append(best)
        open_[best] = False
        total += int(words[best])
        if total >= budget:
            break
        np.maximum(penalty, analysis.similarity[best], out=penalty)
    return sorted(chosen)


class Lab:
    def __init__(self, data: Path) -> None:
        t0 = time.perf_counter()
        self.ant = prepare(load_ant_with_months(data / ANT_FILE))
        self.easc = prepare(load_easc(data / "easc" / "easc.jsonl"))
        self.terms: dict[int, tuple[list[list[str]], list[str]]] = {}
        for p in self.ant + self.easc:
            _, title = clean_paragraphs(p.doc.text, p.doc.title)
            self.terms[id(p)] = ([terms(s) for s in p.analysis.sentences], terms(title) if title else [])
        self.model = default_model()
        self.dev = np.array([p.month <= 4 for p in self.ant])
        self.sets = {
            "ant_dev": [p for p in self.ant if p.month <= 4],
            "easc_dev": self.easc[0::2],
            "ant_test": [p for p in self.ant if p.month > 4],
            "easc_test": self.easc[1::2],
        }
        # R1 with each of the first LEADS sentences forced to lead (-1: no such sentence).
        self.forced = np.full((len(self.ant), LEADS), -1.0)
        for d, p in enumerate(self.ant):
            base = p.analysis.features @ self.model.vector()
            for j in range(min(LEADS, len(p.analysis.sentences))):
                self.forced[d, j] = rouge1(p, select_from(p.analysis, self.model, p.budget, base, j))
        self.valid = self.forced >= 0
        self.best = np.argmax(self.forced, axis=1)
        print(
            f"   prepared {len(self.ant)} ANT-BBC + {len(self.easc)} EASC ({time.perf_counter() - t0:.0f}s)"
        )
        lead = self.forced[:, 0]
        oracle = self.forced.max(axis=1)
        print(
            f"   ANT R1 dev / held out: shipped {100 * lead[self.dev].mean():.2f} / {100 * lead[~self.dev].mean():.2f}, "
            f"oracle lead of the first {LEADS} {100 * oracle[self.dev].mean():.2f} / {100 * oracle[~self.dev].mean():.2f}; "
            f"first sentence not the best lead in {np.mean(self.best != 0):.1%}"
        )

    def semantics(self, vec: Vectors) -> dict[int, Semantic]:
        return {id(p): semantic(p, *self.terms[id(p)], vec) for p in self.ant + self.easc}

    def gain(self, picks: np.ndarray) -> tuple[float, float]:
        r = self.forced[np.arange(len(self.ant)), picks]
        lead = self.forced[:, 0]
        return 100 * (r[self.dev].mean() - lead[self.dev].mean()), 100 * (
            r[~self.dev].mean() - lead[~self.dev].mean()
        )

    def lead_matrix(self, sem: dict[int, Semantic], field: str) -> np.ndarray:
        out = np.zeros((len(self.ant), LEADS))
        for d, p in enumerate(self.ant):
            values = getattr(sem[id(p)], field)[:LEADS]
            out[d, : len(values)] = values
        return out

    def diagnostics(self, sem: dict[int, Semantic], vec: Vectors) -> None:
        hard = np.flatnonzero(self.best != 0)
        lexical = np.zeros((len(self.ant), LEADS))
        for d, p in enumerate(self.ant):
            values = p.analysis.features[:LEADS, F["title_sim"]]
            lexical[d, : len(values)] = values
        prefers = {
            "semantic title": self.lead_matrix(sem, "title"),
            "semantic centroid": self.lead_matrix(sem, "centroid"),
            "lexical title": lexical,
        }
        line = ", ".join(
            f"{name} {np.mean([m[d, self.best[d]] > m[d, 0] for d in hard]):.0%}"
            for name, m in prefers.items()
        )
        print(f"   1. hard stories ({len(hard)}): the best lead scores above the first by {line}")
        sem_hit, lex_hit = [], []
        for d in hard:
            p = self.ant[d]
            sentence_terms = self.terms[id(p)][0][:LEADS]
            ref = terms(p.doc.references[0])
            sem_hit.append(np.argmax(sem[id(p)].unit[:LEADS] @ _unit(vec.of(ref))) == self.best[d])
            ref_set = set(ref)
            overlap = [len(ref_set & set(ts)) / max(len(set(ts)), 1) for ts in sentence_terms]
            lex_hit.append(np.argmax(overlap) == self.best[d])
        print(
            f"      ceiling, given the reference: the most similar sentence is the best lead in "
            f"{np.mean(sem_hit):.0%} (semantic) vs {np.mean(lex_hit):.0%} (word overlap)"
        )

    def lead_rule(self, sem: dict[int, Semantic]) -> None:
        st, sc = self.lead_matrix(sem, "title"), self.lead_matrix(sem, "centroid")
        lt = np.zeros_like(st)
        for d, p in enumerate(self.ant):
            values = p.analysis.features[:LEADS, F["title_sim"]]
            lt[d, : len(values)] = values
        pos = 1.0 / (1.0 + np.arange(LEADS))
        results = []
        grid = itertools.product(
            (0.5, 1, 2, 4), (0, 0.1, 0.2, 0.3, 0.5, 0.8), (0, 0.1, 0.2, 0.3, 0.5), (0, 0.1, 0.2, 0.3)
        )
        for a, w1, w2, w3 in grid:
            picks = np.argmax(np.where(self.valid, a * pos + w1 * st + w2 * sc + w3 * lt, -np.inf), axis=1)
            dev, test = self.gain(picks)
            results.append((round(dev, 3), -w1 - w2 - w3, test, (a, w1, w2, w3), np.mean(picks != 0)))
        dev, _, test, point, switched = max(results)
        print(
            f"   2. lead rule, best on dev (a, semantic title, semantic centroid, lexical title) = {point}: "
            f"dev {dev:+.2f}, held out {test:+.2f}, switches {switched:.1%}"
        )

    def listwise(self, sem: dict[int, Semantic]) -> None:
        rows = []
        for p in self.ant:
            f, s = p.analysis.features, sem[id(p)]
            n = min(LEADS, len(f))
            x = np.zeros((LEADS, 14))
            for j in range(n):
                w = p.analysis.words[j] / p.budget
                lexical = [float(j == k) for k in range(1, LEADS)] + [
                    w,
                    float(w > 1),
                    f[j, F["title_sim"]] - f[0, F["title_sim"]],
                    f[j, F["centroid"]] - f[0, F["centroid"]],
                    f[j, F["dependent"]],
                    f[j, F["no_final"]],
                    p.analysis.words[0] / p.budget,
                ]
                extra = [s.title[j] - s.title[0], s.centroid[j] - s.centroid[0], s.degree[j] - s.degree[0]]
                x[j, : len(lexical) + len(extra)] = lexical + extra
            rows.append(x)
        x_all = np.array(rows)
        reward = np.where(self.valid, self.forced, 0.0)
        for label, width in (("lexical", 11), ("+ semantic", 14)):
            x = x_all[:, :, :width]
            w = np.zeros(width)
            for _ in range(3000):  # gradient ascent on the expected R1 under a softmax
                s = np.where(self.valid[self.dev], x[self.dev] @ w, -np.inf)
                prob = np.exp(s - s.max(axis=1, keepdims=True))
                prob /= prob.sum(axis=1, keepdims=True)
                r = reward[self.dev]
                advantage = prob * (r - (prob * r).sum(axis=1, keepdims=True))
                w += 5.0 * (
                    (advantage[:, :, None] * x[self.dev]).sum(axis=(0, 1)) / self.dev.sum() - 0.01 * w
                )
            picks = np.argmax(np.where(self.valid, x @ w, -np.inf), axis=1)
            dev, test = self.gain(picks)
            print(
                f"   3. listwise lead choice, {label:10s}: dev {dev:+.2f}, held out {test:+.2f}, switches {np.mean(picks != 0):.1%}"
            )

    def score_grid(self, sem: dict[int, Semantic]) -> None:
        model = self.model

        def run(w1: float, w2: float, w3: float, mix: float) -> dict[str, float]:
            out = {}
            for name, docs in self.sets.items():
                total = 0.0
                for p in docs:
                    s = sem[id(p)]
                    a = p.analysis
                    base = a.features @ model.vector() + w1 * s.title + w2 * s.centroid + w3 * s.degree
                    if mix:
                        a = Analysis(
                            a.sentences, a.words, a.features, (1 - mix) * a.similarity + mix * s.similarity
                        )
                    total += rouge1(p, select_from(a, model, p.budget, base, None))
                out[name] = 100 * total / len(docs)
            return out

        before = run(0, 0, 0, 0)
        results = []
        for point in itertools.product((0, 0.1, 0.2, 0.4), (0, 0.1, 0.2, 0.4), (0, 0.1, 0.2), (0, 0.5)):
            if any(point):
                after = run(*point)
                g = {k: after[k] - before[k] for k in after}
                results.append((min(g["ant_dev"], g["easc_dev"]), g["ant_dev"] + g["easc_dev"], point, g))
        print(
            "   4. added to the shipped score (semantic title, centroid, degree, MMR mix); shipped R1 "
            + "  ".join(f"{k} {v:.2f}" for k, v in before.items())
        )
        for label, key in (("both dev sets (worst)", 0), ("both dev sets (sum)", 1)):
            _worst, _total, point, g = max(results, key=lambda r: r[key])
            print(f"      best for {label}: {point}  " + "  ".join(f"{k} {v:+.2f}" for k, v in g.items()))

    def shipped_easc(self) -> str:
        r1 = []
        for docs in (self.easc[0::2], self.easc[1::2]):
            base = [p.analysis.features @ self.model.vector() for p in docs]
            r1.append(
                np.mean(
                    [
                        rouge1(p, select_from(p.analysis, self.model, p.budget, b, None))
                        for p, b in zip(docs, base, strict=True)
                    ]
                )
            )
        return f"even {100 * r1[0]:.2f}, odd {100 * r1[1]:.2f}"

    def easc_ridge(self, sem: dict[int, Semantic] | None) -> str:
        # The shipped MMR, without the short-budget floor: it is calibrated to the shipped scores.
        model = Model(weights=self.model.weights, redundancy=self.model.redundancy)
        xs, ys = [], []
        for p in self.easc:
            f = p.analysis.features
            n = len(f)
            cols = [f, (np.arange(n) / max(n - 1, 1))[:, None]]
            if sem is not None:
                s = sem[id(p)]
                cols.append(np.c_[s.centroid, s.degree, s.unit @ s.unit[0]])
            xs.append(np.hstack(cols))
            refs = [Counter(r) for r in p.ref_tokens]
            prec = []
            for st in p.sentence_tokens:
                c = Counter(st)
                size = max(sum(c.values()), 1)
                prec.append(np.mean([sum(min(v, r[k]) for k, v in c.items()) / size for r in refs]))
            ys.append(np.array(prec))
        out = {}
        for train_half, test_half in ((0, 1), (1, 0)):
            x, y = np.vstack(xs[train_half::2]), np.concatenate(ys[train_half::2])
            mu, sd = x.mean(axis=0), x.std(axis=0)
            sd[sd == 0] = 1.0
            a = (x - mu) / sd
            w = np.linalg.solve(a.T @ a + 10 * np.eye(a.shape[1]), a.T @ (y - y.mean()))
            total = []
            for i in range(test_half, len(self.easc), 2):
                p = self.easc[i]
                total.append(
                    rouge1(p, select_from(p.analysis, model, p.budget, ((xs[i] - mu) / sd) @ w, None))
                )
            out["odd" if test_half else "even"] = 100 * float(np.mean(total))
        return f"even {out['even']:.2f}, odd {out['odd']:.2f} (fitted on the other half)"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--months", type=int, default=4, help="last month of 2018 read (4: Feb–Apr; 12: all)")
    parser.add_argument("--vectors", nargs="+", default=["lsa-story:64", "lsa-paragraph:100", "ppmi:100"])
    parser.add_argument("--keep", type=Path, help="keep the vector files in this folder")
    args = parser.parse_args()
    if not (args.data / ANT_FILE).is_file():
        print(f"no data under {args.data}", file=sys.stderr)
        return 2
    print("training vectors")
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [train(args.data, args.months, spec, out_dir) for spec in args.vectors]
        print("measuring")
        lab = Lab(args.data)
        print(f"   5. EASC R1: shipped {lab.shipped_easc()}; ridge, lexical features: {lab.easc_ridge(None)}")
        for spec, path in zip(args.vectors, paths, strict=True):
            print(f"\n{spec} (bodies up to month {args.months})")
            vec = Vectors.load(path)
            sem = lab.semantics(vec)
            lab.diagnostics(sem, vec)
            lab.lead_rule(sem)
            lab.listwise(sem)
            lab.score_grid(sem)
            print(f"   5. EASC ridge, + semantic features: {lab.easc_ridge(sem)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
