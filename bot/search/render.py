"""Search results as Telegram messages (HTML), in Arabic by default and English on request.

Shared by /search (handlers.search) and inline mode (handlers.inline); pure, no Telegram calls.
"""

from __future__ import annotations

import html
import re

from bot.delivery.format import MAX_SUMMARY_CHARS, clip_title, local_time, safe_url
from bot.i18n import RLM, arabic_led_by_latin, clip, latin_first, number, rtl, text
from bot.search.service import SearchHit, SearchPage

TEXTS = {
    "usage": {
        "ar": "اكتب ما تبحث عنه بعد الأمر، مثل:\n/search اللاجئين\n/search الانتخابات في لبنان\n"
        "/search سوريا -روسيا (بلا ما يذكر روسيا)\n/search سوريا أو لبنان (أيٌّ منهما)\n"
        "/search «حزب الله» (العبارة كما كُتبت بين علامتي التنصيص)",
        "en": "Type what you are looking for after the command, e.g.:\n/search refugees\n/search اللاجئين\n"
        "/search Syria -Russia (leaving out stories that mention Russia)\n/search Syria OR Lebanon (either)\n"
        '/search "Security Council" (the words in quotes, together as written)',
    },
    "no_words": {
        "ar": "لم أجد في «{query}» كلمة أبحث بها. اكتب كلمة أو أكثر، مثل: /search سوريا",
        "en": "“{query}” has no word to search for. Type one or more words, e.g. /search سوريا",
    },
    "only_excluded": {
        "ar": "في «{query}» كلمات مستبعدة فقط: الكلمة بعد «-» تُخرج الأخبار التي تذكرها ولا يُبحث بها. "
        "أضف كلمة تبحث عنها، مثل: /search سوريا -روسيا",
        "en": "“{query}” only leaves words out: a word after “-” removes the stories that mention it and is "
        "not searched for. Add a word to search for, e.g. /search سوريا -روسيا",
    },
    "nothing": {
        "ar": "لم أجد أخبارًا عن «{query}». جرّب كلمة أخرى أو كلمات أقل، مثل «سوريا» بدل «الوضع الإنساني في سوريا».",
        "en": "No stories found for “{query}”. Try another word or fewer words, e.g. Syria instead of humanitarian situation in Syria.",
    },
    "no_stories": {
        "ar": "لا توجد أخبار محفوظة بعد. اشترك في مصدر عبر /subscribe وعُد بعد قليل.",
        "en": "No stories are stored yet. Subscribe to a source with /subscribe and come back in a while.",
    },
    "header": {
        "ar": "🔎 نتائج البحث عن «{query}» (عدد الأخبار: {total})",
        "en": "🔎 Results for “{query}” (stories found: {total})",
    },
    "relaxed": {
        "ar": "لا يوجد خبر فيه كل الكلمات؛ هذه أخبار فيها بعضها.",
        "en": "No story has every word; these have some of them.",
    },
    # More matches than are ranked (service.RANK_CANDIDATES): the pages show that many, the newest.
    "over": {"ar": "أكثر من {count}", "en": "over {count}"},
    # A quoted phrase in more stories than are checked (service.CHECK_CANDIDATES): the holders found.
    "at_least": {"ar": "{count} على الأقل", "en": "at least {count}"},
    # No story holds the quoted phrase: what the words find without the quotes.
    "unquoted": {
        "ar": "لا يوجد خبر فيه ما بين علامتي التنصيص كما كُتب؛ هذه نتائج كلماته دون علامتي التنصيص.",
        "en": "No story has the quoted words together as written; these are the results without the quotes.",
    },
    "page": {"ar": "الصفحة {page} من {pages}", "en": "Page {page} of {pages}"},
    "expired": {
        "ar": "انتهت صلاحية هذا البحث، أرسل /search من جديد.",
        "en": "This search has expired; send /search again.",
    },
    "inline_no_words": {"ar": "اكتب كلمة للبحث في الأخبار", "en": "Type a word to search the news"},
    "inline_nothing": {"ar": "لا أخبار عن «{query}»", "en": "No stories for “{query}”"},
    "inline_no_stories": {"ar": "لا توجد أخبار محفوظة بعد", "en": "No stories stored yet"},
    # Above inline results that have only some of the words (as /search says "relaxed").
    "inline_relaxed": {
        "ar": "لا خبر فيه كل الكلمات؛ هذه فيها بعضها",
        "en": "No story has every word; these have some",
    },
    # Above inline results of a quoted query no story holds as written (/search says "unquoted").
    "inline_unquoted": {
        "ar": "لا خبر فيه العبارة كما كُتبت؛ هذه فيها كلماتها",
        "en": "No story has the quoted words together; these have them apart",
    },
    "source_label": {"ar": "المصدر", "en": "Source"},
}


def say(key: str, lang: str, **values: object) -> str:
    # Example lines start with "/search": marked right-to-left in Arabic, as every reply does.
    return rtl(text(TEXTS, key, lang, **values), lang)


def short_query(query: str, limit: int = 60) -> str:
    """The query as typed, on one line and cut, HTML-escaped: safe to echo back."""
    return html.escape(clip(query, limit), quote=False)


def meta_line(hit: SearchHit, lang: str, tz: str) -> str:
    """'BBC عربي · ١٤:٠٥': the source and time under a result's title, as a card shows them (the
    date on another day, the year in another year; plain text, not escaped)."""
    return f"{hit.source} · {local_time(hit.published_at, lang=lang, tz=tz)}"


def linked_title(hit: SearchHit) -> str:
    """The result's title, cut as a card cuts it."""
    escaped = f"<b>{html.escape(clip_title(hit.title), quote=False)}</b>"
    url = safe_url(hit.url)
    return f'<a href="{html.escape(url, quote=True)}">{escaped}</a>' if url else escaped


def hit_block(n: int, hit: SearchHit, lang: str, tz: str) -> str:
    meta = html.escape(meta_line(hit, lang, tz), quote=False)
    title = f"{number(n, lang)}. {linked_title(hit)}"
    if lang != "ar" and arabic_led_by_latin(clip_title(hit.title)):
        title = RLM + title  # an Arabic title led by a Latin word reads back to front otherwise
    lines = [title, meta]
    if hit.snippet_html:
        snippet = hit.snippet_html
        lines.append(RLM + snippet if lang != "ar" and arabic_led_by_latin(plain(snippet)) else snippet)
    # A line starting with Latin would be laid out left-to-right in an Arabic message.
    return "\n".join(RLM + line if lang == "ar" and latin_first(plain(line)) else line for line in lines)


def results_message(page: SearchPage, query: str, lang: str, tz: str) -> str:
    total = number(page.reachable, lang)
    if page.total > page.reachable:
        total = text(TEXTS, "over", lang, count=total)
    elif page.at_least:
        total = text(TEXTS, "at_least", lang, count=total)
    head = [say("header", lang, query=short_query(query), total=total)]
    if page.unquoted:
        head.append(say("unquoted", lang))
    if page.relaxed:
        head.append(say("relaxed", lang))
    blocks = [hit_block(page.offset + i + 1, hit, lang, tz) for i, hit in enumerate(page.hits)]
    pages = max(1, -(-page.reachable // page.limit))
    if pages > 1:
        current = page.offset // page.limit + 1
        blocks.append(say("page", lang, page=number(current, lang), pages=number(pages, lang)))
    return "\n".join(head) + "\n\n" + "\n\n".join(blocks)


def plain(snippet_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", snippet_html))


def shared_story(
    hit: SearchHit, lang: str, tz: str, *, sentences: int = 3, max_chars: int = MAX_SUMMARY_CHARS
) -> str:
    """The message an inline result posts in the chat, laid out as a card: linked bold title,
    source and time, then the summary's sentences a blank line apart, within max_chars."""
    lines = [
        linked_title(hit),
        html.escape(meta_line(hit, lang, tz), quote=False),
    ]
    body: list[str] = []
    used = 0
    for sentence in hit.summary[:sentences] or [plain(hit.snippet_html)]:
        flat = " ".join(sentence.split())
        if used + len(flat) > max_chars and body:
            break
        body.append(html.escape(clip(flat, max_chars), quote=False))
        used += len(flat)
    return "\n".join(lines) + ("\n\n" + "\n\n".join(body) if body else "")


def description(hit: SearchHit, limit: int = 160) -> str:
    return clip(hit.summary[0] if hit.summary else plain(hit.snippet_html), limit)


def result_description(hit: SearchHit, lang: str, tz: str, limit: int = 160) -> str:
    """What the inline result list shows under a title: source and time, then the sentence that
    matched, as /search shows it (the lead when only the title matched): a lead about something
    else made a story that mentions the word further down look like a wrong result. Telegram lays
    each line out by its first letter, so an Arabic line led by a Latin source name is marked
    right-to-left, as in /search."""
    meta = meta_line(hit, lang, tz)
    if lang == "ar" and latin_first(meta):
        meta = RLM + meta
    line = clip(plain(hit.snippet_html), limit) if hit.snippet_html.strip() else description(hit, limit)
    return f"{meta}\n{line}"
