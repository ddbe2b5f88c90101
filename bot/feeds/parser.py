"""Feed documents into entries, with feedparser (and JSON Feed, which feedparser does not read).

feedparser is given the raw bytes and the response headers, so it finds the encoding the way a
browser would (HTTP charset, XML declaration, BOM, then sniffing): a windows-1256 feed comes out as
proper Arabic. RSS 0.9x/1.0/2.0 and Atom are all understood. A "bozo" (ill-formed) feed is accepted
when it still yields entries (ParsedFeed.ill_formed says so); with none it is not a feed. HTML is
left as it is here (sanitising is skipped: nothing from a feed is ever shown as HTML; the
summarizer's cleaning turns it into plain text).
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import functools
import hashlib
import html
import io
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.entities import html5
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser.mixin
import feedparser.urls
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

from bot.feeds import dates
from bot.feeds.identity import entry_key, normalize_url, url_key

# feedparser resolves xml:base again for every element it opens (a urljoin and a urlparse each
# time): a tenth of a parse worker's CPU on a first poll. The answer depends on the two arguments
# alone and a feed has one base, so it is memoised (the module reads it from its own namespace).
feedparser.mixin.make_safe_absolute_uri = functools.lru_cache(maxsize=1024)(
    feedparser.urls.make_safe_absolute_uri
)

# A page, not a feed: a doctype or <html>, or (error pages written by hand) <head> or <body> first;
# after a BOM, the XML declaration and comments.
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|(?:html|head|body)[\s>])",
    re.I | re.S,
)
# Decoded as UTF-8, a legacy-encoded Arabic text breaks at nearly every letter, and the few byte
# pairs that happen to be valid UTF-8 touch a broken byte (none apart, measured on the ANT sample);
# a UTF-8 text with a pasted legacy item, or a few cut letters, keeps its own characters apart.
_UTF8_GOOD_RATIO = 50
_BROKEN = re.compile(r"[\udc80-\udcff]+")
_UTF8_APART = re.compile(r"(?<![\udc80-\udcff])[^\x00-\x7f\udc80-\udcff](?![\udc80-\udcff])")
_ARABIC_ONLY = re.compile(r"[\u0600-\u06ff\u200c\u200d]+")
# HTTP charsets that are a server's default rather than the author's word (Apache's ISO-8859-1).
_WESTERN = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
# The single-byte Arabic encodings (codecs' names), and the names feedparser is given.
_ARABIC_CODECS = {"cp1256": "windows-1256", "iso8859-6": "ISO-8859-6"}
_ARABIC_LETTER = re.compile("[\u0621-\u063a\u0641-\u064a]")
# Latin-1 letters windows-1256 has among its Arabic ones, and bytes ISO-8859-6 leaves undefined.
_NOT_ARABIC = re.compile("[\u00c0-\u00ff\ufffd]")
# UTF-8 Arabic read as windows-1252 or Latin-1 and saved as UTF-8 again («Ø§Ù„» for «ال»): a
# lead byte 0xD8-0xDB, then a continuation byte 0x80-0xBF, as those encodings show them.
_MOJIBAKE_LEAD = "ØÙÚÛ"
_MOJIBAKE = re.compile("[ØÙÚÛ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
_ARABIC_BLOCK = re.compile("[\u0600-\u06ff]")
_MARKUP_TEXT = re.compile("[^<>]+")
_MOJIBAKE_BYTES = (b"\xc3\x98", b"\xc3\x99")  # Ø and Ù in UTF-8: ا ل م و ي... all start so
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>", re.I)
# Declarations before the root element: feedparser strips (and makes safe) a DOCTYPE and its
# ENTITY declarations only at the start of a line, and a DOCTYPE left in place after the XML
# declaration made expat drop every HTML entity it did not declare (&nbsp; glued two words).
_FIRST_ELEMENT = re.compile(rb"<\w")
_INLINE_DECLARATION = re.compile(rb"(?<=[^\s])[ \t]*(?=<!(?:DOCTYPE|ENTITY)\b)")
# HTML's named entities (XML's own five aside), undeclared in a feed: expat rejects or drops them.
_HTML_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "application/xml",
    "text/xml",
)


class FeedParseError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedEntry:
    key: str
    url: str | None  # normalised: tracking parameters stripped
    title: str
    summary_html: str
    content_html: str
    published: datetime | None
    categories: list[str] = field(default_factory=list)
    # url_key(url), derived on creation, that is in the parse worker, not on the poller's write path.
    link_key: str | None = None
    # entry_digest(...), also derived in the parse worker; kept when the HTML is dropped afterwards.
    digest: str = ""

    def __post_init__(self) -> None:
        if self.link_key is None and self.url:
            object.__setattr__(self, "link_key", url_key(self.url))
        if not self.digest:
            object.__setattr__(self, "digest", entry_digest(self.title, self.summary_html, self.content_html))


def entry_digest(title: str, summary_html: str, content_html: str) -> str:
    """What a reader sees of an entry, hashed: its title and the words of its description and
    content, markup aside (a feed that rewrites an image's address or its attributes on every
    fetch has not corrected the story)."""
    parts = [title, *(" ".join(_TAG.sub(" ", part).split()) for part in (summary_html, content_html))]
    return hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    ttl_seconds: float | None
    entries: list[ParsedEntry]
    version: str = ""
    bozo_reason: str | None = None
    # Not well-formed XML (bozo_reason says why), its items read by feedparser's lenient parser;
    # a wrong charset label alone is not ill-formed.
    ill_formed: bool = False
    # False when the body stopped before the document's end: its validators (ETag, Last-Modified)
    # name the whole document, so they must not turn the next poll into a 304.
    complete: bool = True


_INLINE_TAG = re.compile(r"</?(?:a|b|i|u|em|strong|span|font|small|big|sup|sub|mark|q|abbr)\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[a-z][a-z0-9]*\b[^<>]*>|<!--.*?-->", re.I | re.S)
_ESCAPED_TAG = re.compile(r"&lt;/?[a-z][a-z0-9]*\b[^<>]*?&gt;", re.I)


def plain_title(value: str) -> str:
    """A title as readers see it: no tags, no entities. Feeds put HTML in titles (CDATA with <b>,
    Atom type="html") and escape titles twice (&amp;quot;), and delivery escapes what it shows,
    so any of it left here reached users as literal <b> and &quot;. One more unescape than
    feedparser's is safe: a real title never means the characters "&quot;"."""
    text = html.unescape(value) if "&" in value else value
    if "<" in text:
        text = _TAG.sub(" ", _INLINE_TAG.sub("", text))
        text = html.unescape(text) if "&" in text else text
    return " ".join(text.split())


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


# News feeds did not exist before this; an earlier date is a placeholder (UNIX time 0, year 1).
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _plausible(value: datetime | None) -> datetime | None:
    """The date, unless it is a placeholder: the poller then uses the time it fetched the item,
    as for an undated one (cards show the date, /latest sorts by it, search favours recent ones).
    Future dates are the poller's to clamp: it knows the time of the poll."""
    return value if value is not None and value >= _EARLIEST else None


def _ttl_seconds(value: Any) -> float | None:
    try:
        minutes = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def looks_like_html(content: bytes) -> bool:
    return bool(_HTML_START.match(content[:2048]))


def _as_utf8(content: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """The body and headers that make feedparser decode what the bytes really are.

    A body with non-ASCII bytes that is UTF-8 is read as UTF-8, whatever the HTTP charset or the
    XML declaration claims: Arabic in windows-1256 or ISO-8859-6 (letters 0xC1-0xFE, each followed
    by another letter or a space) is never valid UTF-8, while a UTF-8 feed served as windows-1256
    (a server default) or saved with a BOM under an old windows-1256 declaration is common, and
    decoding it as the label says stores mojibake with no error. A UTF-8 body with broken bytes
    counts as UTF-8 too (see _repaired): feedparser would read the whole document in whatever
    single-byte encoding fits (IBM855, or windows-1256 over its UTF-8 items).
    A legacy body labelled with a Western server default is read as its XML declaration or its
    bytes say, and single-byte Arabic as whichever of windows-1256 and ISO-8859-6 reads as
    Arabic, whatever the label and the declaration claim (see _legacy_charset).
    With no Content-Type at all feedparser reads raw text as ISO-8859-1 but character references
    as Unicode, so the XML rules (declaration, else UTF-8) are asked for instead. A UTF-16 byte
    order mark says what the body is, whatever the server's label (often a blanket charset=utf-8)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        with contextlib.suppress(UnicodeDecodeError):
            utf8_body = content.decode("utf-16").encode("utf-8")
            return utf8_body, {**headers, "content-type": "application/xml; charset=utf-8"}
    body = content[3:] if content.startswith(b"\xef\xbb\xbf") else content
    if not body.isascii() and b"\x00" not in body:
        utf8 = {**headers, "content-type": "application/xml; charset=utf-8"}
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            repaired = _repaired(body)
            if repaired is not None:
                return repaired.encode("utf-8"), utf8
            charset = _legacy_charset(body, headers.get("content-type", ""))
            if charset is not None:
                return content, {**headers, "content-type": f"application/xml; charset={charset}"}
        else:
            return _unmojibaked_document(body) or content, utf8
    if not headers.get("content-type", "").strip():
        return content, {**headers, "content-type": "application/xml"}
    return content, headers


def _unmojibaked_document(body: bytes) -> bytes | None:
    """A UTF-8 body whose Arabic is mostly mojibake (see _MOJIBAKE), repaired; None otherwise.
    Its items' fields would each be repaired anyway (see _unmojibaked), but not its channel's
    name, categories or anything else feedparser reads."""
    if not any(mark in body for mark in _MOJIBAKE_BYTES):
        return None
    text = body.decode("utf-8")
    arabic = len(_ARABIC_LETTER.findall(text))
    if len(_MOJIBAKE.findall(text)) <= arabic:
        return None
    # Text by text, between tags: ftfy decodes a stretch that is all mojibake, and misses some of
    # it (a comma after &quot;, a lone «و») in a whole document that also has real Arabic.
    fixed = _MARKUP_TEXT.sub(lambda match: _unmojibaked(match.group()), text)
    return fixed.encode("utf-8") if fixed != text else None


def _unmojibaked(value: str) -> str:
    """A title or text with no Arabic in it but Arabic mojibake, repaired with ftfy; as it is
    otherwise. Only ftfy's encoding fix: its other fixes (quotes, widths, normalisation) would
    change what the outlet wrote. UTF-8 read as windows-1256 («ط§ظ„» for «ال») is Arabic letters,
    and ftfy knows no windows-1256: see _utf8_read_as_1256."""
    if "ط" in value and "ظ" in value:
        return _utf8_read_as_1256(value)
    if not any(lead in value for lead in _MOJIBAKE_LEAD) or _ARABIC_LETTER.search(value):
        return value
    import ftfy  # here: a tenth of a second to import, in every parse worker, for a rare feed

    fixed = ftfy.fix_encoding(value)
    return fixed if _ARABIC_BLOCK.search(fixed) else value


def _utf8_read_as_1256(value: str) -> str:
    """Arabic UTF-8 read as windows-1256 and saved again: every Arabic letter's lead byte (0xD8,
    0xD9) reads ط or ظ, so they are every other letter, where real Arabic has a few in a hundred.
    Such text is encoded back and read as UTF-8; anything that does not come back whole stays."""
    letters = len(_ARABIC_LETTER.findall(value))
    if letters < 8 or (value.count("ط") + value.count("ظ")) * 10 < letters * 4:
        return value
    try:
        fixed = value.encode("cp1256").decode("utf-8")
    except UnicodeError:
        return value
    return fixed if len(_ARABIC_LETTER.findall(fixed)) * 2 >= letters // 2 else value


def _repaired(body: bytes) -> str | None:
    """A UTF-8 body with broken bytes, decoded; None when it is a legacy-encoded body instead.

    Broken runs that read as Arabic in windows-1256 are an item a CMS pasted in that encoding: they
    are read so, not dropped (its description lost). Others, a letter cut in half by a CMS trimming
    a description to a byte count, are dropped; so is a lone byte, unless the body has such pasted
    Arabic (a one-letter word of it)."""
    text = body.decode("utf-8", errors="surrogateescape")
    broken = sum(len(run) for run in _BROKEN.findall(text))
    if _UTF8_GOOD_RATIO * len(_UTF8_APART.findall(text)) < broken:
        return None
    runs = {run: _as_windows_1256(run) for run in _BROKEN.findall(text)}
    pasted = any(len(run) > 1 and arabic for run, arabic in runs.items())
    kept = {run: arabic if arabic and (pasted or len(run) > 1) else "" for run, arabic in runs.items()}
    return _BROKEN.sub(lambda match: kept[match.group()], text)


def _as_windows_1256(run: str) -> str:
    """The broken bytes (surrogate escapes) as windows-1256, if that reads as Arabic letters."""
    arabic = bytes(ord(char) - 0xDC00 for char in run).decode("cp1256", errors="replace")
    return arabic if _ARABIC_ONLY.fullmatch(arabic) else ""


def _legacy_charset(body: bytes, content_type: str) -> str | None:
    """The charset a legacy (not UTF-8) body really has; None to keep the HTTP label.

    Single-byte Arabic is windows-1256 or ISO-8859-6, and servers and templates name the wrong
    one: the body is decoded both ways and the reading that is Arabic wins (see _arabic_score),
    the XML declaration's on a tie, then the label's. A label that names neither, or is a
    Western server default (Apache's ISO-8859-1), gives way to a declaration that names another
    encoding. A label naming some other encoding is kept."""
    label = _codec(content_type.lower().partition("charset=")[2].split(";")[0].strip(" \"'"))
    if label not in (*_WESTERN, *_ARABIC_CODECS, "utf-8", None):
        return None
    match = _XML_ENCODING.match(body)
    written = match.group(1).decode("ascii") if match is not None else ""
    declared = _codec(written)
    if declared not in (*_WESTERN, *_ARABIC_CODECS, "utf-8", None):
        return written if label in _WESTERN else None
    if not _looks_like_legacy_arabic(body):
        return written if label in _WESTERN and declared in _ARABIC_CODECS else None
    # Ordered by preference: max() keeps the first of equal scores.
    candidates = dict.fromkeys(c for c in (declared, label, *_ARABIC_CODECS) if c in _ARABIC_CODECS)
    return _ARABIC_CODECS[max(candidates, key=lambda codec: _arabic_score(body, codec))]


def _arabic_score(body: bytes, codec: str) -> int:
    """How Arabic the body's non-ASCII words read in this codec. ISO-8859-6 read as windows-1256
    turns و ي ى into è ê é and «ال» into «ان»; windows-1256 read as ISO-8859-6 has no ف ق ك غ
    (bytes it leaves undefined) and turns «ال» into «اف»."""
    text = b" ".join(_HIGH_RUN.findall(body)).decode(codec, errors="replace")
    letters = len(_ARABIC_LETTER.findall(text))
    return letters + 2 * text.count("ال") - 3 * len(_NOT_ARABIC.findall(text))


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _looks_like_legacy_arabic(body: bytes) -> bool:
    """Most non-ASCII bytes are letters 0xC1-0xFE next to another such byte: Arabic words in a
    single-byte encoding. Western text has an accented letter here and there between ASCII ones."""
    runs = _HIGH_RUN.findall(body)
    high = sum(len(run) for run in runs)
    in_words = sum(len(run) for run in runs if len(run) > 1)
    letters = sum(0xC1 <= byte <= 0xFE for run in runs for byte in run)
    return high > 0 and 4 * in_words >= 3 * high and 4 * letters >= 3 * high


def _xml_entities(content: bytes) -> bytes:
    """The document with its DOCTYPE where feedparser strips it, and HTML's named entities as
    numeric references, which every XML parser reads (&nbsp; as a no-break space)."""
    first = _FIRST_ELEMENT.search(content)
    head = content[: first.start()] if first is not None else b""
    if b"<!" in head:
        content = _INLINE_DECLARATION.sub(b"\n", head) + content[len(head) :]
    return _HTML_ENTITY.sub(_numeric_reference, content) if b"&" in content else content


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    text = html5.get(match.group(1).decode("ascii") + ";")
    return match.group() if text is None else "".join(f"&#{ord(c)};" for c in text).encode("ascii")


def parse_feed(content: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed document; raises FeedParseError with a readable reason when it is not a feed."""
    if not content.strip():
        raise FeedParseError("not a feed: empty body")
    if looks_like_html(content):
        raise FeedParseError("not a feed: got an HTML page")
    if _JSON_START.match(content):
        return _json_feed(content, url)
    content, response_headers = _as_utf8(content, {k.lower(): v for k, v in (headers or {}).items()})
    content = _xml_entities(content)
    response_headers.setdefault("content-location", url)
    # A BytesIO, never a str: feedparser would treat a string as a URL or a file name to open.
    parsed = feedparser.parse(
        io.BytesIO(content),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries_raw = parsed.get("entries") or []
    version = parsed.get("version") or ""
    bozo_reason = None
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if parsed.get("bozo"):
        bozo_reason = f"{type(exc).__name__}: {exc}" if exc is not None else "ill-formed feed"
    if not entries_raw and not version:
        if bozo_reason:
            raise FeedParseError(f"not a feed: {bozo_reason}")
        raise FeedParseError("not a feed: no RSS or Atom content")
    # A wrong charset label is feedparser's bozo too, but the document itself is sound.
    ill_formed = bozo_reason is not None and not isinstance(exc, ThingsNobodyCaresAboutButMe)
    base = response_headers.get("content-location") or url
    meta = parsed.get("feed") or {}
    complete = not bozo_reason or bool(_ROOT_END.search(content[-4096:]))
    if not complete and entries_raw:
        # The body stops before the document ends (a close-delimited or gzip body cut short looks
        # complete to HTTP): the last item may be cut mid-text, and an entry is stored once, so it
        # waits for the next whole document. Any other item is complete, as the next one began.
        entries_raw = entries_raw[:-1]
    listed = bool(entries_raw)
    entries = _distinct_keys([e for e in (_entry(raw, base) for raw in entries_raw) if _readable(e[0])])
    if ill_formed and not entries and (listed or not complete):
        # An error page in an <rss> shell ("Database connection failed", cut short), or items none
        # of which can be read: counting it a successful poll would hide the outage from /feed and
        # from pausing, and let /addfeed add a feed that never had an item. A whole channel with no
        # items and a bare "&" in its title is a breaking-news feed with nothing on right now.
        raise FeedParseError(f"not a feed: ill-formed document with no readable items ({bozo_reason})")
    return ParsedFeed(
        title=plain_title(_unmojibaked(str(meta.get("title") or ""))),
        link=meta.get("link"),
        ttl_seconds=_ttl_seconds(meta.get("ttl")),
        entries=entries,
        version=version,
        bozo_reason=bozo_reason,
        complete=complete,
        ill_formed=ill_formed,
    )


def _readable(entry: ParsedEntry) -> bool:
    """An item a reader can see: a podcast's enclosure alone, or an image with no caption, has
    neither title nor text, and a story of it would be a card with nothing on it."""
    return bool(entry.title or plain_title(entry.summary_html) or plain_title(entry.content_html))


_JSON_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\{")


def _json_feed(content: bytes, url: str) -> ParsedFeed:
    """A JSON Feed (jsonfeed.org, versions 1 and 1.1), read into the same entries as RSS and Atom:
    its items become feedparser-shaped dicts for _entry, so keys, links, dates and titles follow
    exactly the same rules."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedParseError(f"not a feed: invalid JSON ({exc})") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedParseError("not a feed: JSON, but not a JSON Feed")
    items = document.get("items")
    raw_items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    base = str(document.get("feed_url") or url)
    return ParsedFeed(
        title=plain_title(str(document.get("title") or "")),
        link=str(document.get("home_page_url") or "") or None,
        ttl_seconds=None,
        entries=_distinct_keys([_entry(_json_item(item), base) for item in raw_items]),
        version="json" + version.rsplit("/", 1)[-1].replace(".", ""),
    )


def _json_item(item: dict[str, Any]) -> dict[str, Any]:
    content = str(item.get("content_html") or "")
    if not content and item.get("content_text"):
        # Plain text: paragraphs kept, and "<" in it is text, not a tag.
        paragraphs = str(item["content_text"]).split("\n\n")
        content = "".join(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs if p.strip())
    tags = item.get("tags")
    return {
        "id": str(item.get("id") or ""),
        "link": str(item.get("url") or item.get("external_url") or ""),
        "title": str(item.get("title") or ""),
        "summary": str(item.get("summary") or ""),
        "content": [{"value": content}],
        "published": item.get("date_published"),
        "published_parsed": _rfc3339(item.get("date_published")),
        "updated_parsed": _rfc3339(item.get("date_modified")),
        "tags": [{"term": t} for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
    }


def _rfc3339(value: Any) -> Any:
    """A JSON Feed date as the UTC struct_time feedparser gives for RSS and Atom dates."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).timetuple()


def parse_feed_at(content: bytes, url: str, headers: Mapping[str, str] | None) -> ParsedFeed:
    """parse_feed with positional arguments (for a process pool)."""
    return parse_feed(content, url=url, headers=headers)


_SCHEMELESS = re.compile(r"www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#]|$)", re.I)


def _schemeless(link: str, base: str) -> str:
    """A link written without its scheme ("www.site.com/news/1"): feedparser resolved it as a
    path under the feed's directory (https://feeds.site.com/rss/www.site.com/news/1, a dead link);
    the writer meant the site."""
    directory = urljoin(base, ".")
    rest = link[len(directory) :] if link.startswith(directory) else ""
    return f"http://{rest}" if _SCHEMELESS.match(rest) else link


def _distinct_keys(entries: list[tuple[ParsedEntry, datetime | str | None, str]]) -> list[ParsedEntry]:
    """The entries, each under its own key. When the document gives one guid to several different
    items (some CMSs write the site's address or "0" as every guid) those are keyed by their links
    instead; when it gives them one link and no guid (a channel bridge linking every post to the
    channel), by their title, date and text. Otherwise all but the first would be dropped as
    repeats of it. A true repeat (the same item twice) keeps one key. `entries` are (entry, the
    date and the text its key was made from); the other keys are made only for shared keys."""
    keyed = [entry for entry, _, _ in entries]
    for with_link in (True, False):
        counts = Counter(entry.key for entry in keyed)
        fallbacks = {
            i: entry_key(None, keyed[i].url if with_link else None, keyed[i].title, date, text)
            for i, (_, date, text) in enumerate(entries)
            if counts[keyed[i].key] > 1
        }
        variants: dict[str, set[str]] = {}
        for i, fallback in fallbacks.items():
            variants.setdefault(keyed[i].key, set()).add(fallback)
        keyed = [
            replace(entry, key=fallbacks[i]) if len(variants.get(entry.key, ())) > 1 else entry
            for i, entry in enumerate(keyed)
        ]
    return keyed


def _absolute(link: str, base: str) -> str:
    return normalize_url(_schemeless(urljoin(base, link), base)) if link else ""


def _web(url: str) -> str:
    return url if url.lower().startswith(("http://", "https://")) else ""


def _enclosure(raw: Any) -> str:
    """An item's enclosure (a podcast's audio, a video) as its link when it has no other."""
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and link.get("href"):
            return str(link["href"])
    return ""


def _unescaped_markup(value: str) -> str:
    """An item's text escaped once more than feedparser undoes (WordPress plugins write
    &amp;lt;p&amp;gt;): its markup would reach readers as a literal <p>. As for titles (see
    plain_title), escaped tags never mean the characters "<p>" in a news item."""
    return html.unescape(value) if _ESCAPED_TAG.search(value) else value


def _dates(raw: Any) -> tuple[datetime | None, datetime | None]:
    """The entry's publication date (None: undated, or a placeholder), and the date its key is
    made from. The key's date is feedparser's reading, as keys were always made (an item keyed by
    its date would otherwise come back as new); the publication date is bot.feeds.dates' reading
    where it has one (a date feedparser loses or shifts)."""
    keyed = _struct_to_datetime(raw.get("published_parsed"))
    # dict.get: feedparser's own .get("updated_parsed") falls back to published_parsed (with a
    # DeprecationWarning), and that is the date just found implausible.
    keyed_updated = None if _plausible(keyed) else _struct_to_datetime(dict.get(raw, "updated_parsed"))
    issued = _date(raw, "published")
    updated = None if _plausible(issued) else _date(raw, "updated")
    return _plausible(issued) or _plausible(updated), keyed or keyed_updated


def _date(raw: Any, name: str) -> datetime | None:
    """Our reading of the date, else feedparser's unless it is not the year written (it reads
    what it does not know as another date: undated, the item is at least dated when fetched)."""
    written = str(dict.get(raw, name) or "")
    own = dates.parse_date(written)
    if own is not None:
        return _struct_to_datetime(own)
    theirs = dict.get(raw, f"{name}_parsed")
    if theirs and written and not dates.year_written(written, theirs.tm_year):
        return None
    return _struct_to_datetime(theirs)


def _entry(raw: Any, base: str) -> tuple[ParsedEntry, datetime | str | None, str]:
    """The entry, and the date and text its key was made from (see _distinct_keys)."""
    link = _absolute(str(raw.get("link") or ""), base)
    # The enclosure is the story's link, not its key's: an item keyed by its title and date
    # before would come back under a new key, as new. So is FeedBurner's origLink, the article
    # behind its feedproxy redirect: what a reader opens, and what another feed of the outlet lists.
    url = (
        _web(_absolute(str(raw.get("feedburner_origlink") or ""), base))
        or link
        or _absolute(_enclosure(raw), base)
    )
    title = plain_title(_unmojibaked(str(raw.get("title") or "")))
    published, dated = _dates(raw)
    summary = _unescaped_markup(_unmojibaked(str(raw.get("summary") or "")))
    content = ""
    for part in raw.get("content") or []:
        value = _unescaped_markup(_unmojibaked(str(part.get("value") or "")))
        if len(value) > len(content):
            content = value
    if content.strip() == summary.strip():
        content = ""
    categories = []
    for tag in raw.get("tags") or []:
        term = " ".join(str(tag.get("term") or "").split())
        if term and term not in categories:
            categories.append(term)
    date, text = dated or raw.get("published"), summary or content
    entry = ParsedEntry(
        key=entry_key(raw.get("id"), link or None, title, date, text),
        url=url or None,
        title=title,
        summary_html=summary,
        content_html=content,
        published=published,
        categories=categories,
    )
    return entry, date, text


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.alternates: list[str] = []
        self.anchors: list[str] = []
        self.likely: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rel and kind in _FEED_TYPES and values.get("href"):
                self.alternates.append(values["href"])
        elif tag == "a" and values.get("href"):
            href = values["href"]
            if _FEED_ANCHOR.search(href):
                self.anchors.append(href)
            elif _FEED_WORD.search(_last_segment(href)):
                self.likely.append(href)


# A link to a feed by its address: first those that end like one, then those whose last path
# segment names one (rss.aspx?cat=1, feed.php, getrss): a guess, tried after the surer ones.
_FEED_ANCHOR = re.compile(r"(?:\.rss|\.xml|\.atom|/rss/?|/feed/?|/atom/?)(?:$|\?)", re.I)
_FEED_WORD = re.compile(r"rss|feeds?(?![a-z])|atom(?![a-z])", re.I)  # not feedback, anatomy


def _last_segment(href: str) -> str:
    return urlsplit(href).path.rstrip("/").rpartition("/")[2]


def discover_feed_links(html: bytes, base_url: str) -> list[str]:
    """Feed URLs a web page advertises: <link rel="alternate" type="application/rss+xml"> (and Atom),
    then links that look like feeds, then links that may be (see _FEED_WORD); absolute,
    de-duplicated, in page order within each."""
    finder = _LinkFinder()
    try:
        finder.feed(html.decode("utf-8", errors="replace"))
        finder.close()
    except Exception:  # HTMLParser is lenient; whatever it still raises means "no links found"
        pass
    base = urljoin(base_url, finder.base) if finder.base else base_url
    found: list[str] = []
    for href in [*finder.alternates, *finder.anchors, *finder.likely]:
        absolute = urljoin(base, href.strip())
        if absolute.startswith(("http://", "https://")) and absolute not in found:
            found.append(absolute)
    return found
