"""What makes two feed entries "the same story": entry keys and URL normalisation.

An entry's key is its guid (Atom id), else its link with tracking parameters stripped, else a hash
of its normalised title (or, for an untitled item, the first words of its text) and date. Keys are
remembered per feed (FeedEntry), so a restart, a reordered feed or an item that drops out and comes
back is never sent twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import datetime
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from summarizer.normalize import tokens

# Query parameters that only say where a click came from; they never select a different page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "xtor",
        "ref_src",
        "ref_url",
        "soc_src",
        "soc_trk",
        "ns_source",
        "ns_mchannel",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "from_rss",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "itm_")
_MAX_KEY = 400
_TEXT_WORDS = 60
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"


def is_tracking_param(name: str) -> bool:
    """A query parameter that only says where a click came from (bot.admin.feeds reuses it, so a
    feed address and a story link agree on what tracking is)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """The link as users should see it: tracking parameters and fragment removed, host lower-cased,
    default port dropped, percent-encoding made canonical. Non-http(s) input is returned stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH) or "/"
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)
    ]
    query = urlencode(sorted(query_pairs), safe=_SAFE_QUERY, quote_via=quote)
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """The link for comparison: normalised, and blind to http/https and a leading "www."."""
    normal = normalize_url(url)
    parts = urlsplit(normal)
    if parts.scheme not in ("http", "https"):
        return normal
    host = parts.netloc.removeprefix("www.")
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{host}{rest}"


def _bounded(prefix: str, value: str) -> str:
    if len(value) <= _MAX_KEY:
        return f"{prefix}:{value}"
    return f"{prefix}-sha1:{hashlib.sha1(value.encode('utf-8')).hexdigest()}"


def entry_key(
    guid: str | None,
    link: str | None,
    title: str | None,
    published: datetime | str | None,
    text: str | None = None,
) -> str:
    guid = (guid or "").strip()
    if guid:
        # Some feeds put a permalink with per-fetch tracking parameters in the guid.
        if re.match(r"^https?://", guid, re.IGNORECASE):
            return _bounded("url", url_key(guid))
        return _bounded("guid", guid)
    link = (link or "").strip()
    if link:
        return _bounded("url", url_key(link))
    stamp = published.isoformat() if isinstance(published, datetime) else (published or "")
    words = tokens(title or "")
    if not words:
        # No guid, link or title (feeds bridged from social posts): the text is what tells the
        # items apart; a hash of the date alone made every such item one key, stored once.
        words = tokens(text or "")[:_TEXT_WORDS]
    basis = " ".join(words) + "|" + stamp
    return f"hash:{hashlib.sha1(basis.encode('utf-8')).hexdigest()}"


def reused_key(key: str, link_key: str) -> str:
    """The key of an entry whose guid the feed once gave another story: the guid's key and its own
    link (hashed, so the key stays within the column's 512 characters)."""
    return f"{key}#{hashlib.sha1(link_key.encode('utf-8')).hexdigest()[:16]}"
