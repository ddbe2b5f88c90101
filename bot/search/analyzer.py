"""Arabic word analysis for search and keyword matching: one analysis at index time and query time.

A word goes through `summarizer.normalize.tokens` (diacritics and tatweel dropped; أ/إ/آ → ا;
ى → ي; ة → ه; ؤ/ئ → ء; Latin lower-cased), then a small set of documented, conservative rules.
No dictionary: every rule is about letters, so it is fast, predictable and the same both ways.

Proclitics (at the start of a word), normalised forms:
  * Article forms — ال، وال، فال، بال، كال، وبال، وكال، فبال — are always stripped (when at least
    two letters remain after ال, three after the longer forms: والد "father" stays a word).
  * ل + ال is written لل, and when the word itself starts with ل one lam disappears:
    ل + اللاجئين → للاجئين. So للX (also ولل، فلل) gives two readings, X and لX, and both are kept
    (at index time as two terms, at query time as alternatives joined by OR).
  * One-letter proclitics و، ف، ب، ك، ل (and the pairs وب، ول، وك، فب، فل) are genuinely ambiguous
    (وزير "minister" is not و + زير). The index keeps BOTH the whole word and the stripped word,
    when three or more letters remain; a query tries both readings (OR) only when four or more
    letters remain. So سوريا finds وسوريا and بسوريا, وبسوريا finds سوريا, وموقف finds موقف, but a
    query for ورد or وزير keeps its و (it would otherwise find رد "reply" or زير).
Suffixes (one rule per word, first that fits, on the word left after the proclitic):
  * nisba forms fold onto the masculine ي: يات، يين، يون، يه (ية) → ي, so السورية، السوريين،
    السوريون، سوريات → سوري; and the country-name ending يا → ي for words of five letters or more,
    so سوريا، روسيا، تركيا → سوري، روسي، تركي and meet their adjectives.
  * ات (feminine plural) is stripped when three letters remain: الانتخابات → انتخاب.
  * ون، ين (sound masculine plural) are stripped when four letters remain: اللاجئين، اللاجئون →
    لاجء; short words such as قانون، مليون، عشرين، حسين keep their ending.
  * ها، هم (possessive pronouns) when three letters remain: رئيسها → رئيس.
  * ه (ta marbuta after normalisation, or the pronoun "his") when three letters remain:
    الحكومة → حكوم, which also meets حكومات.
  * Not stripped: ان (the dual; it would break لبنان، ايران، السودان، البرلمان), ي as a possessive,
    broken plurals (مدن/مدينة do not meet).
  * A few words that look suffixed but are not keep their ending (فلسطين، ثلاثين، تلفزيون ...).
Nisba bridge: a word ending in ي with at least four letters before it is also indexed without the ي
(ايراني → ايران، لبناني → لبنان، فلسطيني → فلسطين), so a query for a country finds its adjective.
Words of three letters (سوري itself has four) get no bridge: سوري never yields سور, so "سوريا" never
finds سور "wall", and "سور" never finds the Syrian stories.

What matches (tested in tests/test_search_analyzer.py):
  اللاجئين ↔ لاجئ، اللاجئون، للاجئين، واللاجئين؛ سوريا ↔ السورية، السوريين، سورية، وسوريا، بسوريا؛
  الانتخابات ↔ انتخاب، والانتخابات؛ ايران ← الإيرانية (a query for the country finds the adjective).
What does not: سوريا ↛ سور، أسوار (nor سور → سوريا)؛ ورد ↛ رد؛ وزير ↛ زير؛ لبنان ↛ لبن؛ قانون ↛ قان؛
  عشرين ↛ عشر. Accepted leak: the index also reads و + زير in وزير, so a query for زير finds وزير
  (three-letter remainders only; رد does not find ورد).

Stop words (function words such as في، من، على، الى، التي) are dropped: a query of only stop words
is empty. Tokens of one letter are dropped; Latin words and numbers are kept as typed (lower-case).
«على» (on) and the name «علي» (Ali) are one spelling once ى is folded into ي: which one a word is
is read off how it was written, before normalisation, so «علي» (and «وعلي») can be searched for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from summarizer.normalize import normalize, strip_diacritics, tokens

# A query longer than this is cut before analysis; the first terms are what matter anyway.
MAX_QUERY_CHARS = 1000
MAX_QUERY_GROUPS = 12
_MAX_TOKEN = 40


def _word_set(words: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in words.split())


# Normalised forms. Compared against the token BEFORE any stripping.
STOP_WORDS = _word_set(
    """
    في من إلى الى عن مع أن إن أنّ كان كانت يكون هذا هذه ذلك تلك هؤلاء هو هي هم هن نحن أنا أنت
    الذي التي الذين اللذين اللتين اللواتي ما ماذا لا لم لن ليس ليست قد لقد ثم أو أم بل لكن لكنه
    كل بعض غير بين حتى إذا اذا إذ منذ عند عندما حيث كما أي أيضا أيضاً فيه فيها منه منها عليه عليها
    به بها له لها لهم إليه إليها وهو وهي وقد وفي ومن وأن وإن وكان وكانت ولا ولم فقد فإن كذلك
    هناك هنا الآن ال يا و ف ب ك ل
    """
)

# The preposition as written (ى): dropped here, so the folded «علي» left in the text is the name.
_ALA = re.compile(r"(?<![\u0621-\u064A])[وف]?على(?![\u0621-\u064A])")


def _words(text: str) -> list[str]:
    plain = strip_diacritics(text)
    return tokens(_ALA.sub(" ", plain) if "على" in plain else plain)


_ARTICLES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ال")
_LAM_ARTICLES = ("ولل", "فلل", "لل")
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ك", "ل")

# Words whose ending looks like a suffix but is part of the word; kept whole after the article.
_PROTECTED = _word_set("فلسطين ثلاثين أربعين ثمانين تلفزيون بنيامين ماكرون جونسون نيلسون ياسين")


def _strip_suffix(word: str) -> str:
    if word in _PROTECTED:
        return word
    n = len(word)
    # Nisba forms fold onto the masculine ي.
    for suffix, keep in (("يات", 2), ("يين", 3), ("يون", 3), ("يه", 2)):
        if word.endswith(suffix) and n - len(suffix) >= keep:
            return word[: -len(suffix)] + "ي"
    if word.endswith("يا") and n >= 5:
        return word[:-1]
    if word.endswith("ات") and n - 2 >= 3:
        return word[:-2]
    if word.endswith(("ون", "ين")) and n - 2 >= 4:
        return word[:-2]
    if word.endswith(("ها", "هم")) and n - 2 >= 3:
        return word[:-2]
    if word.endswith("ه") and n - 1 >= 3:
        return word[:-1]
    return word


def _stems(word: str, *, bridge_from: int = 5) -> list[str]:
    """The stem of a word (clitics already removed), plus its nisba bridge when it has one."""
    stem = _strip_suffix(word)
    out = [stem]
    if stem.endswith("ي") and len(stem) >= bridge_from:
        out.append(stem[:-1])
    return out


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@lru_cache(maxsize=200_000)
def _analyse(token: str, for_query: bool) -> tuple[str, ...]:
    """Alternative terms of one normalised token; empty for stop words and noise."""
    if token in STOP_WORDS or len(token) < 2:
        return ()
    if len(token) > _MAX_TOKEN:
        token = token[:_MAX_TOKEN]
    if not ("\u0621" <= token[0] <= "\u064a"):
        return (token,)  # Latin or a number: as typed
    for p in _LAM_ARTICLES:
        rest = token[len(p) :]
        if token.startswith(p) and len(rest) >= 2:
            return _unique([*_stems(rest), *_stems("ل" + rest)])
    for p in _ARTICLES:
        rest = token[len(p) :]
        if token.startswith(p) and len(rest) >= (2 if p == "ال" else 3):
            return _unique(_stems(rest))
    # The query side reads a proclitic off only when four letters remain, so short words keep their
    # first letter (ورد is not و + رد, وزير is not و + زير).
    least = 4 if for_query else 3
    stripped: list[str] = []
    for p in _PROCLITICS:
        rest = token[len(p) :]
        if token.startswith(p) and len(rest) >= least and rest not in STOP_WORDS:
            stripped.extend(_stems(rest))
    # A word that may carry a proclitic bridges only when long (لبناني → لبنان) so that the
    # proclitic reading of a short one does not leak (وسوريا must not bridge to وسور).
    whole = _stems(token, bridge_from=6 if stripped else 5)
    return _unique([*whole, *stripped])


def index_terms(text: str) -> list[str]:
    """The terms of a text, in order, for indexing and matching (a word may yield several)."""
    out: list[str] = []
    for token in _words(text):
        out.extend(_analyse(token, False))
    return out


def query_groups(query: str) -> list[tuple[str, ...]]:
    """What a user typed, as groups of alternative terms: a hit needs one term of every group.

    Safe on any input: operators, quotes and emoji are not words and vanish; the query is cut to
    MAX_QUERY_CHARS and to its first MAX_QUERY_GROUPS distinct words.
    """
    groups: list[tuple[str, ...]] = []
    for token in _words(query[:MAX_QUERY_CHARS]):
        group = _analyse(token, True)
        if group and group not in groups:
            groups.append(group)
            if len(groups) == MAX_QUERY_GROUPS:
                break
    return groups


def query_terms(query: str) -> list[str]:
    """Every term a query can match, in order, without repeats (for highlighting and display)."""
    return list(_unique(term for group in query_groups(query) for term in group))


def matches(text_terms: set[str] | frozenset[str], keyword: str) -> bool:
    """True when every word of `keyword` occurs in the analysed text (`set(index_terms(text))`).

    A keyword with no searchable word (only stop words, emoji ...) matches nothing.
    """
    groups = query_groups(keyword)
    return bool(groups) and all(any(term in text_terms for term in group) for group in groups)
