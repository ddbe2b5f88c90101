"""From a feed item's content or a whole article page to the story's body: plain text, paragraphs kept.

HTML becomes text with a paragraph per block element (whole pages go through trafilatura, which
finds the article among the page's menus and sidebars). Then page furniture goes, line by line:
share/follow/close buttons, "continue reading" and "read also" links, source lists, image captions,
date lines, the title repeated in the body, agency credits and disclaimers, separators, and the
short headline-like lines between paragraphs (subheadings and "related story" links), which are
not sentences of the story. If that would leave nothing (a feed description that is one headline),
the lines are kept: furniture removal never turns a real input into an empty one. A list that a
line ending in a colon announces ("… على النحو التالي:") is the story's own and stays, however
headline-like its items. In HTML, a block that is only links (a related-stories list, a Google News
cluster of other outlets' headlines) goes, and so does a read-more link set inside a paragraph.
"""

from __future__ import annotations

import html
import re

from summarizer.normalize import INVISIBLE, normalize, tokens

_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z][a-zA-Z0-9]*|!--)[^>]*>")
_PAGE = re.compile(r"<(?:!doctype|html|body|head)\b", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")
# Invisible characters that only break comparisons: BOM, bidi marks, zero-width (non-)joiners.
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# C0 controls (tab and line breaks aside) and noncharacters: lxml refuses a document holding one
# (a CMS export's stray \x02 would leave the whole page unparsed); a vertical tab or form feed is a
# line break that an editor typed.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")
_CONTROL_BREAK = re.compile(r"[\x0b\x0c]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_FINAL = re.compile(r"[.!?؟…][\"'»”’)\]]*$")
_HAS_LETTER = re.compile(r"[A-Za-z\u0621-\u064A]")
# summarizer.normalize.tokens() is this regex on normalize(text); applied here to text already
# normalised once, so a line is not normalised twice (tests check the two agree).
NORMALISED_TOKEN = re.compile(r"[\u0621-\u064A0-9A-Za-z]+")


def _words(text: str) -> list[str]:
    return text.split()


_BLOCK_TAGS = frozenset(
    _words("p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table section article header footer pre dd dt")
)
_DROP_TAGS = frozenset(
    _words("script style noscript figure figcaption nav aside form button iframe svg select template")
)
# Blocks that are furniture when their text is only links (see _is_link_list), and the elements
# that may hold a link's source or time beside it.
_LINK_LIST_TAGS = frozenset(_words("li p div dd dt"))
_LABEL_TAGS = frozenset(_words("font small cite time"))
_LABEL_MAX_WORDS = 4
_HAS_WORD_CHAR = re.compile(r"[^\W_]")
# Inline elements that may hold a read-more link inside a paragraph, and the forms it takes.
_INLINE_TAGS = frozenset(_words("a strong b span em i"))
_INLINE_MORE = re.compile(r"(?:اقرا (?:ايضا|المزيد|كذلك)|شاهد (?:ايضا|كذلك)|للمزيد)(?!\w)")
# The raw letters the forms open with, diacritics allowed: a cheap look that spares most inline
# elements the rest. Empty text may still open with a child's ("<strong><a>اقرأ أيضا</a></strong>").
_INLINE_MORE_RAW = re.compile(
    r"\s*(?:$|[اأإآ][\u064b-\u0652]*ق|ش[\u064b-\u0652]*ا|ل[\u064b-\u0652]*ل[\u064b-\u0652]*م)"
)
_SPACE_CHARS = " \t\n\u00a0"

# Lines that are page furniture in their entirety (compared after normalize()).
_FURNITURE_LINE = re.compile(
    r"^(?:"
    r"شارك(?: القصه| الخبر| المقال| هذا المقال| علي .{1,20})?|مشاركه|شارك عبر.*|"
    r"تابع(?:نا| القراءه)?(?: علي .{1,30})?|تابعو(?:نا|ا)(?: علي .{1,30})?|"
    r"اقرا (?:ايضا|المزيد|كذلك)\s*:?|المزيد\s*:?|للمزيد\s*:?|"
    r"اغلاق|close|share|print|طباعه|تعليقات|اضف تعليق|"
    r"(?:مصدر|حقوق) الصوره.*|image (?:source|caption|copyright).*|getty images|"
    r"الصوره\s*:.*|صوره ارشيفيه|"
    r"[*×x\-_=~•.·]+"
    r")\s*$",
    re.IGNORECASE,
)
# Lines that open with these are furniture whatever follows on the line.
_FURNITURE_START = re.compile(
    r"^(?:للمزيد\s*[:\-–—،,]|اقرا (?:ايضا|المزيد|كذلك)\b|اقرا\s*(?:[:\-–—/]|\.\.|…)|"
    r"(?:المزيد|شاهد(?: ايضا)?)\s*(?:[:\-–—/]|\.\.|…)|(?:قد|ربما) يهمك(?: ايضا)?\s*(?:[:\-–—/،,]|\.\.|…)|شاهد بال(?:فيديو|انفوغرافيك|انفوجرافيك)|"
    r"\*\s*نقلا عن|نقلا عن .{1,40}$|"
    r"المصدر\s*:|المصادر\s*:|اخر تحديث|تاريخ النشر|نشر في\s*:?|"
    r"ظهرت المقاله .{0,300}اولا علي|the post .{0,300}appeared first on|read more|continue reading|"
    # English CMS footers: "This article originally appeared on …", "Originally published at …".
    r"(?:this|the) (?:article|post|story) (?:was )?(?:originally |first )?(?:appeared|published) (?:first )?(?:on|at|in)\b|"
    r"originally published (?:at|on)\b|"
    r"(?:اقرا|تابع) (?:الخبر|المقال|القصه) كاملا|لقراءه المزيد|"
    r"يمكنكم (?:استلام|تسلم) اشعارات|اضغط هنا|"
    r"\*\*)",
    re.IGNORECASE,
)
# A line that announces the sources list: everything short after it is the list.
# An Arabic hashtag in running text ("أكد #ترمب"، "#ميليشيات_الحوثي"; Al Arabiya tags 2,740 ANT
# stories so) is the outlet's link to a tag page, like HTML markup: a reader gets the words, and
# Telegram would otherwise turn them into hashtags that search Telegram. Latin ones (#MeToo) stay.
_HASHTAG = re.compile(r"(?<![^\s(«\"“'])#(\w*[\u0621-\u064A]\w*)")
# A dateline opening the lead: "دبي، الإمارات العربية المتحدة (CNN) -- قال …" (2,019 of ANT's
# 2,185 CNN stories). The story card already names the outlet, and the place is not the news.
_DATELINE = re.compile(
    r"^[^.!?؟\n]{0,60}\((?:CNN|AFP|Reuters|AP|رويترز|أ ف ب|أ\.ف\.ب|د ب أ|الأناضول)\)\s*[-–—]+\s*(?=\S)"
)
_SOURCES_HEADER = re.compile(r"^(?:المصادر|المصدر|مصادر)\s*:?\s*$")
# A bare "اقرأ أيضا" / "شاهد أيضا" line heads the linked headlines that follow it (BBC: 28 in ANT),
# and a linked headline may end with a full stop, so the headline filter alone lets it through.
_RELATED_HEADER = re.compile(r"^(?:اقرا|شاهد) (?:ايضا|كذلك)\s*:?\s*$")
_RELATED_MAX_WORDS = 20
# An outlet's byline inside the lead: "دبي - العربية.نت: أعلن …"; like the dateline, the card names
# the outlet.
_BYLINE = re.compile(
    r"^[^.!?؟\n:،]{2,30}?\s[-–—]\s*(?:العربية\.نت|العربية نت|سكاي نيوز عربية|فرانس ?24|بي بي سي)\s*[:\-–—]\s*(?=\S)"
)
# A promo sentence in a paragraph: France 24's "تابعوا المباراة مباشرة على موقع فرانس24." (62 in
# ANT), Sky News' "تابعوا على موقع وتطبيق …", CNN's "شاهد هذا الفيديو ضمن سلسلة CNN التي نعرضها على
# موقعنا …", "… تابعونا على تويتر @…". Only the imperative opening a sentence: "وتابعوا" is "and they
# went on", "الذين تابعوا المباراة" and "شاهد عيان" are news. Promos close their paragraph, so the
# rest of the line goes with them.
_PROMO = re.compile(
    r"(?:^|(?<=[.!?؟…\"'»”])\s)\s*(?:تابعوا [^.!?؟\n]*?"
    r"(?:موقع|مواقع|قنا[ةت]|مباشر|بث|تطبيق|حساب|تويتر|فيسبوك|تلغرام|تلجرام|يوتيوب|[إا]نستغرام|التواصل|@)"
    r"|شاهدو?ا? [^.!?؟\n]*?فيديو[^.!?؟\n]*?(?:سلسلة|موقعنا)"
    r"|[^.!?؟\n]{0,60}\bتابعونا\b).*$"
)
# A line that ends with an account handle ("حساب القناة على تويتر: @SkyNewsArabia") is a follow link.
_HANDLE_END = re.compile(r"@[A-Za-z0-9_]{2,}\W*$")
_HANDLE_LINE_MAX_WORDS = 12
# "لمتابعة المباراة على الحواسيب اللوحية، اضغط هنا..." after France 24's match promos.
_CLICK_HERE = re.compile(r"(?:اضغط|انقر) هنا")
# List markup at the head of a line ("- تعلن المفوضية …", "• شراكة بين …"): the dash is not part of
# the sentence, as an <li> is not.
_LIST_MARKS = "-–•*·"
_LIST_MARK = re.compile(r"^[-–•*·]\s+(?=\S)")
# Disclaimers and credits, furniture when they make up a short line.
_DISCLAIMER = re.compile(
    r"لا (?:يعكس|تعكس|يعبر|تعبر) بالضروره|تمثل راي كاتبها|تمثل راي كتابها|حقوق النشر محفوظه|"
    r"لا يمكنه التاكد|لا يمكنها التاكد|جميع الحقوق محفوظه|بالتعاون مع موقع"
)
# An image caption that names its source in brackets: "(الصورة: الأناضول)", "(صورة: رويترز)".
_CAPTION = re.compile(r"\((?:الصوره|صوره|تصوير|المصدر)\s*:[^)]*\)\s*$|^\((?:الصوره|صوره)[^)]*\)")
_AGENCY = frozenset(
    normalize(w)
    for w in _words(
        """أ ف ب فرانس24 فرانس 24 رويترز وكالات الأناضول د ب أ يو بي آي أسوشيتد برس إ ب
    العربي العربية نت سكاي نيوز عربية بي بي سي عربي cnn بالعربية وام واس سانا قنا كونا"""
    )
)
_DATE_WORDS = frozenset(
    normalize(w)
    for w in _words(
        """السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة
    يناير فبراير مارس أبريل إبريل ابريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
    كانون الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأول
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday
    ص م مساء صباحا صباحًا مساءً gmt utc بتوقيت غرينتش مكة المكرمة القدس بيروت القاهرة
    هـ ه الموافق تحديث آخر اخر نشر في منذ ساعة ساعات دقيقة دقائق يوم أيام"""
    )
)
_HEADLINE_MAX_WORDS = 14
_QUESTION_MAX_WORDS = 12


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text)) or len(_ENTITY.findall(text)) >= 2


def html_to_text(html: str) -> tuple[str, str | None]:
    """Text of an HTML page or fragment, a paragraph a line, and the page's title if it has one."""
    if _PAGE.search(html):
        text, title = _page_to_text(html)
        if text:
            return text, title
    return _fragment_to_text(html), None


def page_title(html: str) -> str | None:
    """The title of an HTML page (its metadata: og:title, <title>...), or None."""
    if not _PAGE.search(html) and "<title" not in html.lower():
        return None
    try:
        import trafilatura

        meta = trafilatura.extract_metadata(html)
    except Exception:  # broken markup: no title rather than a crash
        return None
    title = getattr(meta, "title", None) if meta is not None else None
    return _tidy(title) if title else None


def _page_to_text(html: str) -> tuple[str, str | None]:
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - trafilatura is a dependency; the fallback still works
        return "", None
    try:
        text = trafilatura.extract(
            # deduplicate=False: trafilatura's memory of seen text is process-wide (see bot.feeds.fulltext).
            html,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
        )
        meta = trafilatura.extract_metadata(html)
    except Exception:  # trafilatura raises a variety of parser errors on broken markup
        return "", None
    title = getattr(meta, "title", None) if meta is not None else None
    return text or "", title or None


def _fragment_to_text(html: str) -> str:
    try:
        import lxml.html
    except ImportError:  # pragma: no cover
        return _TAG.sub("\n", html)
    try:
        return _lxml_fragment_text(lxml.html.fragment_fromstring(html, create_parent="div"))
    except Exception:  # lxml.etree.ParserError and friends on hopeless markup
        return _TAG.sub("\n", html)


def _lxml_fragment_text(root) -> str:  # type: ignore[no-untyped-def]
    linked = root.find(".//a") is not None
    if linked and _is_link_list(root):
        return ""  # a Google News story cluster: other outlets' headlines, no text of its own
    for el in list(root.iter()):
        tag = el.tag if isinstance(el.tag, str) else ""
        if (
            tag in _DROP_TAGS
            or not tag  # comments and processing instructions have no str tag
            or (
                linked
                and tag in _LINK_LIST_TAGS
                and not _has_word(el.text)
                and el is not root
                and _is_link_list(el)
            )
            or (tag in _INLINE_TAGS and _INLINE_MORE_RAW.match(el.text or "") and _is_inline_more(el))
        ):
            _remove(el)
            continue
        if tag in _BLOCK_TAGS:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    return str(root.text_content())


def _remove(el) -> None:  # type: ignore[no-untyped-def]
    parent = el.getparent()
    if parent is not None:
        tail = el.tail
        parent.remove(el)
        if tail:
            _append_text(parent, tail)


def _append_text(parent, text: str) -> None:  # type: ignore[no-untyped-def]
    # A removed element's tail belongs after its previous sibling (or in the parent's text).
    children = list(parent)
    if children:
        last = children[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _is_link_list(el) -> bool:  # type: ignore[no-untyped-def]
    """Whether a block's text is links and nothing else but a short source label: related-story
    links, or Google News' cluster of other outlets' headlines ("<li><a>headline</a>&nbsp;&nbsp;
    <font>المصري اليوم</font></li>"). A link holding a long sentence that ends with a stop is a
    paragraph some CMS wrapped in a link, and stays."""
    links: list[str] = []
    labels: list[str] = []
    if not _split_links(el, links, labels):
        return False
    if not any(_HAS_LETTER.search(link) for link in links):
        return False
    if sum(len(label.split()) for label in labels) > _LABEL_MAX_WORDS:
        return False
    return not any(len(link.split()) > _HEADLINE_MAX_WORDS and _FINAL.search(link.rstrip()) for link in links)


def _split_links(el, links: list[str], labels: list[str]) -> bool:  # type: ignore[no-untyped-def]
    """Collect the text of el's links and labels; False as soon as other text shows up."""
    if _has_word(el.text):
        return False
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "a":
            links.append(child.text_content())
        elif tag in _LABEL_TAGS:
            labels.append(child.text_content())
        elif tag and tag not in _DROP_TAGS and not _split_links(child, links, labels):
            return False
        if _has_word(child.tail):
            return False
    return True


def _is_inline_more(el) -> bool:  # type: ignore[no-untyped-def]
    """A read-more link set inside a paragraph ("… سرير. <strong>اقرأ أيضاً: الحكومة تقر خطة
    جديدة</strong> وقال …"): the line rules see it only at the start of a line. One that opens its
    line is left to them ("<p><b>اقرأ أيضا</b></p>" also takes the headlines under it), and so is
    a bare "<b>للمزيد</b>" that the words after it complete ("… من التفاصيل زوروا الموقع")."""
    # Its opening words are enough: its own text's or its first child's.
    text = (el.text or "").lstrip(_SPACE_CHARS)
    if not text and len(el):
        text = (el[0].text or "").lstrip(_SPACE_CHARS)
    if not text or not _INLINE_MORE_RAW.match(text) or not _INLINE_MORE.match(normalize(text[:30])):
        return False
    followed = _has_word(el.tail) or el.getnext() is not None
    norm = normalize(el.text_content()).lstrip(_SPACE_CHARS)
    match = _INLINE_MORE.match(norm)
    if followed and match is not None and not _has_word(norm[match.end() :]):
        return False
    return followed or _has_word(_text_before(el))


def _text_before(el) -> str | None:  # type: ignore[no-untyped-def]
    """The text just before el inside its parent: the previous sibling (unless a link) and its tail."""
    prev = el.getprevious()
    if prev is None:
        parent = el.getparent()
        return parent.text if parent is not None else None
    before = "" if prev.tag == "a" else prev.text_content()
    return before + (prev.tail or "")


def _has_word(text: str | None) -> bool:
    return bool(text) and bool(_HAS_WORD_CHAR.search(text))  # type: ignore[arg-type]


def clean_text(text_or_html: str, title: str | None = None) -> str:
    """The story's body as plain text, paragraphs separated by blank lines; "" for garbage."""
    return "\n\n".join(clean_paragraphs(text_or_html, title)[0])


def clean_paragraphs(text_or_html: str, title: str | None = None) -> tuple[list[str], str | None]:
    """Body paragraphs and the title (the one given, else the page's own when it is HTML)."""
    if not isinstance(text_or_html, str) or not text_or_html.strip():
        return [], title
    text = _CONTROL_BREAK.sub("\n", _CONTROL.sub("", text_or_html))
    if looks_like_html(text):
        text, page_title = html_to_text(text)
        title = title or page_title
    elif "&" in text:
        # A feed's plain description still escapes its quotes ("شركة &quot;سوني"); one entity and
        # no tag is not enough to call it HTML, but it is never meant to be read as typed.
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    lines = [_tidy(line) for line in _INVISIBLE.sub("", text).splitlines()]
    lines = [_DATELINE.sub("", line) if "(" in line[:80] else line for line in lines]
    lines = [_BYLINE.sub("", line) if " - " in line[:40] or "–" in line[:40] else line for line in lines]
    lines = [_PROMO.sub("", line).rstrip() if "تابع" in line or "شاهد" in line else line for line in lines]
    lines = unwrap([line for line in lines if line])
    if title is None:
        title = _repeated_headline(lines)
    body = remove_furniture(lines, title)
    return [_LIST_MARK.sub("", line) if line[0] in _LIST_MARKS else line for line in body], title


def _repeated_headline(lines: list[str]) -> str | None:
    """A scraped page often prints its title twice near the top; that line is the title."""
    top = [normalize(line) for line in lines[:6]]
    for i, norm in enumerate(top):
        if top.count(norm) > 1 and not _FINAL.search(lines[i]) and 2 <= len(tokens(norm)) <= 30:
            return lines[i]
    return None


def unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines (text broken at a fixed width, as in some newspaper archives).

    Wrapped text shows as most lines of a similar, medium length ending without punctuation.
    Paragraph lines of a normal text end with punctuation, and headline lines are rare.
    """
    if len(lines) < 6:
        return lines
    open_ended = [line for line in lines[:-1] if not _FINAL.search(line)]
    if len(open_ended) < 0.6 * (len(lines) - 1):
        return lines
    lengths = sorted(len(line.split()) for line in open_ended)
    if lengths[len(lengths) // 2] < 7:
        return lines
    out: list[str] = []
    current = ""
    for line in lines:
        current = f"{current} {line}" if current else line
        if _FINAL.search(line):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _tidy(line: str) -> str:
    if "#" in line:
        line = _HASHTAG.sub(_unhash, line)
    if "]" in line:
        line = _MORE_MARK.sub("", line)
    return _SPACES.sub(" ", line).strip()


# WordPress ends every feed excerpt with "[…]" (a link to the rest, not text): the card marks a
# sentence cut short with its own ellipsis.
_MORE_MARK = re.compile(r"\s*\[\s*(?:…|\.{2,}|&hellip;)\s*\]\s*$")


def _unhash(match: re.Match[str]) -> str:
    return match.group(1).replace("_", " ")


def remove_furniture(lines: list[str], title: str | None = None) -> list[str]:
    """Body lines only; every line kept is verbatim."""
    if not lines:
        return []
    norms = [normalize(line) for line in lines]
    title_tokens = tokens(title) if title else []
    keep = [True] * len(lines)
    in_sources = False
    in_related = False
    seen: set[str] = set()
    # A list announced by the line before it ("… على النحو التالي:") is the story's own, however
    # headline-like its items: `listed` holds such announcing lines and their items.
    listed: set[int] = set()
    announced: list[int] = []  # the open list: its announcing line, then its headline-like items
    # A headline repeated near the top (the page's title printed twice) is the title.
    repeated = {n for n in norms[:6] if norms[:6].count(n) > 1 and not _FINAL.search(n)}
    counts = [0] * len(lines)
    for i, (line, norm) in enumerate(zip(lines, norms, strict=True)):
        toks = NORMALISED_TOKEN.findall(norm)
        counts[i] = len(toks)
        if in_sources:
            if len(toks) <= 8 and not _FINAL.search(line):
                keep[i] = False
                continue
            in_sources = False
        if in_related:
            if len(toks) <= _RELATED_MAX_WORDS and not (norm.startswith("و") and _FINAL.search(line)):
                keep[i] = False
                continue
            in_related = False
        if _SOURCES_HEADER.match(norm):
            in_sources = True
            keep[i] = False
            announced = _close_list(announced, listed)
        elif _RELATED_HEADER.match(norm):
            in_related = True
            keep[i] = False
            announced = _close_list(announced, listed)
        elif (
            not toks
            or not _HAS_LETTER.search(line)
            or _FURNITURE_LINE.match(norm)
            or _FURNITURE_START.match(norm)
            or _CAPTION.search(norm)
            or (len(toks) <= 40 and _DISCLAIMER.search(norm))
            or _is_date_line(toks)
            or (
                len(toks) <= _HANDLE_LINE_MAX_WORDS and (_HANDLE_END.search(line) or _CLICK_HERE.search(norm))
            )
            or _is_credit(toks, line)
            or norm in repeated
            or (title_tokens and _is_title(toks, title_tokens))
            or norm in seen
        ):
            keep[i] = False
        elif line.endswith(":"):
            announced = [*_close_list(announced, listed), i]
        elif announced:
            if counts[i] > _HEADLINE_MAX_WORDS and _FINAL.search(line):
                announced = _close_list(announced, listed)  # a paragraph: the list is over
            elif _is_headline(line, counts[i]):
                announced.append(i)
        seen.add(norm)
    _close_list(announced, listed)
    body = [i for i, k in enumerate(keep) if k]
    # Headline-like lines between paragraphs: subheadings and links to related stories.
    prose = [lines[i] for i in body if i in listed or not _is_headline(lines[i], counts[i])]
    if prose:
        return prose
    if body:
        return [lines[i] for i in body]
    # Everything looked like furniture; keep the lines that have words rather than return nothing,
    # but never a line that is furniture whatever surrounds it (a copyright notice, a read-more link).
    return [
        line
        for line, norm in zip(lines, norms, strict=True)
        if _HAS_LETTER.search(line)
        and not (_FURNITURE_LINE.match(norm) or _FURNITURE_START.match(norm) or _DISCLAIMER.search(norm))
    ]


def _close_list(announced: list[int], listed: set[int]) -> list[int]:
    """Keep an announced list of two headline-like items or more. A colon line with one under it
    is a section heading over its subheading ("احذروا من السلبيات:" / "الأضرار البدنية"), or
    over prose that needs no keeping ("في الحمام:" / "أبقي الغطاء مغلقا."), as in EASC."""
    if len(announced) > 2:
        listed.update(announced)
    return []


def _is_date_line(toks: list[str]) -> bool:
    if not toks or len(toks) > 10:
        return False
    dated = sum(1 for t in toks if t.isdigit() or t in _DATE_WORDS)
    return dated == len(toks) and any(t.isdigit() for t in toks)


def _is_credit(toks: list[str], line: str) -> bool:
    """Agency credits such as "فرانس24/ أ ف ب" or "العربي - وكالات" on a line of their own."""
    if len(toks) > 6 or _FINAL.search(line):
        return False
    return all(t in _AGENCY for t in toks)


def _is_title(toks: list[str], title_tokens: list[str]) -> bool:
    if toks == title_tokens:
        return True
    # The title with a site name or a date around it.
    if len(toks) <= len(title_tokens) + 4 and len(title_tokens) >= 4:
        joined, tjoined = " ".join(toks), " ".join(title_tokens)
        return tjoined in joined
    return False


def _is_headline(line: str, n: int) -> bool:
    """Whether a line of n words is a headline, a subheading or a link rather than prose."""
    if _FINAL.search(line):
        # A short question on a line of its own is a subheading ("كيف تطورت الفضيحة؟").
        return line.rstrip("\"'»”’)]").endswith(("؟", "?")) and n <= _QUESTION_MAX_WORDS
    return n <= _HEADLINE_MAX_WORDS
