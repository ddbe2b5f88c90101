"""OPML 2.0: the feed list in the format every feed reader imports and exports.

Parsing goes through defusedxml: an uploaded file is untrusted input, and entity expansion
("billion laughs") or external entities must not reach the XML parser.

What only Akhbar knows about a feed (paused, its topics, full text, its polling interval) travels
as attributes in a namespace of our own: other readers ignore attributes they do not know, and
need only OPML's own text/title/xmlUrl/htmlUrl/type.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.clock import utcnow
from bot.db.models import Feed

MAX_OPML_BYTES = 2 * 1024 * 1024
MAX_OUTLINES = 1000

NAMESPACE = "https://github.com/akhbar"
ET.register_namespace("akhbar", NAMESPACE)

# Outline types that link to a page or to another OPML file rather than name a feed.
_LINK_TYPES = frozenset({"link", "include"})
_FEED_TYPES = frozenset({"rss", "atom"})
_TRUE = frozenset({"true", "1", "yes"})


class OpmlError(Exception):
    """An unusable OPML file. `code` is for translated messages, `reason` for logs and the CLI;
    `count` and `limit` say by how much a limit was passed (bytes for too_large, feeds for too_many);
    `link`, for a feed sent instead of a list (feed_file), the address it gives for itself, if any."""

    def __init__(self, code: str, reason: str, *, count: int = 0, limit: int = 0, link: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.count = count
        self.limit = limit
        self.link = link


@dataclass(frozen=True)
class OpmlFeed:
    """One feed entry of the file, as written: `url` may be empty, relative or not a web address at
    all; the import says why such an entry was skipped rather than dropping it unseen. `kind` is
    "link" for an outline that links a page (type="link"/"include"), not a feed."""

    url: str
    title: str | None
    interval: float | None = None
    paused: bool = False
    topics: tuple[str, ...] = ()
    full_text: bool = False
    kind: str = "feed"


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Every feed entry in document order, nested categories flattened, none left out: an outline
    with an xmlUrl attribute (even an empty or unusable one), a type="rss"/"atom" outline without
    one, and a type="link" outline with a url."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(
            "too_large",
            f"the file is {_megabytes(len(data))}, larger than the {_megabytes(MAX_OPML_BYTES)} allowed",
            count=len(data),
            limit=MAX_OPML_BYTES,
        )
    try:
        root = fromstring(_as_utf8(data))
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise OpmlError("not_xml", f"not an XML file: {exc}") from None
    if _local(root.tag) in _FEED_ROOTS:
        # An RSS/Atom document: the admin meant to add that feed, which /addfeed does by its link.
        raise OpmlError(
            "feed_file",
            f"a news feed (<{_local(root.tag)}>), not an OPML file: add it with its link",
            link=_self_link(root),
        )
    if _local(root.tag) != "opml":
        raise OpmlError("not_opml", f"not an OPML file (root element is <{_local(root.tag)}>)")
    feeds = [entry for outline in root.iter() if (entry := _entry(outline)) is not None]
    if not feeds:
        raise OpmlError("no_feeds", "the OPML file lists no feed (no outline with an xmlUrl)")
    if len(feeds) > MAX_OUTLINES:
        raise OpmlError(
            "too_many",
            f"the file lists {len(feeds)} feeds, more than the {MAX_OUTLINES} allowed in one file",
            count=len(feeds),
            limit=MAX_OUTLINES,
        )
    return feeds


# The root elements of RSS 2.0 / 0.9x, Atom and RSS 1.0 (RDF) documents.
_FEED_ROOTS = frozenset({"rss", "feed", "rdf"})


def _self_link(root: ET.Element) -> str:
    """The http(s) address a feed document gives for itself (<atom:link rel="self">), or ""."""
    for element in root.iter():
        if _local(element.tag) == "link" and (element.get("rel") or "").strip().lower() == "self":
            href = (element.get("href") or "").strip()
            if _is_web(href):
                return href
    return ""


def _is_web(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[oops": no address to write
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _entry(outline: ET.Element) -> OpmlFeed | None:
    """The outline as a feed entry, or None for what is not one (a category, a note)."""
    if _local(outline.tag) != "outline":
        return None
    attrs = {k.lower(): v for k, v in outline.attrib.items() if not k.startswith("{")}
    ours = _our_attributes(outline)
    kind = (attrs.get("type") or "").strip().lower()
    title = (attrs.get("title") or attrs.get("text") or "").strip() or None
    if "xmlurl" not in attrs:
        if kind in _LINK_TYPES and (attrs.get("url") or "").strip():
            return OpmlFeed(url=attrs["url"].strip(), title=title, kind="link")
        # A feed-typed leaf with no address is an entry to report; with children it is a category.
        if kind not in _FEED_TYPES or len(outline):
            return None
    return OpmlFeed(
        url=(attrs.get("xmlurl") or "").strip(),
        title=title,
        # An export before our namespace wrote the interval as a plain attribute: still read.
        interval=_interval(ours.get("interval") or attrs.get("interval")),
        paused=(ours.get("paused") or "").strip().lower() in _TRUE,
        topics=_split_topics(ours.get("topics") or ""),
        full_text=(ours.get("fulltext") or "").strip().lower() in _TRUE,
    )


def _our_attributes(outline: ET.Element) -> dict[str, str]:
    """The outline's attributes in our namespace, by lower-case local name."""
    prefix = f"{{{NAMESPACE}}}".lower()
    return {k[len(prefix) :].lower(): v for k, v in outline.attrib.items() if k.lower().startswith(prefix)}


def export_opml(feeds: list[Feed], *, title: str = "Akhbar feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(utcnow())
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(body, "outline", _outline_attributes(feed))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _outline_attributes(feed: Feed) -> dict[str, str]:
    attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
    # A web page only: an Atom feed's <link> may be missing, and then its id ("urn:…") was stored.
    if feed.site_url and _is_web(feed.site_url):
        attrs["htmlUrl"] = feed.site_url
    if feed.language:
        attrs["language"] = feed.language
    attrs[_ours("interval")] = f"{feed.interval:g}"
    # Only an admin's pause: a feed that paused itself after errors is checked again on import.
    if feed.status == "paused":
        attrs[_ours("paused")] = "true"
    if feed.topics:
        attrs[_ours("topics")] = _join_topics(feed.topics)
    if feed.full_text:
        attrs[_ours("fullText")] = "true"
    return attrs


def _ours(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _join_topics(topics: list[str]) -> str:
    """Comma-separated; a comma or backslash inside a topic's name is escaped with a backslash."""
    return ",".join(t.replace("\\", "\\\\").replace(",", "\\,") for t in topics)


_TOPIC = re.compile(r"(?:[^,\\]|\\.)+")


def _split_topics(value: str) -> tuple[str, ...]:
    topics = (re.sub(r"\\(.)", r"\1", part).strip() for part in _TOPIC.findall(value))
    return tuple(dict.fromkeys(t for t in topics if t))


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.3g} MB"


_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.IGNORECASE)


def _as_utf8(data: bytes) -> bytes:
    """An OPML saved in Windows' Arabic code page (Notepad's "ANSI") with no encoding declared is not
    UTF-8, and XML reads undeclared bytes as UTF-8: such a file is re-encoded, not refused."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or _DECLARED_ENCODING.match(data):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1256").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def _interval(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds and seconds > 0 and math.isfinite(seconds) else None
