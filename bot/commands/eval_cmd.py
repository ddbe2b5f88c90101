"""`akhbar eval easc|ant PATH`: summary quality (length-matched Arabic ROUGE) in one run.

Runs the protocol of data/README.md on EASC (easc.jsonl) or ANT-BBC (the ANT .jsonl or .jsonl.xz)
and prints ROUGE-1/2/L F1 for our summarizer, the lead baseline and sumy's default Arabic LexRank,
all measured in this run on the same documents.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_SYSTEMS = ("ours", "lead", "lexrank")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", choices=["easc", "ant"], help="easc: EASC; ant: ANT-BBC standfirsts")
    parser.add_argument("path", type=Path, help="easc.jsonl, or the ANT .jsonl/.jsonl.xz")
    parser.add_argument(
        "--system",
        action="append",
        choices=DEFAULT_SYSTEMS,
        help="systems to run (repeatable; default: ours, lead, lexrank)",
    )
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N documents")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from bot import evaluation

    path: Path = args.path
    if not path.is_file():
        print(f"akhbar eval: no such file: {path}", file=sys.stderr)
        return 2
    try:
        docs = evaluation.load(args.corpus, path, args.limit)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        print(f"akhbar eval: cannot read {path} as {args.corpus}: {exc}", file=sys.stderr)
        return 2
    if not docs:
        print(f"akhbar eval: no documents in {path} match the {args.corpus} protocol", file=sys.stderr)
        return 2
    names = list(dict.fromkeys(args.system or DEFAULT_SYSTEMS))
    results = []
    for name, system in evaluation.systems(names).items():
        results.append(evaluation.evaluate(name, system, docs, _progress(name, args.no_progress)))
    if args.json:
        print(json.dumps({r.system: {"R1": r.r1, "R2": r.r2, "RL": r.rl, "docs": r.docs} for r in results}))
        return 0
    print(format_table(args.corpus, results))
    return 0


def _progress(name: str, disabled: bool):  # type: ignore[no-untyped-def]
    def wrap(docs):  # type: ignore[no-untyped-def]
        from tqdm import tqdm

        return tqdm(docs, desc=f"{name:8s}", unit="doc", file=sys.stderr, disable=disabled, leave=False)

    return wrap


def format_table(corpus: str, results) -> str:  # type: ignore[no-untyped-def]
    label = {"ours": "ours (summarizer)", "lead": "lead", "lexrank": "sumy LexRank (default Arabic)"}
    lead = next((r for r in results if r.system == "lead"), None)
    docs = results[0].docs if results else 0
    lines = [
        f"{corpus.upper()} — {docs} documents, length-matched ROUGE F1 (%)",
        f"{'system':32s} {'R1':>6s} {'R2':>6s} {'RL':>6s} {'R1-lead':>8s} {'time':>7s}",
    ]
    for r in results:
        delta = f"{r.r1 - lead.r1:+8.2f}" if lead is not None else f"{'':8s}"
        lines.append(
            f"{label.get(r.system, r.system):32s} {r.r1:6.2f} {r.r2:6.2f} {r.rl:6.2f} {delta} {r.seconds:6.1f}s"
        )
    return "\n".join(lines)
