"""search(): keyword search over stored stories, ranked by relevance and recency.

SQLite (the default, and the tested path): FTS5 over pre-analysed terms (bot.search.index), ranked by
    score = relevance * title_boost / (1 + age_days / RECENCY_DAYS)
where relevance = -bm25(search_fts, TITLE_WEIGHT, BODY_WEIGHT) (bm25 is negative, lower is better),
title_boost = 1 + (TITLE_BOOST - 1) * (the share of the query's words that the title has) (bm25
saturates on term frequency, so a long body repeating a word would otherwise outrank a headline
about it; proportional, so a headline naming بوتين outranks a passing mention of «فلاديمير بوتين»
even without the first name); and a story
RECENCY_DAYS old needs twice the relevance of one published now to rank level with it. A word in more
than RANK_CANDIDATES stories ranks the most recently stored RANK_CANDIDATES of them (bm25 costs about a
microsecond a match; this bounds a query's cost on a large archive), and pages reach no further
(SearchPage.reachable; `total` still counts every match, and the reply says «أكثر من ١٠٠٠»).
PostgreSQL: the same terms as a weighted tsvector (title A, body B) under a GIN index (migration
search_0004), ranked by the same formula with relevance = ts_rank (title weight : body weight as
above, normalised by document length) of the query's words OR-ed: for an AND query ts_rank rewards
the words' nearness, so a body repeating "فلاديمير بوتين" would outrank a headline about بوتين,
where bm25 on SQLite sums each word's weight.
Other databases: a portable fallback with the same API: LIKE over the analysed terms, title matches
first, then newest first.

What the user typed never reaches MATCH: it is analysed into terms (bot.search.analyzer), each term
is double-quoted, alternatives are OR-ed and words AND-ed; OR between words splits the query into
branches of whole word groups ("الولايات المتحدة أو روسيا": (A AND B) OR C), the title boost taking
the best branch's share; words typed as "-word" (or after NOT) are excluded (FTS5 NOT, tsquery !). When no story has every word, the search is relaxed to any word and
the page says so (`relaxed=True`).

Phrases: a query of several words matches them anywhere (the bag of words above decides what
matches and `total`), but a story holding them near one another, as a followed keyword must
(analyzer.matches), ranks PHRASE_BOOST times higher: «مجلس الأمن» lists the Security Council before
«المجلس البلدي ... الأمن». SQLite: an OR of FTS5 NEAR groups (near_expression), PostgreSQL: tsquery
phrase operators (phrase_tsquery); both allow for every word being indexed as all its alternative
terms one after another. A relaxed search and a single word have no phrase to look for.

Quoted phrases (`quoted_phrases`): a part of the query between quote marks (" ", « » either way round,
“ ”; an unclosed one runs to the end) is a phrase every hit holds, by the rule of a followed keyword
(analyzer.matches: «حزب الله» is not «حزب العدالة ... عبد الله غول», «الرحمن» not «عبدالرحمن»);
with "-" or NOT before it, no hit holds it. The database finds the stories with the words (OR and
"-word" as above), the CHECK_CANDIDATES most recently stored of them are checked in Python (each
story's lines that have every word's letters, `_surface`, analysed until one holds it), and the
holders are ranked as above: `total` is their number, `at_least` when more stories had the words.
When none holds it, the query is searched without its quotes and the page says so (`unquoted`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from itertools import islice, pairwise, product
from typing import Any, NamedTuple

from sqlalchemy import JSON, DateTime, Float, Integer, Text, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.search.analyzer import (
    KEPT_TA_MARBUTA,
    MAX_QUERY_CHARS,
    PHRASE_SLACK,
    QUOTES,
    Group,
    is_or,
    keyword_groups,
    matches,
    parse_query,
    spellings,
    term_positions,
    without_unread_latin,
)
from bot.search.snippets import make_snippet
from bot.search.terms import story_terms
from summarizer.normalize import normalize

TITLE_WEIGHT = 4.0
TITLE_BOOST = 2.0
BODY_WEIGHT = 1.0
RECENCY_DAYS = 7.0
# A word found in more stories than this ranks the most recently stored ones only (a story far older
# than the newest matches loses on recency anyway); `total` still counts every match.
RANK_CANDIDATES = 1000
MAX_LIMIT = 50
# A story holding a query of several words as a phrase (its words near one another) ranks this
# many times higher than one holding them scattered: «مجلس الأمن» is the Security Council, not
# «المجلس الأعلى للأمن القومي». Measured on ANT (README, Search): 2 and 3 still leave a story
# with both words scattered in its title above some phrases in the first ten, 5 none (10 gains
# nothing more); a phrase story four weeks older than a scattered one ranks level with it.
PHRASE_BOOST = 5.0
# The index holds every word as all its alternative terms one after another (analyzer.index_terms):
# ANT's words have one or two, rarely more, so a phrase's words stand up to this many index
# positions per word apart.
TERMS_PER_WORD = 2
# A phrase whose words have several terms is an OR of every combination (SQLite NEAR takes single
# terms): a query of long words with many readings looks for its first combinations only.
PHRASE_COMBINATIONS = 16
# A query with a quoted phrase is checked story by story with the followed-keyword rule
# (analyzer.matches), on this many of the stories with its words, the most recently stored first; a
# phrase in more stories than this is counted as «at least» the holders found among them, and the
# pages reach those. About half a millisecond a story, most of it the analysis of the line that
# holds the phrase: on ANT, 100 keep a quoted query's p95 near 65 ms (200: 145-180 ms), and a next
# page, whose stories were checked already, near 12 ms.
CHECK_CANDIDATES = 100


@dataclass(frozen=True)
class SearchHit:
    story_id: int
    title: str
    url: str | None
    source: str
    published_at: datetime
    summary: list[str]
    snippet_html: str
    score: float


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    query_terms: list[str]
    error: str | None = (
        None  # "empty": nothing searchable in the query; "only_excluded": words to leave out only
    )
    relaxed: bool = False  # no story had every word; these have some of them
    offset: int = 0
    limit: int = 10
    # How many matches were ranked (RANK_CANDIDATES, when the search was capped): pages reach no
    # further than these. None: every match was.
    ranked: int | None = None
    # A quoted phrase was in more stories than were checked (CHECK_CANDIDATES): `total` counts the
    # holders among those checked, and there may be more.
    at_least: bool = False
    # No story held the quoted phrases: these are the results of the query without its quotes.
    unquoted: bool = False

    @property
    def reachable(self) -> int:
        """How many of the matches the pages can show (`total` counts them all)."""
        return self.total if self.ranked is None else min(self.total, self.ranked)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.reachable


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _alternatives(group: Group) -> str:
    alts = " OR ".join(_quote(t) for t in group)
    return f"({alts})" if len(group) > 1 else alts


Branches = Sequence[Sequence[Group]]


def _either(branches: Sequence[Sequence[str]], join: str, either: str) -> str:
    """Branches of word groups as one expression: each branch's parts joined by `join`, the
    branches by `either`."""
    return f" {either} ".join("(" + f" {join} ".join(b) + ")" for b in branches)


def match_expression(
    groups: list[Group], *, any_word: bool = False, excluded: Sequence[Group] = (), branches: Branches = ()
) -> str:
    """An FTS5 MATCH string from analysed term groups (every group; or with `branches`, every group
    of one branch: "A B OR C"); every term is a quoted string literal."""
    if not any_word and len(branches) > 1:
        expr = _either([[_alternatives(g) for g in b] for b in branches], "AND", "OR")
    else:
        expr = (" OR " if any_word else " AND ").join(_alternatives(g) for g in groups)
    if not excluded:
        return expr
    unwanted = " OR ".join(_quote(t) for g in excluded for t in g)
    return f"({expr}) NOT ({unwanted})"


def _phrase_window(words: int) -> int:
    """Index positions a phrase of `words` words may have between its first and last word's
    terms: the middle words' terms, PHRASE_SLACK words more (as a followed keyword allows,
    analyzer.matches), and the first and last words' other alternatives."""
    return TERMS_PER_WORD * (words - 1 + PHRASE_SLACK)


def near_expression(branches: Branches) -> str | None:
    """An FTS5 MATCH string true for stories that hold the words of a branch of several words near
    one another (NEAR is order-free: «لبنان وسوريا» is «سوريا لبنان»); None when no branch has two
    words."""
    nears = []
    for branch in branches:
        if len(branch) < 2:
            continue
        window = _phrase_window(len(branch))
        for terms in islice(product(*branch), PHRASE_COMBINATIONS):
            nears.append(f"NEAR({' '.join(_quote(t) for t in terms)}, {window})")
    return " OR ".join(nears) or None


def _title_share(
    conditions: list[str], branches: list[list[int]] | None = None, greatest: str = "max"
) -> str:
    """SQL for the title boost: 1 + (TITLE_BOOST - 1) * the share of `conditions` (one per query
    word, true when the title has the word) that hold; with OR, the best share among the branches
    (lists of indexes into `conditions`; `greatest` is the SQL function of the larger value)."""

    def share(indexes: list[int]) -> str:
        held = " + ".join(f"(CASE WHEN {conditions[i]} THEN 1.0 ELSE 0.0 END)" for i in indexes)
        return f"({held}) / {len(indexes)}.0"

    parts = [share(b) for b in branches or [list(range(len(conditions)))]]
    best = parts[0] if len(parts) == 1 else f"{greatest}({', '.join(parts)})"
    return f"(1.0 + {TITLE_BOOST - 1.0} * {best})"


_COLUMNS: dict[str, TypeEngine[Any] | type[TypeEngine[Any]]] = {
    "id": Integer,
    "title": Text,
    "url": Text,
    "source": Text,
    "published_at": DateTime(timezone=True),
    "summary": JSON,
    "text": Text,
    "score": Float,
    "total": Integer,
}


def _filters(
    source: str | None, since: datetime | None, feed_ids: list[int] | None, *, sqlite: bool
) -> tuple[str, dict]:
    """SQL conditions on `stories s` (duplicates are not indexed, so the index needs none for them)."""
    sql = ""
    params: dict[str, Any] = {}
    if source:
        sql += " AND lower(s.source) = lower(:source)"
        params["source"] = source
    if since is not None:
        sql += " AND s.published_at >= :since"
        moment = as_utc(since)
        # SQLite keeps times as text in SQLAlchemy's format (naive UTC), so compare text with text.
        params["since"] = (
            moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if sqlite else moment
        )
    if feed_ids is not None:
        ids = list(feed_ids) or [-1]  # no feed: nothing matches
        names = [f"feed_{i}" for i in range(len(ids))]
        sql += " AND s.feed_id IN (" + ", ".join(f":{n}" for n in names) + ")"
        params.update(zip(names, ids, strict=True))
    return sql, params


def _fts_ranked(
    expr: str,
    filters: str,
    *,
    words: int,
    capped: bool,
    branches: list[list[int]] | None = None,
    phrase: bool = False,
    within: str = "",
) -> str:
    """CTEs ending in `ranked` (id, score, total): one page of FTS5 matches.

    Only ids and scores are ranked, and the join reads the covering index, not the rows (whose
    long texts would be read for every match); the page's stories are read afterwards. With
    `phrase`, the stories :phrase (near_expression) matches rank PHRASE_BOOST times higher: one
    more FTS5 query, run once like the title boost's, over the ranked matches' rowids only (NEAR
    reads every position of its words: a frequent pair over the whole index took 6 ms, 1 ms so)."""
    near = (
        "m.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :phrase"
        " AND rowid >= (SELECT min(id) FROM m))"
        if phrase
        else None
    )
    cap = f"ORDER BY rowid DESC LIMIT {RANK_CANDIDATES}" if capped else ""
    # The holders of a quoted phrase: FTS5 runs MATCH again for each rowid of an IN list (200 ids
    # took 60 ms), so the index reads the range they are in and the join keeps them.
    held = "AND rowid >= :held_min" if within else ""
    kept = f"AND m.id IN {within}" if within else ""
    if filters:
        count = f"""SELECT count(*) FROM search_fts f
                    JOIN stories s INDEXED BY ix_stories_search_meta ON s.id = f.rowid
                    WHERE search_fts MATCH :expr {filters}"""
    else:  # no join: FTS5 counts a doclist without reading any row
        count = "SELECT count(*) FROM search_fts WHERE search_fts MATCH :expr"
    return f"""
        m AS (
            SELECT rowid AS id, bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS rank
            FROM search_fts WHERE search_fts MATCH :expr {held} {cap}
        ), ranked AS (
            SELECT m.id AS id,
                   (-m.rank)
                       * {
        _title_share(
            [
                f"m.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :title_{i})"
                for i in range(words)
            ],
            branches,
        )
    }
                       * {_phrase_factor(near)}
                       / (1.0 + max(julianday(:now) - julianday(s.published_at), 0.0) / {RECENCY_DAYS})
                       AS score,
                   ({count}) AS total
            FROM m JOIN stories s INDEXED BY ix_stories_search_meta ON s.id = m.id
            WHERE 1 = 1 {filters} {kept}
            ORDER BY score DESC, s.published_at DESC, s.id DESC
            LIMIT :limit OFFSET :offset
        )"""


def _ts_lexeme(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


def tsquery_expression(
    groups: list[Group],
    *,
    any_word: bool = False,
    weight: str = "",
    excluded: Sequence[Group] = (),
    branches: Branches = (),
) -> str:
    """A PostgreSQL tsquery string from analysed term groups (every group; or with `branches`,
    every group of one branch), every term a quoted lexeme (`weight` "A" restricts them to the
    title)."""
    suffix = f":{weight}" if weight else ""

    def part(group: Group) -> str:
        return "(" + " | ".join(_ts_lexeme(t) + suffix for t in group) + ")"

    if not any_word and len(branches) > 1:
        expr = _either([[part(g) for g in b] for b in branches], "&", "|")
    else:
        expr = (" | " if any_word else " & ").join(part(g) for g in groups)
    if not excluded:
        return expr
    unwanted = " | ".join(_ts_lexeme(t) for g in excluded for t in g)
    return f"({expr}) & !({unwanted})"


def phrase_tsquery(branches: Branches) -> str | None:
    """A tsquery true for stories that hold the words of a branch of several words near one another,
    as near_expression on SQLite: every two consecutive words near one another (a tsquery phrase
    `<N>` is an exact distance in one order; its operands may be OR-ed terms), both in the title
    or both in the body (the document's body positions follow the title's: a title ending with
    one word is no phrase with a body starting with the other). None when no branch has two
    words."""

    def part(group: Group, weight: str) -> str:
        return "(" + " | ".join(f"{_ts_lexeme(t)}:{weight}" for t in group) + ")"

    def near(first: Group, second: Group) -> str:
        # In typed order, two consecutive words may be the phrase window apart; in the other order
        # only side by side (their other alternatives between them), as analyzer.matches has it.
        found = []
        for weight in "AB":
            a, b = part(first, weight), part(second, weight)
            found += [f"{a} <{d}> {b}" for d in range(1, _phrase_window(2) + 2)]
            found += [f"{b} <{d}> {a}" for d in range(1, TERMS_PER_WORD + 2)]
        return "(" + " | ".join(found) + ")"

    phrases = [
        "(" + " & ".join(near(a, b) for a, b in pairwise(branch)) + ")"
        for branch in branches
        if len(branch) > 1
    ]
    return " | ".join(phrases) or None


def _phrase_factor(condition: str | None) -> str:
    """SQL for the phrase boost: PHRASE_BOOST when `condition` holds, 1 otherwise (or without one)."""
    return f"(CASE WHEN {condition} THEN {PHRASE_BOOST} ELSE 1.0 END)" if condition else "1.0"


def _postgres_ranked(
    filters: str,
    *,
    words: int,
    capped: bool,
    branches: list[list[int]] | None = None,
    phrase: bool = False,
    within: str = "",
) -> str:
    """CTEs ending in `ranked` (id, score, total): one page of tsvector matches, found through the
    GIN index and ranked as on SQLite (the same RANK_CANDIDATES cap: ts_rank reads each match's
    whole document; with `phrase`, the phrase boost tests :phrase, phrase_tsquery, on it too)."""
    weights = f"'{{0, 0, {BODY_WEIGHT / TITLE_WEIGHT}, 1}}'"  # D, C, B (body), A (title)
    if capped:
        matches = f"""SELECT f.rowid AS id FROM search_fts f, q WHERE f.document @@ q.query
                       ORDER BY f.rowid DESC LIMIT {RANK_CANDIDATES}"""
        joined = "JOIN stories s ON s.id = f.rowid" if filters else ""  # the count reads no row
        total = f"(SELECT count(*) FROM q, search_fts f {joined} WHERE f.document @@ q.query {filters})"
    else:
        held = f"AND f.rowid IN {within}" if within else ""  # the holders of a quoted phrase
        matches = f"SELECT f.rowid AS id FROM search_fts f, q WHERE f.document @@ q.query {held}"
        total = "count(*) OVER ()"
    titles = ", ".join(f"to_tsquery('simple', :title_{i}) AS title_{i}" for i in range(words))
    if phrase:
        titles += ", to_tsquery('simple', :phrase) AS phrase"
    return f"""
        q AS (SELECT to_tsquery('simple', :expr) AS query, to_tsquery('simple', :any_expr) AS any_word,
                     {titles}),
        m AS ({matches}),
        ranked AS (
            SELECT s.id AS id,
                   ts_rank({weights}, f.document, q.any_word, 1)
                       * {_title_share([f"f.document @@ q.title_{i}" for i in range(words)], branches, "GREATEST")}
                       * {_phrase_factor("f.document @@ q.phrase" if phrase else None)}
                       / (1.0 + GREATEST(EXTRACT(EPOCH FROM (:now - s.published_at)) / 86400.0, 0.0)
                                / {RECENCY_DAYS}) AS score,
                   {total} AS total
            FROM q, m JOIN search_fts f ON f.rowid = m.id JOIN stories s ON s.id = m.id
            WHERE 1 = 1 {filters}
            ORDER BY score DESC, s.published_at DESC, s.id DESC
            LIMIT :limit OFFSET :offset
        )"""


def _like_ranked(
    groups: list[Group],
    filters: str,
    params: dict,
    *,
    any_word: bool,
    excluded: Sequence[Group] = (),
    branches: list[list[int]] | None = None,
) -> str:
    """The non-SQLite fallback: every (or any) group (with `branches`, every group of one branch)
    has a term among the analysed terms, and no excluded term; title matches first, then newest
    first."""
    doc = "(' ' || f.title_terms || ' ' || f.body_terms || ' ')"
    title = "(' ' || f.title_terms || ' ')"
    conds, score = [], []
    for i, group in enumerate(groups):
        alts = []
        for j, term in enumerate(group):
            params[f"t{i}_{j}"] = f"% {term} %"
            alts.append(f"{doc} LIKE :t{i}_{j}")
            score.append(f"(CASE WHEN {title} LIKE :t{i}_{j} THEN {TITLE_WEIGHT} ELSE {BODY_WEIGHT} END)")
        conds.append("(" + " OR ".join(alts) + ")")
    if not any_word and branches and len(branches) > 1:
        where = _either([[conds[i] for i in b] for b in branches], "AND", "OR")
    else:
        where = (" OR " if any_word else " AND ").join(conds)
    unwanted = []
    for j, term in enumerate(t for g in excluded for t in g):
        params[f"x{j}"] = f"% {term} %"
        unwanted.append(f"{doc} LIKE :x{j}")
    if unwanted:
        where = f"({where}) AND NOT (" + " OR ".join(unwanted) + ")"
    score_sql = " + ".join(score) if score else "0"
    return f"""
        ranked AS (
            SELECT s.id AS id, CAST({score_sql} AS FLOAT) AS score, count(*) OVER () AS total
            FROM search_fts f JOIN stories s ON s.id = f.rowid
            WHERE ({where}) {filters}
            ORDER BY score DESC, s.published_at DESC, s.id DESC
            LIMIT :limit OFFSET :offset
        )"""


class Phrases(NamedTuple):
    """What the quote marks of a query ask for (`quoted_phrases`)."""

    plain: str  # the query without quote marks: its phrases as words, the excluded ones left out
    branches: tuple[str, ...]  # each alternative of `plain` (split at OR, «أو») as a query of its own
    required: tuple[tuple[str, ...], ...]  # per branch, the phrases a hit of that branch holds
    excluded: tuple[str, ...]  # phrases no hit holds ("-" or NOT before the quote mark)


def _pieces(query: str) -> list[tuple[bool, str]]:
    """(quoted, text) of the runs between quote marks; an unclosed quote runs to the end."""
    pieces, inside, start = [], False, 0
    for at, ch in enumerate(query):
        if ch in QUOTES:
            pieces.append((inside, query[start:at]))
            inside, start = not inside, at + 1
    pieces.append((inside, query[start:]))
    return pieces


def _negated(words: list[str], before: str) -> bool:
    """Whether the words before a quote mark end with NOT, or with a "-" written against it (as
    "-word" is), which exclude the phrase (-"حزب الله", NOT "حزب الله"); the sign is taken off
    `words`. `before` is the text just before the quote mark."""
    if words and (words[-1] == "NOT" or (words[-1] == "-" and before.endswith("-"))):
        words.pop()
        return True
    return False


@lru_cache(maxsize=1024)
def quoted_phrases(query: str) -> Phrases | None:
    """The phrases `query` quotes, or None when it quotes none. Inside quote marks "-", NOT, OR and
    «أو» are words, not operators (a phrase is matched as a followed keyword is: analyzer.matches);
    a quoted phrase of stop words only asks for nothing."""
    query = query[:MAX_QUERY_CHARS]
    if not any(ch in QUOTES for ch in query):
        return None
    words: list[list[str]] = [[]]
    required: list[list[str]] = [[]]
    excluded: list[str] = []
    before = ""
    for inside, piece in _pieces(query):
        if not inside:
            before = piece
            for token in piece.split():
                if is_or(token):
                    if words[-1]:
                        words.append([])
                        required.append([])
                else:
                    words[-1].append(token)
            continue
        negated = _negated(words[-1], before)
        before = ""
        phrase = " ".join(piece.split())
        if not keyword_groups(phrase):
            continue
        if negated:
            excluded.append(phrase)
        else:
            required[-1].append(phrase)
            words[-1].extend(w.lstrip("-") for w in phrase.split() if w != "NOT" and not is_or(w))
    kept = [(" ".join(w), tuple(r)) for w, r in zip(words, required, strict=True) if w]
    if not excluded and not any(r for _, r in kept):
        return None
    branches = tuple(w for w, _ in kept)
    return Phrases(" OR ".join(branches), branches, tuple(r for _, r in kept), tuple(excluded))


_DIGIT = re.compile(r"\d")


def _surface(term: str) -> Iterator[str]:
    """Letters that every word the analyzer reads as `term` holds once normalised (normalize()):
    the term itself, but for what the analysis changes or joins. A cheap test that lets a story's
    lines without the phrase's words skip the analysis (sound on every word of ANT: README, Search)."""
    digits = _DIGIT.search(term)
    if digits:  # f16, 1d2, 1200, اوروبي1 from «F-16», «1.2», «1,200», «أوروبا1»: a digit is there
        yield digits.group()
        return
    # ترمب folds onto ترامب, and «الأميركي» onto امريكي, whose bridge is امريك.
    spelt = [*spellings(term), *(v[:-1] for v in spellings(term + "ي")[1:])]
    for spelling in spelt:
        if spelling.endswith("ا") or (spelling.endswith("ه") and spelling in KEPT_TA_MARBUTA):
            # يمنا from «اليمنى» (ي once normalised); رياضه from «رياضات» or «الرياضي».
            yield spelling[:-1]
        else:
            yield spelling


@lru_cache(maxsize=1024)
def _needles(phrase: str) -> tuple[tuple[str, ...], ...]:
    """Per word of the phrase, what a line holding it has (`_surface` of each of its terms)."""
    return tuple(tuple(dict.fromkeys(n for t in g for n in _surface(t))) for g in keyword_groups(phrase))


class _Story:
    """A story's lines as routing reads them for a followed keyword (title, summary, text), and
    what was read of those asked about, done once."""

    def __init__(self, title: str, summary: list[str], body: str) -> None:
        whole = "\n".join([title or "", *summary, body or ""])
        # Each line once (the summary's are the text's too), the shortest first: a holder's title
        # or lead sentence usually has the phrase, and the rest is then never read.
        self.lines = sorted(dict.fromkeys(whole.split("\n")), key=len)
        self.folded: dict[str, str] = {}
        self.analysed: dict[str, Any] = {}

    def holds(self, phrase: str) -> bool:
        """analyzer.matches on the whole story, line by line: no phrase spans two lines, so the one
        holding it is enough, and only the lines with every word's letters are analysed."""
        needles = _needles(phrase)
        for line in self.lines:
            folded = self.folded.get(line)
            if folded is None:
                folded = self.folded[line] = normalize(line)
            if not all(any(needle in folded for needle in group) for group in needles):
                continue
            positions = self.analysed.get(line)
            if positions is None:
                positions = self.analysed[line] = term_positions(line)
            if matches(positions, phrase):
                return True
        return False


def _holds(story: _Story, phrases: Phrases, branches: Sequence[bool]) -> bool:
    """Whether a story with the words of the `branches` it matches holds every quoted phrase of
    one of them, and no excluded phrase."""
    if any(story.holds(p) for p in phrases.excluded):
        return False
    return any(
        ok and all(story.holds(p) for p in required)
        for ok, required in zip(branches, phrases.required, strict=True)
    )


class _Row(NamedTuple):
    id: int
    title: str
    url: str | None
    source: str
    published_at: datetime
    summary: list[str]
    text: str | None
    score: float
    total: int


_PAGE = """
    WITH {ctes}
    SELECT s.id, s.title, s.url, s.source, s.published_at, s.summary, s.text, r.score, r.total
    FROM ranked r JOIN stories s ON s.id = r.id
    ORDER BY r.score DESC, s.published_at DESC, s.id DESC
"""


async def _page(conn: AsyncConnection, ctes: str, params: dict[str, Any]) -> list[Any]:
    """The ranked page joined to its stories, in rank order (portable SQL)."""
    result = await conn.execute(text(_PAGE.format(ctes=ctes)).columns(**_COLUMNS), params)
    return list(result.all())


async def _page_sqlite(conn: AsyncConnection, ctes: str, params: dict[str, Any]) -> list[_Row]:
    """The same through the driver: the hot path skips statement compilation and result typing
    (two thirds of a millisecond a query), converting the two typed columns itself. With aiosqlite
    the statement runs and its rows are fetched in one trip to the driver's thread (the SQLAlchemy
    adapter makes four: cursor, execute, fetch, close; about 0.4 ms a search)."""
    sql = _PAGE.format(ctes=ctes)
    driver = (await conn.get_raw_connection()).driver_connection
    execute_fetchall = getattr(driver, "execute_fetchall", None)
    if execute_fetchall is not None:
        rows = await execute_fetchall(sql, params)
    else:  # another SQLite driver
        rows = [tuple(row) for row in (await conn.exec_driver_sql(sql, params)).all()]
    return [
        _Row(r[0], r[1], r[2], r[3], _stored_time(r[4]), _json_list(r[5]), r[6], r[7], r[8]) for r in rows
    ]


def _stored_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value] if isinstance(value, list) else []


def _hits(rows: Any, terms: list[str], words: int | None = None) -> list[SearchHit]:
    return [
        SearchHit(
            story_id=r.id,
            title=r.title,
            url=r.url,
            source=r.source,
            published_at=as_utc(r.published_at),
            summary=list(r.summary or []),
            snippet_html=make_snippet(list(r.summary or []), r.text or "", terms, enough=words),
            score=float(r.score or 0.0),
        )
        for r in rows
    ]


def _branch_groups(phrases: Phrases, question: bool) -> list[list[Group]]:
    """The word groups of each alternative of a quoted query, as search() reads them."""
    out = []
    for branch in phrases.branches:
        parsed = parse_query(branch)
        out.append(list((without_unread_latin(parsed) if question else parsed).groups))
    return out


def _held(rows: Sequence[Any], phrases: Phrases, branch_groups: list[list[Group]]) -> list[int]:
    """The ids of the candidate `rows` (id, title, summary, text, then a flag per alternative of the
    query when the database told which it matches) that hold the quoted phrases."""
    held = []
    asked = (phrases, tuple(map(tuple, branch_groups)))
    for row in rows:
        # The pages of a quoted query, and the same phrase asked again, check the same stories.
        key = (int(row[0]), hash((row[1], str(row[2]), row[3])), tuple(bool(v) for v in row[4:]), asked)
        found = _HELD.get(key)
        if found is None:
            if len(_HELD) > 20_000:
                _HELD.clear()
            found = _HELD[key] = _story_holds(row, phrases, branch_groups)
        if found:
            held.append(int(row[0]))
    return held


# What _story_holds said, by story (its id and what it says: a corrected story is read again), the
# alternatives of the query it has the words of, and the query's phrases.
_HELD: dict[tuple[Any, ...], bool] = {}


def _story_holds(row: Sequence[Any], phrases: Phrases, branch_groups: list[list[Group]]) -> bool:
    story = _Story(row[1], _json_list(row[2]), row[3] or "")
    if len(branch_groups) < 2:
        branches: Sequence[bool] = [True]
    elif len(row) > 4:
        branches = [bool(v) for v in row[4 : 4 + len(branch_groups)]]
    else:  # the portable fallback tells no alternative: the story's terms do
        found = set(" ".join(story_terms(row[1], row[3], row[2])).split())
        branches = [all(any(t in found for t in g) for g in groups) for groups in branch_groups]
    return _holds(story, phrases, branches)


def _candidates_sql(filters: str, alternatives: int, *, postgres: bool) -> str:
    """The stories with the query's words (:expr), the most recently stored first, CHECK_CANDIDATES
    and one more (to tell whether there are more): id, title, summary, text and whether each
    alternative's words (:branch_<i>) are there."""
    if postgres:
        flags = "".join(f", f.document @@ to_tsquery('simple', :branch_{i})" for i in range(alternatives))
        found = "f.document @@ to_tsquery('simple', :expr)"
    else:
        flags = "".join(
            f", f.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :branch_{i})"
            for i in range(alternatives)
        )
        found = "search_fts MATCH :expr"
    return f"""SELECT f.rowid, s.title, s.summary, s.text {flags}
               FROM search_fts f JOIN stories s ON s.id = f.rowid
               WHERE {found} {filters}
               ORDER BY f.rowid DESC LIMIT {CHECK_CANDIDATES + 1}"""


async def search(
    db: Database,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    source: str | None = None,
    since: datetime | None = None,
    feed_ids: list[int] | None = None,
    relax: bool = True,
    fts: bool | None = None,
    question: bool = False,
) -> SearchPage:
    """Stories matching `query`; never raises on what a user typed (see SearchPage.error).

    `relax=False` never falls back to "any word" when no story has every word.
    `question=True` does not require the Latin words that have no Arabic reading
    (analyzer.without_unread_latin): "what's new on the Gaza war" needs Gaza only.
    `fts=False` forces the portable LIKE fallback (used on databases other than SQLite and
    PostgreSQL; tests use it too).
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    phrases = quoted_phrases(query or "")
    parsed = parse_query(phrases.plain if phrases else query or "")
    if question:
        parsed = without_unread_latin(parsed)
    groups, excluded = list(parsed.groups), parsed.excluded
    branches = [list(b) for b in parsed.branches]
    # Each branch as the indexes of its groups in `groups` (the title boost's conditions).
    indexes = [[groups.index(g) for g in b] for b in branches]
    terms = list(dict.fromkeys(t for g in groups for t in g))
    if not groups:
        # Words only to leave out ("-روسيا"): there is nothing to look for, and the reader is told so.
        error = "only_excluded" if excluded or (phrases and phrases.excluded) else "empty"
        return SearchPage([], 0, [], error=error, offset=offset, limit=limit)
    postgres = db.engine.dialect.name == "postgresql"
    use_fts = (db.is_sqlite or postgres) if fts is None else fts
    filters, params = _filters(source, since, feed_ids, sqlite=db.is_sqlite)

    now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
    # A quoted query ranks its holders only, at most CHECK_CANDIDATES of them.
    capped = use_fts and source is None and feed_ids is None and phrases is None

    def expression(any_word: bool = False) -> str:
        if postgres:
            return tsquery_expression(groups, any_word=any_word, excluded=excluded, branches=branches)
        return match_expression(groups, any_word=any_word, excluded=excluded, branches=branches)

    async def run(conn: AsyncConnection, any_word: bool, lim: int, off: int, within: str = "") -> list[Any]:
        values = {**params, "limit": lim, "offset": off}
        # A relaxed search's stories lack a word, so none holds the phrase: no boost to compute.
        phrase = (
            None if any_word or not use_fts else (phrase_tsquery if postgres else near_expression)(branches)
        )
        if phrase is not None:
            values["phrase"] = phrase
        if use_fts and postgres:
            values.update(
                expr=expression(any_word),
                any_expr=tsquery_expression(groups, any_word=True),
                now=utcnow(),
                **{f"title_{i}": tsquery_expression([g], weight="A") for i, g in enumerate(groups)},
            )
            ranked = _postgres_ranked(
                filters,
                words=len(groups),
                capped=capped,
                branches=indexes,
                phrase=phrase is not None,
                within=within,
            )
            return await _page(conn, ranked, values)
        if use_fts:
            expr = expression(any_word)
            values.update(
                expr=expr,
                now=now,
                **{f"title_{i}": f"title_terms : {_alternatives(g)}" for i, g in enumerate(groups)},
            )
            ctes = _fts_ranked(
                expr,
                filters,
                words=len(groups),
                capped=capped,
                branches=indexes,
                phrase=phrase is not None,
                within=within,
            )
            return await _page_sqlite(conn, ctes, values)
        where = f"{filters} AND s.id IN {within}" if within else filters
        ctes = _like_ranked(groups, where, values, any_word=any_word, excluded=excluded, branches=indexes)
        return await _page(conn, ctes, values)

    async def holders(conn: AsyncConnection, phrases: Phrases) -> tuple[list[int], bool]:
        """The stories holding the quoted phrases among the first CHECK_CANDIDATES with the words,
        and whether there were more to check."""
        alternatives = _branch_groups(phrases, question)
        if use_fts:
            values = {**params, "expr": expression()}
            flags = len(alternatives) if len(alternatives) > 1 else 0
            for i, alternative in enumerate(alternatives[:flags]):
                values[f"branch_{i}"] = (tsquery_expression if postgres else match_expression)(alternative)
            sql = _candidates_sql(filters, flags, postgres=postgres)
            rows: Sequence[Any] = (await conn.execute(text(sql), values)).all()
        else:
            values = {**params, "limit": CHECK_CANDIDATES + 1, "offset": 0}
            ctes = _like_ranked(groups, filters, values, any_word=False, excluded=excluded, branches=indexes)
            rows = [(r.id, r.title, r.summary, r.text) for r in await _page(conn, ctes, values)]
        return _held(rows[:CHECK_CANDIDATES], phrases, alternatives), len(rows) > CHECK_CANDIDATES

    relaxed = at_least = False
    # A plain connection, not an ORM session: this is the hot path and reads only.
    async with db.engine.connect() as conn:
        if phrases is not None:
            held, at_least = await holders(conn, phrases)
            names = {f"held_{i}": story_id for i, story_id in enumerate(held)}
            params.update(names, held_min=min(held, default=0))
            within = "(" + ", ".join(f":{n}" for n in names) + ")"
            rows = await run(conn, False, limit, offset, within) if held else []
        else:
            rows = await run(conn, False, limit, offset)
            # Past the end of an all-words result is just an empty page; relax only when no story
            # at all has every word.
            if relax and not rows and len(groups) > 1 and (offset == 0 or not await run(conn, False, 1, 0)):
                rows = await run(conn, True, limit, offset)
                relaxed = True
    if phrases is not None and not held and relax and any(phrases.required):
        # No story holds the phrase as written: the words without the quotes, and the reply says so.
        unquoted = phrases.plain + "".join(f' -"{p}"' for p in phrases.excluded)
        page = await search(
            db,
            unquoted,
            limit=limit,
            offset=offset,
            source=source,
            since=since,
            feed_ids=feed_ids,
            relax=relax,
            fts=fts,
            question=question,
        )
        return replace(page, unquoted=bool(page.hits))
    total = len(held) if phrases is not None else rows[0].total if rows else 0
    hits = _hits(rows, terms, len(groups))
    return SearchPage(
        hits,
        total,
        terms,
        relaxed=relaxed and bool(hits),
        offset=offset,
        limit=limit,
        ranked=RANK_CANDIDATES if capped else None,
        at_least=at_least,
    )


async def recent(
    db: Database,
    *,
    limit: int = 10,
    offset: int = 0,
    source: str | None = None,
    since: datetime | None = None,
    feed_ids: list[int] | None = None,
) -> SearchPage:
    """The newest stories, as a SearchPage (inline mode with an empty query shows these)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    filters, params = _filters(source, since, feed_ids, sqlite=db.is_sqlite)
    sql = text(
        f"""
        SELECT s.id, s.title, s.url, s.source, s.published_at, s.summary, s.text,
               0.0 AS score,
               (SELECT count(*) FROM stories s WHERE s.duplicate_of IS NULL {filters}) AS total
        FROM stories s
        WHERE s.duplicate_of IS NULL {filters}
        ORDER BY s.published_at DESC, s.id DESC
        LIMIT :limit OFFSET :offset
        """
    )
    async with db.read() as session:
        rows = (
            await session.execute(sql.columns(**_COLUMNS), {"limit": limit, "offset": offset, **params})
        ).all()
    return SearchPage(_hits(rows, []), rows[0].total if rows else 0, [], offset=offset, limit=limit)


async def has_stories(db: Database) -> bool:
    async with db.read() as session:
        return (await session.execute(text("SELECT 1 FROM stories LIMIT 1"))).first() is not None
