"""OPML 2.0: the feed list in the format every feed reader imports and exports.

Parsing goes through defusedxml: an uploaded file is untrusted input, and entity expansion
("billion laughs") or external entities must not reach the XML parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import urlparse

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.clock import utcnow
from bot.db.models import Feed

MAX_OPML_BYTES = 2 * 1024 * 1024
MAX_OUTLINES = 1000


class OpmlError(Exception):
    """An unusable OPML file. `code` is for translated messages, `reason` for logs and the CLI."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None
    interval: float | None = None


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an http(s) xmlUrl, nested categories flattened, first occurrence kept."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError("too_large", f"OPML file larger than {MAX_OPML_BYTES // 1024 // 1024} MB")
    try:
        root = fromstring(_as_utf8(data))
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise OpmlError("not_xml", f"not an XML file: {exc}") from None
    if _local(root.tag) != "opml":
        raise OpmlError("not_opml", f"not an OPML file (root element is <{_local(root.tag)}>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter():
        if _local(outline.tag) != "outline":
            continue
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if not url:
            continue
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or url in seen:
            continue
        seen.add(url)
        title = (attrs.get("title") or attrs.get("text") or "").strip() or None
        feeds.append(OpmlFeed(url=url, title=title, interval=_interval(attrs.get("interval"))))
        if len(feeds) > MAX_OUTLINES:
            raise OpmlError("too_many", f"more than {MAX_OUTLINES} feeds in one file")
    if not feeds:
        raise OpmlError("no_feeds", "the OPML file lists no feed (no outline with an xmlUrl)")
    return feeds


def export_opml(feeds: list[Feed], *, title: str = "Akhbar feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(utcnow())
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attrs = {
            "type": "rss",
            "text": feed.name,
            "title": feed.name,
            "xmlUrl": feed.url,
            # OPML 2.0 allows extra outline attributes; ours carries the polling interval.
            "interval": f"{feed.interval:g}",
        }
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        if feed.language:
            attrs["language"] = feed.language
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


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
    return seconds if seconds and seconds > 0 else None
