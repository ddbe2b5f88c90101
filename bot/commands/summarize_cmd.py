"""`akhbar summarize FILE|URL|-`: print an Arabic story's summary.

FILE is a text or HTML file, URL an article page (fetched with a timeout), "-" standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FETCH_TIMEOUT = 15.0
MAX_BYTES = 5_000_000
USER_AGENT = "Akhbar/0.1 (+https://github.com/; Arabic news summaries)"


class InputError(Exception):
    """The story could not be read; the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", metavar="FILE|URL|-", help="a text/HTML file, an http(s) URL, or - for stdin"
    )
    parser.add_argument("--sentences", type=int, default=3, metavar="N", help="sentences to keep (default 3)")
    parser.add_argument("--max-words", type=int, default=None, metavar="W", help="word budget instead of N")
    parser.add_argument("--title", default=None, metavar="T", help="the story's title (improves the choice)")
    parser.add_argument("--json", action="store_true", help='print {"title": ..., "sentences": [...]}')


def read_source(source: str, timeout: float = FETCH_TIMEOUT) -> str:
    if source == "-":
        return sys.stdin.read()
    if source.startswith(("http://", "https://")):
        return fetch(source, timeout)
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from exc
    return _decode(data)


def fetch(url: str, timeout: float = FETCH_TIMEOUT) -> str:
    import httpx

    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        ) as client:
            response = client.get(url)
    except httpx.TimeoutException as exc:
        raise InputError(f"timed out fetching {url} (after {timeout:g}s)") from exc
    except httpx.HTTPError as exc:
        raise InputError(f"cannot fetch {url}: {exc}") from exc
    if response.status_code >= 400:
        raise InputError(f"cannot fetch {url}: HTTP {response.status_code}")
    content = response.content[:MAX_BYTES]
    if response.encoding and response.charset_encoding:
        try:
            return content.decode(response.charset_encoding, errors="replace")
        except LookupError:
            pass
    return _decode(content)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1256"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def run(args: argparse.Namespace) -> int:
    from summarizer import summarize
    from summarizer.clean import clean_paragraphs

    if args.sentences is not None and args.sentences < 1:
        print("akhbar summarize: --sentences must be at least 1", file=sys.stderr)
        return 2
    if args.max_words is not None and args.max_words < 1:
        print("akhbar summarize: --max-words must be at least 1", file=sys.stderr)
        return 2
    try:
        text = read_source(args.source)
    except InputError as exc:
        print(f"akhbar summarize: {exc}", file=sys.stderr)
        return 1
    # The title shown: the one given, else the page's own (HTML metadata, or a headline printed twice).
    try:
        title = clean_paragraphs(text, args.title)[1]
    except Exception:  # summarize() never raises on odd input; the title shown must not either
        title = args.title
    sentences = summarize(text, title=title, sentences=args.sentences, max_words=args.max_words)
    if args.json:
        print(json.dumps({"title": title, "sentences": sentences}, ensure_ascii=False))
        return 0
    if not sentences:
        print("akhbar summarize: no Arabic story text found in the input", file=sys.stderr)
        return 1
    if title:
        print(title)
        print()
    for sentence in sentences:
        print(sentence)
    return 0
