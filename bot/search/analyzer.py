"""Arabic word analysis for search and keyword matching: one analysis at index time and query time.

A word goes through `summarizer.normalize` (presentation forms read as their letters: ﺳﻮﺭﻳﺎ →
سوريا; diacritics and tatweel dropped; أ/إ/آ → ا; ى → ي; ة → ه; ؤ/ئ → ء; Latin lower-cased), then
a small set of documented, conservative rules.
No dictionary: every rule is about letters, so it is fast, predictable and the same both ways.

Proclitics (at the start of a word), normalised forms:
  * Article forms — ال، وال، فال، بال، كال، وبال، وكال، فبال — are always stripped (when at least
    two letters remain after ال, three after the longer forms: والد "father" stays a word). Except
    on the words of al_words.txt, whose «أل»، «إل»، «آل» normalises to ال too: ألمانيا، بألمانيا and
    الألمانية are one word (ألماني), never ال + مانيا (the footballer ماني).
  * ل + ال is written لل, and when the word itself starts with ل one lam disappears:
    ل + اللاجئين → للاجئين. So للX (also ولل، فلل) gives two readings, X and لX, and both are kept
    (at index time as two terms, at query time as alternatives joined by OR).
  * One-letter proclitics و، ف، ب، ك، ل (and the pairs وب، ول، وك، فب، فل) are genuinely ambiguous
    (وزير "minister" is not و + زير). The index keeps BOTH the whole word and the stripped word,
    when three or more letters remain; a query tries both readings (OR) when four or more letters
    remain, or three that make a short word seen on its own (short_words.txt: غزة، مصر، قطر; and the
    places of places.txt: حلب، عكا), so سوريا finds وسوريا and بسوريا, بغزة and بحلب find غزة and
    حلب, وبسوريا finds سوريا, but a query for ورد keeps
    its و (it would otherwise find رد "reply").
  * Neither side reads a proclitic off a word in its own right (whole_words.txt, derived from ANT by
    scripts/derive_search_words.py): the article ال never precedes a proclitic, so a word whose
    ال-form is written (البحرية، البطولة، الوزارة، الوزير) is a word, not ب + حرية, ب + طولة,
    و + زارة, و + زير; nor a frequent word whose rest is never written alone (فلاديمير is not
    ف + لاديمير, بوتين not ب + وتين). Within a pair, وبحرية is و + بحرية, never وب + حرية.
Suffixes (one rule per word, first that fits, on the word left after the proclitic):
  * nisba forms fold onto the masculine ي: يات، يين، يون، يه (ية) → ي, so السورية، السوريين،
    السوريون، سوريات → سوري; and the country-name ending يا → ي for words of five letters or more,
    so سوريا، روسيا، تركيا → سوري، روسي، تركي and meet their adjectives.
  * ات (feminine plural) is stripped when three letters remain: الانتخابات → انتخاب.
  * ون، ين (sound masculine plural) are stripped when four letters remain: اللاجئين، اللاجئون →
    لاجء; short words such as قانون، مليون، عشرين، حسين keep their ending.
  * ها، هم (possessive pronouns) when three letters remain: رئيسها → رئيس.
  * A place of places.txt takes no pronoun: قطرها "its diameter" stays a word, not Qatar.
  * ه (ta marbuta after normalisation, or the pronoun "his") when three letters remain:
    الحكومة → حكوم, which also meets حكومات. Except the words of ta_marbuta.txt, whose ة is part
    of the word (رياضة "sport" would be رياض, the term of الرياض "Riyadh"): kept whole, both
    spellings (رياضة، رياضه) alike, and their plural and adjective meet them (رياضات، الرياضي،
    الرياضية → رياضه, the adjective's bridge going to رياضه instead of رياض; and صحي → صحه). A
    place comes first: قطرة "drop" is kept whole, yet القطري is Qatar's. دوريات is دورية's plural.
  * Not stripped: ان (the dual; it would break لبنان، ايران، السودان، البرلمان), ي as a possessive,
    broken plurals (مدن/مدينة do not meet).
  * A few words that look suffixed but are not keep their ending (فلسطين، ثلاثين، تلفزيون، الأرجنتين،
    الإمارات ...).
Names written joined are read apart, as most stories write them (`_split_names`): عبدالله، عبدالعزيز،
عبدالفتاح (عبد + ال…)، عبدربه، نصرالله and فتحالله (… + الله)، أبوظبي; so «عبد الله الثاني» and
«عبدالله الثاني» find the same stories.
Nisba bridge: a word ending in ي with at least four letters before it is also indexed without the ي
(ايراني → ايران، لبناني → لبنان، فلسطيني → فلسطين), so a query for a country finds its adjective.
Words of three letters (سوري itself has four) get no bridge: سوري never yields سور, so "سوريا" never
finds سور "wall", and "سور" never finds the Syrian stories; except the places of places.txt, whose
names are that short: اليمنية → يمن، المصريين → مصر، القطري → قطر; and نفط (النفطية → نفط).
Spelling variants of one name (variants.txt) fold onto one form after the suffix is read off:
ترمب → ترامب، بوتن → بوتين، الأميركية → امريكي (and أمريكا with it, as سوريا meets سوري; so do فرنسا،
كندا، آسيا ... with their adjectives), مباريات → مباراة.
English names (english.txt) are read in a query as their Arabic too: Trump, Gaza, "Saudi Arabia"; a
question drops the other Latin words, which no Arabic story has ("Gaza ceasefire" → Gaza).
Operators: a word written with a leading "-" (or after NOT) excludes the stories that have it
(`excluded_groups`); "A OR B" and «أ أو ب» accept either side, OR splitting the query into
alternatives of whole word groups (`query_branches`: «الولايات المتحدة أو روسيا» is both words of
the first name, or روسيا). A followed keyword reads no operator (`keyword_groups`), and its words
must stand near one another (`matches`: «حزب الله» is a phrase, not any حزب and any «الله»). In
/search, a quoted part of the query is a phrase matched by this same rule
(bot.search.service.quoted_phrases); parse_query itself reads the quoted words as words.

What matches (tested in tests/test_search_analyzer.py):
  اللاجئين ↔ لاجئ، اللاجئون، للاجئين، واللاجئين؛ سوريا ↔ السورية، السوريين، سورية، وسوريا، بسوريا؛
  الانتخابات ↔ انتخاب، والانتخابات؛ ايران ← الإيرانية (a query for the country finds the adjective).
What does not: سوريا ↛ سور، أسوار (nor سور → سوريا)؛ ورد ↛ رد؛ وزير ↛ زير؛ لبنان ↛ لبن؛ قانون ↛ قان؛
  عشرين ↛ عشر؛ حرية ↛ بحرية؛ طول ↛ بطولة؛ زار ↛ وزارة.

Stop words (function words such as في، من، على، الى، التي) are dropped: a query of only stop words
is empty; so are prepositions with a pronoun (عليهم، علينا، لديهم، إليهم، also after و or ف), whose
endings would otherwise read as suffixes (عليهم → علي, the name). Tokens of one letter are dropped;
Latin words and numbers are kept as typed (lower-case).
Numbers and names with numbers are one term each: a name of letters and a number joined by a dash
(F-16, S-400, COVID-19, إس-400، كوفيد-19) or a letter's name and a number (F 16, إف 16, إس 400) →
f16، s400، covid19، اف16، اس400 (written together, F16 and MH17 already are); a decimal (1.2, ١٫٢ →
1d2: one token for FTS5 and PostgreSQL alike) and a grouped number (1,200، ١٬٢٠٠ → 1200). The index
also keeps the parts (a search for 16 finds F-16); a query wants the whole, and tries a single
letter's other script (F-16 also finds إف-16, اف16 also f16).
«على» (on) and the name «علي» (Ali) are one spelling once ى is folded into ي: which one a word is
is read off how it was written, before normalisation, so «علي» (and «وعلي») can be searched for.
So are the words of alef_maqsura.txt: «اليمنى» "right (side)" is read as يمنا, not as «اليمني»
"Yemeni".
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple, TypeVar

from summarizer.normalize import (
    fold_letters,
    normalize,
    normalized_tokens,
    plain_letters,
    strip_diacritics,
    tokens,
)

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
    the a an of in on at to for with about and or not is are was what whats
    """
)
# Prepositions with a pronoun ("on them", "to us", "they have"): function words, and read as words
# their endings would be taken for suffixes: عليهم would be علي + هم and find the name «علي»,
# لديهم would be لدي، إليهم would be ال + يهم. Dropped like stop words, also after و or ف (وعليهم).
_PRONOUN_FORMS = _word_set(
    """
    عليه عليها عليهم عليهن عليهما عليك عليكم عليكن عليكما علينا
    إليه إليها إليهم إليهن إليهما إليك إليكم إليكن إليكما إلينا
    لديه لديها لديهم لديهن لديهما لديك لديكم لديكن لديكما لدينا
    فيهم فيهن فيهما فيكم فينا منهم منهن منهما منكم عنهم عنهن عنهما عنكم معهم معهن معهما معكم
    عندهم عندهن عندهما عندكم بينهم بينهن بينهما بينكم لهم لهن لهما لكم بهم بهن بهما بكم
    """
)
STOP_WORDS |= _PRONOUN_FORMS

# The preposition as written (ى): dropped here, so the folded «علي» left in the text is the name.
_ALA = re.compile(r"(?<![\u0621-\u064A])[وف]?على(?![\u0621-\u064A])")
_DATA = Path(__file__).parent


def _lines(name: str) -> Iterator[str]:
    for line in (_DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line


# Words whose written final ى tells them from a word spelt with ي (alef_maqsura.txt: اليمنى "right"
# is not اليمني "Yemeni"): that ى is read as ا, under any clitics (واليمنى، لليمنى، بيمنى).
# The words of alef_maqsura.txt as written (with their ى), to tell cheaply whether a text has one.
_MAQSURA_WORDS = tuple(strip_diacritics(w) for w in _lines("alef_maqsura.txt"))
_MAQSURA = re.compile(
    r"(?<![\u0621-\u064A])([وفبلك]{0,3}(?:ال)?(?:"
    + "|".join(sorted((w[:-1] for w in _MAQSURA_WORDS), key=len, reverse=True))
    + r"))ى(?![\u0621-\u064A])"
)


_AFTER = r"(?![0-9a-z\u0621-\u064a])"
# Letters as news writes them before a number, with a space as well as a dash: F 16, إف 16, إس 400.
_LETTER_NAMES = "[b-hj-z]|اف|اس|اكس|سي|جي|تي|بي"
_DASH = "[-\u2010-\u2013]"
# A name of letters and a number (F-16, S-400, COVID-19, إس-400, كوفيد-19, F 16, إف 16), a decimal
# (1.2, ١٫٢) and a number with thousands separators (1,200): one term each.
_NUMBER_WORD = re.compile(
    rf"(?<![0-9a-z\u0621-\u064a])(?:([a-z]{{1,8}}|[\u0621-\u064a]{{2,10}}){_DASH}|({_LETTER_NAMES}) )"
    rf"(\d{{1,5}}){_AFTER}"
)
_DECIMAL = re.compile(r"(?<![0-9a-z\u0621-\u064a.٫,٬])(\d+)[.٫](\d+)(?![0-9]|[.٫,٬][0-9])")
_THOUSANDS = re.compile(r"(?<![0-9a-z\u0621-\u064a.٫,٬])(\d{1,3})((?:[,٬]\d{3})+)(?![0-9]|[.٫,٬][0-9])")
_DIGIT = re.compile(r"\d")
# The letter of a joined decimal, so that FTS5 and PostgreSQL keep it one token (1.2 → 1d2).
_POINT = "d"
_JOINED_POINT = re.compile(rf"(?<=\d){_POINT}(?=\d)")


def _words(text: str, *, for_query: bool = False, split_names: bool = True) -> list[str]:
    """The normalised tokens of `text`. Numbered names, decimals and grouped numbers are joined into
    one token; the index keeps their parts as well (a search for 16 still finds F-16), a query
    wants the whole (F-16 is not any 16). Joined names are read apart (`_split_names`) unless
    `split_names` is false."""
    folded = _folded(text)
    if split_names:
        folded = _split_names(folded)
    if _DIGIT.search(folded):
        folded = _join_numbers(folded, for_query)
    return normalized_tokens(folded)


# Names written joined or apart, one name either way: عبدالله / عبد الله, نصرالله / نصر الله,
# عبدالفتاح, عبدربه, أبوظبي. Read apart, so that «عبد الله الثاني» finds «عبدالله الثاني» (ANT writes
# both about as often) and the joined form is no word of its own (عبدالله was «عبدالل»).
_ABD = re.compile(r"(?<![\u0621-\u064a])([وفبل]?عبد)(?=ال[\u0621-\u064a]{2}|ربه(?![\u0621-\u064a]))")
_ALLAH = re.compile(r"(?<=[\u0621-\u064a]{3})(?=الله(?![\u0621-\u064a]))")


def _split_names(folded: str) -> str:
    if "عبد" in folded:
        folded = _ABD.sub("\\1 ", folded)
    if "الله" in folded:
        folded = _ALLAH.sub(" ", folded)
    if "ابوظبي" in folded:
        folded = folded.replace("ابوظبي", "ابو ظبي")
    return folded


def _folded(text: str) -> str:
    """`text` with its letters folded as comparison folds them, «على» and alef maqsura read first."""
    plain = strip_diacritics(plain_letters(text))
    if "ى" in plain:
        if "على" in plain:
            plain = _ALA.sub(" ", plain)
        # A pass of _MAQSURA over every text cost a sixth of the indexing time: only texts that
        # hold one of its words (nearly none) need it.
        if any(word in plain for word in _MAQSURA_WORDS):
            plain = _MAQSURA.sub("\\1ا", plain)
    return fold_letters(plain)


def _join_numbers(folded: str, for_query: bool) -> str:
    def joined(whole: str, parts: str) -> str:
        return whole if for_query else f"{whole} {parts}"

    folded = _DECIMAL.sub(lambda m: joined(m[1] + _POINT + m[2], f"{m[1]} {m[2]}"), folded)
    folded = _THOUSANDS.sub(lambda m: joined(m[1] + re.sub("[,٬]", "", m[2]), m[0]), folded)
    return _NUMBER_WORD.sub(lambda m: joined((m[1] or m[2]) + m[3], f"{m[1] or m[2]} {m[3]}"), folded)


_ARTICLES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ال")
_LAM_ARTICLES = ("ولل", "فلل", "لل")
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ك", "ل")

# Words whose ending looks like a suffix but is part of the word; kept whole after the article.
# الأرجنتين meets الأرجنتيني (its adjective's bridge) only whole, الإمارات meets الإماراتي the same way.
_PROTECTED = _word_set(
    "فلسطين ثلاثين أربعين ثمانين تلفزيون بنيامين ماكرون جونسون نيلسون ياسين أرجنتين إمارات"
)


WHOLE_WORDS = frozenset(normalize(w) for w in _lines("whole_words.txt"))
PLACES = frozenset(normalize(w) for line in _lines("places.txt") for w in line.split())
# Derived from ANT, and the short place names of places.txt the corpus cannot vouch for (حلب، عكا).
SHORT_WORDS = frozenset(normalize(w) for w in _lines("short_words.txt")) | PLACES
# Short words whose adjective meets them, as places' do (النفطية → نفط، الصحية → صحة: the stem صح
# bridges to the kept word صحه of ta_marbuta.txt); bridges are otherwise kept for longer words so
# that سوري never yields سور, nor الجمعية "association" جمعة "Friday".
BRIDGED = PLACES | _word_set("نفط صح")
# Words whose initial ال is their own letters (al_words.txt: ألمانيا is not ال + مانيا), as stems.
AL_WORDS = frozenset(normalize(w) for w in _lines("al_words.txt"))
# Words whose final ة is part of the word: read off, it leaves another word (رياضة "sport" is not
# الرياض "Riyadh"). Kept whole; their plural in ات and their adjective in ي meet them instead.
KEPT_TA_MARBUTA = frozenset(normalize(w) for w in _lines("ta_marbuta.txt"))


def _variants() -> dict[str, str]:
    """Each variant's stem → the kept word's stem: a line lists written words (بنتاجون, مباريات),
    and folding happens after the suffix is read off (بنتاجون → بنتاج → بنتاغ)."""
    folds: dict[str, str] = {}
    for line in _lines("variants.txt"):
        kept, *others = [_strip_suffix(normalize(w)) for w in line.split()]
        folds.update((w, kept) for w in others if w != kept)
    return folds


def spellings(term: str) -> list[str]:
    """The written stems a term stands for: itself and the variants folded onto it (for snippets,
    which look for a term's letters in the text)."""
    return [term, *(v for v, kept in VARIANTS.items() if kept == term)]


def _strip_suffix(word: str) -> str:
    if word in _PROTECTED or word in KEPT_TA_MARBUTA:
        return word
    if word.endswith("ات") and word[:-2] + "ه" in KEPT_TA_MARBUTA:
        return word[:-2] + "ه"  # before the nisba rule: دوريات is دورية's plural, not دوري's
    n = len(word)
    # Nisba forms fold onto the masculine ي.
    for suffix, keep in (("يات", 2), ("يين", 3), ("يون", 3), ("يه", 2)):
        if word.endswith(suffix) and n - len(suffix) >= keep:
            return word[: -len(suffix)] + "ي"
    if word.endswith("يا") and n >= 5:
        return word[:-1]
    if word.endswith("ات") and n - 2 >= 3:
        return _singular(word[:-2])
    if word.endswith(("ون", "ين")) and n - 2 >= 4:
        return word[:-2]
    # A place takes no pronoun: قطرها is "its diameter", هنده the name Hinda, not Qatar's or India's.
    if word.endswith(("ها", "هم")) and n - 2 >= 3 and word[:-2] not in PLACES:
        return word[:-2]
    if word.endswith("ه") and n - 1 >= 3 and word[:-1] not in PLACES:
        return word[:-1]
    return word


def _singular(stem: str) -> str:
    """A stem left by ات (or ي, for the nisba bridge): the kept word in ة it belongs to, if any
    (رياضات، رياضي → رياضه, not رياض)."""
    return stem + "ه" if stem + "ه" in KEPT_TA_MARBUTA else stem


VARIANTS = _variants()


def _stems(word: str, *, bridge_from: int = 5) -> list[str]:
    """The stem of a word (clitics already removed), plus its nisba bridge when it has one."""
    stem = _strip_suffix(word)
    stem = VARIANTS.get(stem, stem)
    out = [stem]
    if not stem.endswith("ي"):
        return out
    base = stem[:-1]
    if base in PLACES:  # a place before a word of ta_marbuta.txt: القطري is Qatar's, not قطرة's
        out.append(base)
    elif len(stem) >= bridge_from or base in BRIDGED:
        out.append(_singular(base))
    return out


def _al_word(token: str) -> tuple[str, ...]:
    """The stems of a word of al_words.txt, whose ال is not the article (ألمانيا، إلغاء), under a
    proclitic too (بألمانيا، لإلغاء, normalised بالمانيا: not بال + مانيا); () for any other word."""
    if "ال" not in token[:4]:  # after a proclitic of at most two letters: most words end here
        return ()
    for p in ("", *_PROCLITICS):
        rest = token[len(p) :]
        if token.startswith(p) and rest.startswith("ال") and _strip_suffix(rest) in AL_WORDS:
            return _unique(_stems(rest))
    return ()


def _reads_as_proclitic(token: str, proclitic: str, rest: str, for_query: bool) -> bool:
    """Whether `token` may be `proclitic` + `rest` (see the module docstring)."""
    if rest in STOP_WORDS or token in WHOLE_WORDS:
        return False
    # وبحرية is و + بحرية: the second letter of a pair is not read off a word in its own right.
    if len(proclitic) == 2 and proclitic[1] + rest in WHOLE_WORDS:
        return False
    if len(rest) >= (4 if for_query else 3):
        return True
    # A query reads a proclitic off a short word only when what remains is a word seen on its own
    # (بغزة → غزة), so that ورد stays a word and never finds رد.
    return for_query and rest in SHORT_WORDS


_T = TypeVar("_T")


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))


_NUMBERED = re.compile(r"([a-z]+|[\u0621-\u064a]+)(\d+)")
# The letters of numbered names in the other script, for a query: F-16 also finds إف-16.
_SPELLED = {"f": "اف", "s": "اس", "x": "اكس", "c": "سي", "g": "جي", "t": "تي", "b": "بي", "covid": "كوفيد"}
_SPELLED.update({arabic: latin for latin, arabic in list(_SPELLED.items())})


def _numbered(letters: str, digits: str, for_query: bool) -> tuple[str, ...]:
    """A name of letters and a number (f16, اف16, covid19, عام2018): each reading of the letters
    with the number (بكوفيد19 → كوفيد19 as well); a query adds the other script's spelling."""
    readings = _analyse(letters, for_query) if "\u0621" <= letters[0] <= "\u064a" else (letters,)
    if not readings:  # a stop word before the number
        return (digits,) if len(digits) >= 2 else ()
    spelled = _SPELLED.get(letters)
    other = [spelled + digits] if for_query and spelled else []
    return _unique([*(r + digits for r in readings), *other])


@lru_cache(maxsize=200_000)
def _analyse(token: str, for_query: bool) -> tuple[str, ...]:
    """Alternative terms of one normalised token; empty for stop words and noise."""
    if token in STOP_WORDS or len(token) < 2 or (token[0] in "وف" and token[1:] in _PRONOUN_FORMS):
        return ()
    if len(token) > _MAX_TOKEN:
        token = token[:_MAX_TOKEN]
    numbered = _NUMBERED.fullmatch(token)
    if numbered:
        return _numbered(numbered[1], numbered[2], for_query)
    if not ("\u0621" <= token[0] <= "\u064a"):
        return (token,)  # Latin or a number: as typed
    al_word = _al_word(token)
    if al_word:
        return al_word
    for p in _LAM_ARTICLES:
        rest = token[len(p) :]
        if token.startswith(p) and len(rest) >= 2:
            return _unique([*_stems(rest), *_stems("ل" + rest)])
    for p in _ARTICLES:
        rest = token[len(p) :]
        if token.startswith(p) and len(rest) >= (2 if p == "ال" else 3):
            return _unique(_stems(rest))
    stripped: list[str] = []
    for p in _PROCLITICS:
        rest = token[len(p) :]
        if token.startswith(p) and len(rest) >= 3 and _reads_as_proclitic(token, p, rest, for_query):
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


Group = tuple[str, ...]


class ParsedQuery(NamedTuple):
    groups: tuple[Group, ...]  # every group of the query, each once (display, ranking, snippets)
    excluded: tuple[Group, ...]  # a hit has no term of these
    # A hit has one term of every group of at least one branch: "A B OR C" is (A AND B) OR C. One
    # branch, `groups` itself, when the query has no OR between word groups.
    branches: tuple[tuple[Group, ...], ...] = ()


def _english() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for line in _lines("english.txt"):
        english, arabic = line.split("\t")
        table[tuple(tokens(english))] = arabic.strip()
    return table


_ENGLISH = _english()
_LONGEST_NAME = max(map(len, _ENGLISH))
# Operators are upper case in Latin, so that "not" and "or" in an English question stay words.
_OR = normalize("أو")


def is_or(token: str) -> bool:
    """Whether a typed word is the OR operator: "OR" or «أو» in any spelling (not lower-case "or",
    a word of English questions)."""
    return token == "OR" or normalize(token) == _OR


def _chunks(query: str) -> Iterator[tuple[str, list[str]]]:
    """(operator, tokens) for each word as typed: "-" or "NOT" before it excludes it, "OR" or
    «أو» before it starts another alternative ("|"); "" otherwise."""
    pending = ""
    for chunk in _joined_letters(query.split()):
        if chunk == "NOT" or is_or(chunk):
            pending = "-" if chunk == "NOT" else "|"
            continue
        operator = pending
        if chunk.startswith("-") and len(chunk) > 1:
            operator, chunk = "-", chunk[1:]
        pending = ""
        yield operator, _words(chunk, for_query=True)


_LETTER_NAME = re.compile(_LETTER_NAMES)
_NUMBER = re.compile(r"\d{1,5}")


def _joined_letters(chunks: list[str]) -> list[str]:
    """A letter's name and the number typed after it are one word: "F 16" and «إس 400» are read
    as F-16 and إس-400 (their letter alone is no word)."""
    out: list[str] = []
    for chunk in chunks:
        if out and _NUMBER.fullmatch(normalize(chunk)) and _LETTER_NAME.fullmatch(normalize(out[-1])):
            out[-1] += "-" + chunk
        else:
            out.append(chunk)
    return out


# Quote marks around a phrase a /search hit must hold as written (bot.search.service): the ASCII
# one, the Arabic keyboard's « » and the curly ones phones type (“ ” „). Each mark opens or closes,
# whichever is due, so «» typed the wrong way round in a right-to-left field still pair. Not single
# quotes: "what's" is a word.
QUOTES = frozenset('"«»“”„＂')


def has_operators(query: str) -> bool:
    """Whether `query` uses an operator: "-word", NOT, OR or «أو» (a keyword to follow may not)."""
    return any(operator for operator, _ in _chunks(query[:MAX_QUERY_CHARS]))


def _english_name(words: list[str], at: int) -> tuple[int, list[Group]]:
    """(words used, groups) for an English name starting at words[at]; (0, []) when there is none.
    A one-word name keeps the English word as an alternative to its Arabic."""
    for size in range(min(_LONGEST_NAME, len(words) - at), 0, -1):
        arabic = _ENGLISH.get(tuple(words[at : at + size]))
        if arabic is not None:
            groups = [_analyse(t, True) for t in _words(arabic, for_query=True)]
            groups = [g for g in groups if g]
            if size == 1 and len(groups) == 1:
                groups = [_unique([words[at], *groups[0]])]
            return size, groups
    return 0, []


def _groups_of(words: list[str]) -> Iterator[Group]:
    at = 0
    while at < len(words):
        used, groups = _english_name(words, at)
        if not used:
            used, groups = 1, [_analyse(words[at], True)]
        yield from (g for g in groups if g)
        at += used


@lru_cache(maxsize=4096)
def parse_query(query: str) -> ParsedQuery:
    """What a user typed, as groups of alternative terms, and the words it excludes.

    OR (or «أو») splits the query into alternatives of whole word groups, so that a name of two
    words stays one alternative: «الولايات المتحدة أو روسيا» is (ولاي AND متحد) OR روسي. Safe on
    any input: quotes and emoji are not words and vanish; the query is cut to MAX_QUERY_CHARS and
    to its first MAX_QUERY_GROUPS distinct words.
    """
    branches: list[list[Group]] = [[]]
    excluded: list[Group] = []
    run: list[str] = []  # plain words, read together so that an English name may span them
    for operator, chunk in _chunks(query[:MAX_QUERY_CHARS]):
        if operator == "-":
            _extend(excluded, _groups_of(chunk))
            continue
        if operator == "|":
            _extend(branches[-1], _groups_of(run))
            run = []
            if branches[-1]:
                branches.append([])
        run.extend(chunk)
    _extend(branches[-1], _groups_of(run))
    kept: list[Group] = []
    for branch in branches:
        _extend(kept, branch)
    kept = kept[:MAX_QUERY_GROUPS]
    alternatives = _unique(tuple(g for g in branch if g in kept) for branch in branches)
    alternatives = tuple(b for b in alternatives if b)
    if len(alternatives) > 1 and all(len(b) == 1 for b in alternatives):
        # «سوريا أو لبنان»: one word, either of its readings.
        alternatives = ((_unique(t for b in alternatives for t in b[0]),),)
    groups: list[Group] = []
    for alternative in alternatives:
        _extend(groups, alternative)
    return ParsedQuery(tuple(groups), tuple(excluded[:MAX_QUERY_GROUPS]), alternatives)


_LATIN_WORD = re.compile(r"[a-z]+")


def _latin_only(group: Group) -> bool:
    return all(_LATIN_WORD.fullmatch(term) for term in group)


def without_unread_latin(parsed: ParsedQuery) -> ParsedQuery:
    """`parsed` without the Latin words that have no Arabic reading (not in english.txt), in each
    branch that keeps another word: they can never be in an Arabic story, so a question needing
    them («Gaza ceasefire») finds nothing where the name alone finds the stories. (/search keeps
    them and says when the stories have only some of the words.)"""
    branches = []
    for branch in parsed.branches:
        kept = tuple(g for g in branch if not _latin_only(g))
        branches.append(kept or branch)
    groups: list[Group] = []
    for branch in branches:
        _extend(groups, branch)
    return ParsedQuery(tuple(groups), parsed.excluded, _unique(branches))


def _extend(groups: list[Group], more: Iterable[Group]) -> None:
    for group in more:
        if group not in groups:
            groups.append(group)


def query_groups(query: str) -> list[Group]:
    """Every group of `parse_query`, each once (with OR, a hit needs only one branch's groups)."""
    return list(parse_query(query).groups)


def query_branches(query: str) -> list[tuple[Group, ...]]:
    """The alternatives of `parse_query`: a hit has one term of every group of one of them."""
    return list(parse_query(query).branches)


def excluded_groups(query: str) -> list[Group]:
    """The groups a hit must have no term of (words typed as -word or after NOT)."""
    return list(parse_query(query).excluded)


# Words a proclitic is certainly read off for display: the Arabic of english.txt's names (سوريا،
# لبنان، ايران), the short words and places (غزة، مصر، حلب).
_KNOWN_WORDS = SHORT_WORDS | frozenset(w for arabic in _ENGLISH.values() for w in tokens(arabic))


def shown_word(word: str, known: Iterable[str] = ()) -> str:
    """`word` as typed, without the proclitic a query reads off it, when what is left is certainly
    the word meant: the article after it (بالعراق → العراق, والمريخ → المريخ), or a name the
    analyzer knows or `known` holds (بسوريا → سوريا, وإيران → إيران). For display only (what a reply
    says it searched for): anything else comes back as typed (بايدن, not ب + ايدن)."""
    folded = normalize(word)
    # With marks or presentation forms the letters would not line up with the folded ones.
    if not folded or len(folded) != len(word) or not ("\u0621" <= folded[0] <= "\u064a"):
        return word
    if folded in WHOLE_WORDS or folded in _KNOWN_WORDS:
        return word
    for article in _ARTICLES[:-1]:  # وال، بال ... (ال itself stays)
        if folded.startswith(article) and len(folded) - len(article) >= 3:
            return word[len(article) - 2 :]
    names = _KNOWN_WORDS.union(normalize(w) for w in known)
    for proclitic in _PROCLITICS:
        if folded.startswith(proclitic) and folded[len(proclitic) :] in names:
            return word[len(proclitic) :]
    return word


def query_terms(query: str) -> list[str]:
    """Every term a query can match, in order, without repeats (for highlighting and display)."""
    return list(_unique(term for group in query_groups(query) for term in group))


@lru_cache(maxsize=4096)
def keyword_groups(keyword: str) -> tuple[Group, ...]:
    """A followed keyword's (or a topic keyword's) groups: every word, operators read as none
    (following reads no "-word", NOT or «أو»: a keyword stored with «أو» keeps needing both words,
    «أو» being a stop word)."""
    groups: list[Group] = []
    _extend(groups, _groups_of(_words(keyword[:MAX_QUERY_CHARS], for_query=True)))
    return tuple(groups[:MAX_QUERY_GROUPS])


# Where each term of a text occurs: word positions, stop words counted as words.
Positions = Mapping[str, Sequence[int]]

# A followed phrase's words may stand this many words further apart than typed: «هجوم إسرائيلي على
# غزة» for «هجوم على غزة». Measured on ANT: two more let in «حزب العدالة والتنمية عبد الله غول» for
# «حزب الله» and «كأس الاتحاد الإنجليزي ... أوروبا» for «الاتحاد الأوروبي».
PHRASE_SLACK = 1
# Lines (a title, a summary sentence, a paragraph) are this many words apart: no phrase spans two
# («ماكرون يستقبل الرئيس» / «الأمريكيون يتظاهرون» is no «الرئيس الأمريكي»).
_LINE_GAP = MAX_QUERY_CHARS


# Between the two halves of a joined name in `term_positions`: «عبدالله» is recorded as
# "عبد+له" (and not as عبد and له), so only a keyword with both words side by side meets it.
_BOUND = "+"


def term_positions(text: str) -> dict[str, tuple[int, ...]]:
    """Each term of a text (as `index_terms` has them) with the positions of the words it comes
    from; what matching a followed phrase reads. A number's parts (f and 16 after f16, which the
    index keeps as words of their own) stand where the number does, so they widen no phrase.

    The halves of a joined name are no words of their own here (the index has them): «الحزب
    عبدالله» is no «حزب الله», «عبدالرحمن» no «الرحمن», «فتحالله غولن» no «فتح». Each pair of their
    readings is recorded as one bound term at the first half's place; `matches` reads it for a
    keyword whose neighbouring words are those halves («عبد الله», «حسن نصر الله», "Abu Dhabi")."""
    found: dict[str, list[int]] = {}
    at = -1
    for line in text.split("\n"):
        parts = ""
        for word in _words(line, split_names=False):
            if parts.startswith(word):
                parts = parts[len(word) :]
                halves = [word]
            else:
                at += 1
                # What the parts of a joined number spell, in order (1d2 → 1, 2; f16 → f, 16).
                parts = _JOINED_POINT.sub("", word) if _DIGIT.search(word) else ""
                halves = _split_names(word).split()
            if len(halves) == 1:
                for term in _analyse(word, False):
                    found.setdefault(term, []).append(at)
                continue
            for place, (first, second) in enumerate(pairwise(halves), start=at):
                for head in _analyse(first, False):
                    for tail in _analyse(second, False):
                        found.setdefault(head + _BOUND + tail, []).append(place)
            at += len(halves) - 1  # the name takes as many places as written apart
        at += _LINE_GAP
    return {term: tuple(where) for term, where in found.items()}


def _with_bound_halves(positions: Positions, groups: Sequence[Group]) -> Positions:
    """`positions` with the halves of the joined names that stand for two neighbouring words of the
    keyword («عبدالله» for «عبد» then «الله») at the places of those words."""
    extra: dict[str, list[int]] = {}
    for first, second in pairwise(groups):
        for head in first:
            for tail in second:
                for at in positions.get(head + _BOUND + tail, ()):
                    extra.setdefault(head, []).append(at)
                    extra.setdefault(tail, []).append(at + 1)
    if not extra:
        return positions
    merged = dict(positions)
    for term, places in extra.items():
        merged[term] = tuple(sorted({*positions.get(term, ()), *places}))
    return merged


@lru_cache(maxsize=4096)
def _phrase_width(keyword: str) -> int:
    """How many words a match of `keyword` may span: its words as typed (stop words count), or as
    many as its Arabic reading has ("MBS" is «محمد بن سلمان»), + slack."""
    typed = len(_words(keyword[:MAX_QUERY_CHARS], for_query=True))
    return max(typed, len(keyword_groups(keyword))) + PHRASE_SLACK


def _ordered_span(positions: Positions, groups: Sequence[Group]) -> int:
    """The fewest consecutive words that hold a term of every group in the groups' order (for each
    place of the first, the earliest place of each next one after it)."""
    places = [sorted({at for term in group for at in positions.get(term, ())}) for group in groups]
    best = sys.maxsize
    for start in places[0]:
        at = start
        for later in places[1:]:
            i = bisect_right(later, at)
            if i == len(later):
                return best  # no later start can find the rest either
            at = later[i]
        best = min(best, at - start + 1)
    return best


def _narrowest_span(positions: Positions, groups: Sequence[Group]) -> int:
    """The fewest consecutive words that hold a term of every group in any order, each group
    having one (a sliding window over the groups' positions in text order)."""
    hits = sorted(
        (at, g) for g, group in enumerate(groups) for term in group for at in positions.get(term, ())
    )
    seen = [0] * len(groups)
    missing, start, best = len(groups), 0, hits[-1][0] - hits[0][0] + 1  # the whole text's span
    for at, g in hits:
        missing -= seen[g] == 0
        seen[g] += 1
        while missing == 0:
            first, first_group = hits[start]
            best = min(best, at - first + 1)
            seen[first_group] -= 1
            missing += seen[first_group] == 0
            start += 1
    return best


def matches(text_terms: Positions, keyword: str) -> bool:
    """True when `keyword` occurs in the analysed text (`term_positions(text)`): every word of it,
    and, for a keyword of several words, all of them on one line near one another (a phrase, not a
    bag of words: «حزب الله» is not any «حزب» and any «الله»): in the typed order with at most
    `PHRASE_SLACK` words more between them, or side by side in any order («لبنان وسوريا» for
    «سوريا لبنان»; «فتح الله غولن وحزب العمال» is no «حزب الله»).

    A keyword with no searchable word (only stop words, emoji ...) matches nothing.
    """
    groups = keyword_groups(keyword)
    text_terms = _with_bound_halves(text_terms, groups)
    if not groups or not all(any(term in text_terms for term in group) for group in groups):
        return False
    return (
        len(groups) == 1
        or _ordered_span(text_terms, groups) <= _phrase_width(keyword)
        or _narrowest_span(text_terms, groups) <= len(groups)
    )
