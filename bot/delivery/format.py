"""Story cards and digests as Telegram HTML.

Everything that comes from a feed (titles, sources, sentences, URLs) is escaped with `html.escape`;
only this module's own tags reach Telegram unescaped. In an Arabic message, lines whose visible text
would start with a Latin letter or a digit get an RLM mark so Telegram lays the Arabic out
right-to-left; an English message gets none (it would be laid out right-to-left).

Length: Telegram refuses texts over 4096 UTF-16 units of visible text (counted after entity parsing:
a link's address counts nothing). We count the same way (`visible_len`), so a long address never
pushes the summary out of a card. A story card is shortened (sentences dropped, then the last one
cut at a word boundary with "…") — all on plain text before escaping, so nothing is ever cut inside
a tag or an entity. Digests are split with `split_html`, which cuts at line breaks and
closes/reopens open tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import as_utc, utcnow
from bot.config import SummaryConfig
from bot.db.models import Story
from bot.feeds.content import trim
from bot.i18n import (
    ELLIPSIS,
    RLM,
    ar_digits,
    arabic_led_by_latin,
    clip,
    latin_first,
    month_name,
    number,
    text,
)

MAX_MESSAGE = 4096
MAX_TITLE_CHARS = 300
DIGEST_LEAD_CHARS = 600
# The expanded card ("المزيد") shows this many more sentences than the subscriber's setting, at least.
EXPANDED_EXTRA = 3
EXPANDED_MAX = 12
# `[summary] max_chars`, for callers that do not pass the configured value.
MAX_SUMMARY_CHARS: int = SummaryConfig.model_fields["max_chars"].default

TEXTS = {
    "source": {"ar": "المصدر", "en": "Source"},
    "more": {"ar": "المزيد", "en": "More"},
    "also": {"ar": "وأيضًا في:", "en": "Also in:"},
    "digest_title": {"ar": "موجز الأخبار", "en": "News digest"},
    "digest_count": {"ar": "عدد الأخبار: {count}", "en": "{count} {count:story|stories}"},
    "digest_part": {"ar": "(الجزء {part} من {parts})", "en": "(part {part} of {parts})"},
}
# Texts that name commands: the commands are the only Latin letters in their Arabic versions.
COMMAND_TEXTS = {
    # The last line of a capped digest (see digest.py).
    "digest_more": {
        "ar": "أخبار أخرى من هذه الفترة لم تُعرض هنا: {count}. "
        "لآخر الأخبار أرسل /latest، وللبحث فيها أرسل /search مع كلمة.",
        "en": "{count} more {count:story|stories} from this period {count:is|are} not shown here. "
        "Send /latest for the latest news, or /search with a word to look through them.",
    },
}


@dataclass(frozen=True)
class RenderedMessage:
    text_html: str
    buttons: InlineKeyboardMarkup | None
    # Whether the "More" button is there (an expanded view with more sentences exists).
    has_more: bool = False
    sentences: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- small helpers


def utf16_len(value: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji is two)."""
    return len(value.encode("utf-16-le")) // 2


def esc(value: str) -> str:
    return html.escape(value, quote=True)


def rtl(line_html: str, visible: str, lang: str) -> str:
    """In an Arabic message, the HTML line with an RLM in front when its visible text starts with
    Latin letters or digits."""
    return RLM + line_html if lang == "ar" and latin_first(visible) else line_html


def rtl_story(line_html: str, visible: str, lang: str) -> str:
    """A line of the story itself (its title, a sentence): as `rtl` in an Arabic message, and in an
    English one too when it is an Arabic line led by a Latin word."""
    if lang != "ar" and arabic_led_by_latin(visible):
        return RLM + line_html
    return rtl(line_html, visible, lang)


# A link a card, a search result or an inline answer may carry: a web address (escaped where written).
_SAFE_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def safe_url(url: str | None) -> str | None:
    return url.strip() if url and _SAFE_URL.match(url.strip()) else None


@lru_cache(maxsize=256)
def zone(name: str | None, fallback: str = "Asia/Riyadh") -> tzinfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_time(moment: datetime, *, lang: str, tz: str, now: datetime | None = None) -> str:
    """'١٤:٣٠' today, '٥ مارس ١٤:٣٠' on another day, '٢٠ يوليو ٢٠١٨ ١٤:٣٠' in another year (English:
    '14:30', '5 Mar 14:30', '20 Jul 2018 14:30'): a story from a feed quiet for a year, or found by
    search, must not read as this year's."""
    zone_info = zone(tz)
    local = as_utc(moment).astimezone(zone_info)
    today = as_utc(now or utcnow()).astimezone(zone_info).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return number(clock, lang)
    year = "" if local.year == today.year else f" {local.year}"
    if lang == "ar":
        return f"{ar_digits(local.day)} {month_name(local.month, 'ar')}{ar_digits(year)} {ar_digits(clock)}"
    return f"{local.day} {month_name(local.month, 'en')}{year} {clock}"


def clip_title(title: str | None) -> str:
    """A story's title as every message shows it: one line, at most MAX_TITLE_CHARS."""
    return clip(title or "", MAX_TITLE_CHARS) or ELLIPSIS


# --------------------------------------------------------------------------- story card


def _sentence_pool(story: Story, count: int, max_chars: int) -> list[str]:
    """`count` summary sentences: the stored summary, or a longer summary of the text when needed;
    within max_chars either way."""
    stored = [s for s in (story.summary or []) if s and s.strip()]
    if len(stored) >= count or not (story.text or "").strip():
        pool = stored[:count]
    else:
        more = _summarize(story.text, story.title, count)
        pool = more if len(more) > len(stored) else stored
    return _mark_cut_off(_within(pool, max_chars), story.text)


def _within(sentences: list[str], max_chars: int) -> list[str]:
    """The sentences as the stored summary is trimmed (whole sentences within max_chars), the first
    one cut at a word boundary when it alone is longer: the README promises no summary runs longer,
    and a re-summarised text or a feed with no full stops can hold a sentence of thousands."""
    kept = trim(sentences, max_chars)
    if kept and len(kept[0]) > max_chars:
        kept[0] = clip(kept[0], max_chars)
    return kept


_SENTENCE_END = re.compile(r"[.!?؟…]['\"»”’)\]]*$")


def _mark_cut_off(sentences: list[str], text_value: str | None) -> list[str]:
    """Many feeds' descriptions are the article's first words, cut mid-sentence; the card shows
    such a last fragment with an ellipsis so it does not read as a whole sentence. A cut lead is one
    paragraph: a body of several that ends without a stop (a table of results, a list) is whole."""
    tail = (text_value or "").rstrip()
    if "\n\n" in tail:
        return sentences
    return [
        f"{s.rstrip()} {ELLIPSIS}"
        if tail.endswith(s.rstrip()) and not _SENTENCE_END.search(s.rstrip())
        else s
        for s in sentences
    ]


@lru_cache(maxsize=512)
def _summarize_cached(text_value: str, title: str, count: int) -> tuple[str, ...]:
    try:
        from summarizer import summarize
    except ImportError:  # the summarizer is optional here: the stored summary is enough
        return ()
    return tuple(summarize(text_value, title=title or None, sentences=count))


def _summarize(text_value: str, title: str, count: int) -> list[str]:
    return list(_summarize_cached(text_value, title or "", count))


def expanded_count(sentences: int) -> int:
    return min(max(sentences + EXPANDED_EXTRA, 2 * sentences), EXPANDED_MAX)


def render_story(
    story: Story,
    *,
    lang: str,
    tz: str,
    sentences: int,
    expanded: bool = False,
    now: datetime | None = None,
    limit: int = MAX_MESSAGE,
    also: Sequence[tuple[str, str | None]] = (),
    max_chars: int = MAX_SUMMARY_CHARS,
) -> RenderedMessage:
    """The story card: bold linked title, source · local time, summary sentences, buttons.

    `also`: (source, url) of other outlets' stories on the same event (bot.delivery.grouping),
    listed on a last line as links. `max_chars` (`[summary] max_chars`) bounds the summary, the
    expanded one too: "المزيد" shows more sentences only as far as that allows."""
    sentences = max(1, int(sentences))
    compact = _sentence_pool(story, sentences, max_chars)
    if expanded:
        shown = _sentence_pool(story, expanded_count(sentences), max_chars)
        has_more = False
    else:
        shown = compact
        has_more = len(_sentence_pool(story, expanded_count(sentences), max_chars)) > len(compact)

    title = clip_title(story.title)
    url = safe_url(story.url)
    title_html = f'<b><a href="{esc(url)}">{esc(title)}</a></b>' if url else f"<b>{esc(title)}</b>"
    head = [rtl_story(title_html, title, lang), meta_line(story, lang=lang, tz=tz, now=now)]
    text_html, kept = _fit(head, shown, limit, lang, tail=_also_line(also, lang))

    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    if url:
        row.append(InlineKeyboardButton(text(TEXTS, "source", lang), url=url))
    if has_more:
        row.append(InlineKeyboardButton(text(TEXTS, "more", lang), callback_data=f"more:{story.id}"))
    if row:
        rows.append(row)
    return RenderedMessage(
        text_html=text_html,
        buttons=InlineKeyboardMarkup(rows) if rows else None,
        has_more=has_more,
        sentences=kept,
    )


# How the «also» line starts, in each language (handlers/story_buttons.py reads it back).
ALSO_LABELS = tuple(TEXTS["also"].values())


def _also_line(also: Sequence[tuple[str, str | None]], lang: str) -> str:
    links = []
    for source, link in also:
        name = " ".join(source.split()) or ELLIPSIS
        url = safe_url(link)
        links.append(f'<a href="{esc(url)}">{esc(name)}</a>' if url else esc(name))
    if not links:
        return ""
    # Starts with the label, in the reader's language: no RLM needed in either.
    return f"<i>{esc(text(TEXTS, 'also', lang))}</i> " + " · ".join(links)


def _fit(
    head: list[str], sentences: Sequence[str], limit: int, lang: str, tail: str = ""
) -> tuple[str, list[str]]:
    """Head lines plus as many sentences as fit, then the tail line; the last sentence cut at a word
    boundary if needed. Measured as Telegram measures: visible text only."""
    kept = [" ".join(s.split()) for s in sentences if s.strip()]

    def build(items: Iterable[str]) -> str:
        body = "\n\n".join(rtl_story(esc(s), s, lang) for s in items)
        return "\n".join(head) + ("\n\n" + body if body else "") + ("\n\n" + tail if tail else "")

    result = build(kept)
    while visible_len(result) > limit and len(kept) > 1:
        kept.pop()
        result = build(kept)
    if visible_len(result) > limit and kept:
        # RLM (1) + the separator (2) are not in build([]); leave room for them.
        room = limit - visible_len(build([])) - 3
        kept[-1] = clip(kept[-1], max(room, 1), size=utf16_len)
        result = build(kept)
        if visible_len(result) > limit:  # the head alone is too long: drop the body entirely
            kept = []
            result = build(kept)
    return result, kept


# --------------------------------------------------------------------------- digest


def render_digest(
    stories: Sequence[Story],
    *,
    lang: str,
    tz: str,
    slot: datetime,
    limit: int = MAX_MESSAGE,
    more: int = 0,
    now: datetime | None = None,
) -> list[str]:
    """One digest: a header, then the stories grouped by source (title link + lead sentence), and,
    when `more` stories were left out (see digest.py), a last line saying how many and how to find them.

    Returns one or more message texts (split at line breaks when longer than `limit`).
    """
    return [
        part
        for part, _ in render_digest_parts(
            stories, lang=lang, tz=tz, slot=slot, limit=limit, more=more, now=now
        )
    ]


def render_digest_parts(
    stories: Sequence[Story],
    *,
    lang: str,
    tz: str,
    slot: datetime,
    limit: int = MAX_MESSAGE,
    more: int = 0,
    also: Mapping[int, Sequence[tuple[str, str | None]]] | None = None,
    now: datetime | None = None,
) -> list[tuple[str, dict[int, str]]]:
    """render_digest's messages, each with the items it shows: {story id: its item as rendered by
    digest_item}, so a correction can replace one story's item in the message that holds it.

    `also`: for a story, the other outlets' stories on the same event (bot.delivery.grouping), a
    line under its item; a line of its own, so that a corrected item leaves it as it was."""
    # A digest caught up after the bot was down names its slot with the date ("٧ مايو ٢٠:٠٠").
    when = local_time(slot, lang=lang, tz=tz, now=now or slot)
    count = number(len(stories), lang)
    title = f"<b>{esc(text(TEXTS, 'digest_title', lang))}</b> · {when}"
    blocks = [[title, esc(text(TEXTS, "digest_count", lang, count=count))]]
    resume: list[list[str]] = [[]]
    items: dict[int, str] = {}
    groups: dict[str, list[Story]] = {}
    for story in stories:
        groups.setdefault(source_key(story), []).append(story)
    for source in sorted(groups, key=lambda s: (-len(groups[s]), s)):
        heading = ["", rtl(f"<b>{esc(source)}</b>", source, lang)]
        first = True
        for story in sorted(groups[source], key=lambda s: as_utc(s.published_at or utcnow())):
            items[story.id] = digest_item(story, lang)
            links = _also_line((also or {}).get(story.id, ()), lang)
            blocks.append([*(heading if first else []), items[story.id], *([links] if links else [])])
            # A message that opens in the middle of a source names it again.
            resume.append([] if first else heading)
            first = False
    if more > 0:
        line = text(COMMAND_TEXTS, "digest_more", lang, count=number(more, lang))
        blocks.append(["", f"<i>{esc(line)}</i>"])  # starts with an Arabic word or, in English, needs no RLM
        resume.append([])
    # Room for the line that numbers the messages of a long digest, added once their count is known.
    numbering = visible_len(title) + len(text(TEXTS, "digest_part", lang, part=99, parts=99)) + 2
    parts = _pack(blocks, limit, resume=resume, reserve=numbering)
    if len(parts) > 1:
        parts = [_numbered(part, title, i, len(parts), lang) for i, part in enumerate(parts, 1)]
    return [(part, {story_id: item for story_id, item in items.items() if item in part}) for part in parts]


def _numbered(part: str, title: str, index: int, count: int, lang: str) -> str:
    """A message of a digest sent in several: its number in the title line, which the later
    messages repeat, so each reads as the continuation it is."""
    label = esc(text(TEXTS, "digest_part", lang, part=number(index, lang), parts=number(count, lang)))
    if index == 1:
        return part.replace(title, f"{title} {label}", 1)
    return f"{title} {label}\n{part}"


def meta_line(story: Story, *, lang: str, tz: str, now: datetime | None = None) -> str:
    """ "source · local time", the line under a story's title wherever it stands alone."""
    source = " ".join((story.source or "").split())
    when = local_time(story.published_at or story.fetched_at or utcnow(), lang=lang, tz=tz, now=now)
    meta_plain = f"{source} · {when}" if source else when
    meta_html = f"{esc(source)} · {when}" if source else when
    return rtl(meta_html, meta_plain, lang)


def listed_item(story: Story, *, lang: str, tz: str) -> str:
    """A story in a list of answers (a group's): its digest item with the source and time under
    the title, since no source heading stands above it and a week-old story must not read as new."""
    title, *lead = digest_item(story, lang).split("\n", 1)
    return "\n".join([title, meta_line(story, lang=lang, tz=tz), *lead])


def digest_item(story: Story, lang: str = "ar") -> str:
    """A story as a digest lists it: its linked title, then its lead sentence on the next line."""
    title = clip_title(story.title)
    url = safe_url(story.url)
    linked = f'<a href="{esc(url)}">{esc(title)}</a>' if url else esc(title)
    lines = [rtl_story(f"• {linked}", title, lang)]
    lead = next((s for s in story.summary or [] if s.strip()), "")
    if lead:
        lead = clip(lead, DIGEST_LEAD_CHARS)
        lines.append(rtl_story(esc(lead), lead, lang))
    return "\n".join(lines)


def source_key(story: Story) -> str:
    """The heading a story is grouped under in a digest (its source, whitespace tidied)."""
    return " ".join((story.source or "").split()) or ELLIPSIS


def _pack(
    blocks: Sequence[list[str]],
    limit: int,
    *,
    resume: Sequence[list[str]] | None = None,
    reserve: int = 0,
) -> list[str]:
    """Whole blocks (a story's title and lead, with its source's heading before the first) per
    message, so no message ends on a heading or a title whose lead is in the next one. Only a block
    too long for a message of its own goes through split_html. A block that opens a message is
    preceded by its `resume` lines (its source's heading); `reserve` characters of each message
    are left for a line added afterwards."""
    limit -= reserve
    parts: list[str] = []
    current, size = "", 0  # the message being filled, and its visible length (kept, not re-measured)
    for index, block in enumerate(blocks):
        piece = "\n".join(block)
        if current:
            grown = size + 1 + visible_len(piece)
            if grown <= limit:
                current, size = f"{current}\n{piece}", grown
                continue
            parts.append(current)
            if resume is not None and resume[index]:
                piece = "\n".join([*resume[index], *block])
        current = piece.lstrip("\n")
        size = visible_len(current)
        if size > limit:
            parts.extend(split_html(current, limit))
            current, size = "", 0
    if current:
        parts.append(current)
    return parts


# --------------------------------------------------------------------------- splitting

_TOKEN = re.compile(r"<[^>]*>|&[#\w]+;|\n|[^\S\n]+|[^<&\s]+|[<&]")
_TAG_NAME = re.compile(r"^</?\s*([a-zA-Z][\w-]*)")


def _tag(atom: str) -> tuple[str, bool] | None:
    """(name, is_closing) for a tag atom, None for text."""
    if not atom.startswith("<") or len(atom) < 3:
        return None
    match = _TAG_NAME.match(atom)
    return (match.group(1).lower(), atom.startswith("</")) if match else None


@dataclass
class _Chunk:
    atoms: list[str] = field(default_factory=list)
    size: int = 0
    # (tag name, opening tag text) for tags opened and not yet closed.
    stack: list[tuple[str, str]] = field(default_factory=list)
    content: bool = False

    def push(self, atom: str) -> None:
        self.atoms.append(atom)
        self.size += _visible(atom)
        tag = _tag(atom)
        if tag is None:
            self.content = self.content or bool(atom.strip())
            return
        name, closing = tag
        if not closing:
            self.stack.append((name, atom))
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == name:
                del self.stack[i:]
                break

    def closing(self) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(self.stack))

    def render(self) -> str:
        return "".join(self.atoms).rstrip() + self.closing()


def _atoms(text_html: str, limit: int) -> list[str]:
    """Tags, entities, newlines, runs of spaces and words; words longer than a quarter chunk are cut."""
    atoms: list[str] = []
    piece = max(limit // 4, 1)
    for token in _TOKEN.findall(text_html):
        if len(token) > piece and not token.startswith("<"):
            atoms.extend(token[i : i + piece] for i in range(0, len(token), piece))
        else:
            atoms.append(token)
    return atoms


def visible_len(text_html: str) -> int:
    """A message's length as Telegram limits it: UTF-16 units of the text once its HTML is read
    (a tag counts nothing, "&amp;" counts one)."""
    return sum(_visible(atom) for atom in _TOKEN.findall(text_html))


def _visible(atom: str) -> int:
    if _tag(atom) is not None:
        return 0
    if atom.startswith("&") and atom.endswith(";"):
        return utf16_len(html.unescape(atom))
    return utf16_len(atom)


def split_html(text_html: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split Telegram HTML into messages of at most `limit` UTF-16 units of visible text.

    Cuts at the chunk's last line break, else its last space, else between two words; never inside a
    tag or an entity. Tags open at a cut are closed at the end of the part and reopened at the start
    of the next, so every part is valid HTML on its own.
    """
    if visible_len(text_html) <= limit:
        return [text_html] if text_html.strip() else []
    atoms = _atoms(text_html, limit)
    parts: list[str] = []
    reopen: list[str] = []
    i = 0
    while i < len(atoms):
        chunk = _Chunk()
        for opening in reopen:
            chunk.push(opening)
        newline_at = space_at = None
        j = i
        while j < len(atoms):
            atom = atoms[j]
            if not chunk.content and not atom.strip():  # no blank lines or spaces at the start of a part
                j += 1
                continue
            if chunk.size + _visible(atom) > limit and chunk.content:
                break
            chunk.push(atom)
            if chunk.content and atom == "\n":
                newline_at = j
            elif chunk.content and not atom.strip():
                space_at = j
            j += 1
        if j >= len(atoms):  # everything left fits
            if chunk.content:
                parts.append(chunk.render())
            break
        cut = newline_at if newline_at is not None else space_at if space_at is not None else j
        head = _Chunk()
        for opening in reopen:
            head.push(opening)
        for atom in atoms[i:cut]:
            if head.content or atom.strip():
                head.push(atom)
        parts.append(head.render())
        reopen = [opening for _, opening in head.stack]
        i = cut + 1 if cut < len(atoms) and not atoms[cut].strip() else cut
    return parts
