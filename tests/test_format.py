"""Story cards and digests: escaping, layout, right-to-left safety, Telegram's length limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from bot import i18n
from bot.db.models import Story
from bot.delivery import format as fmt
from bot.delivery.format import render_digest, render_story, split_html, utf16_len
from bot.i18n import RLM, ar_digits, month_name

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 15:00 in Riyadh


def story(**kw: object) -> Story:
    values: dict[str, object] = {
        "id": 7,
        "title": "انفجار في مرفأ بيروت",
        "url": "https://example.org/news/1",
        "source": "الجزيرة نت",
        "summary": ["الجملة الأولى من الخبر.", "الجملة الثانية من الخبر.", "الجملة الثالثة من الخبر."],
        "text": "",
        "published_at": NOW - timedelta(minutes=30),
        "fetched_at": NOW,
    }
    values.update(kw)
    return Story(**values)


class _Checker(HTMLParser):
    """Balanced Telegram HTML: only supported tags, each closed in order."""

    ALLOWED = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler", "span"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: object) -> None:
        assert tag in self.ALLOWED, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text += data


def visible(html_text: str) -> str:
    checker = _Checker()
    checker.feed(html_text)
    checker.close()
    assert checker.stack == [], f"unclosed tags {checker.stack}"
    return checker.text


def test_card_has_bold_linked_title_source_local_time_and_sentences() -> None:
    card = render_story(story(), lang="ar", tz="Asia/Riyadh", sentences=2, now=NOW)
    lines = card.text_html.split("\n")
    assert lines[0] == '<b><a href="https://example.org/news/1">انفجار في مرفأ بيروت</a></b>'
    # 11:30 UTC is 14:30 in Riyadh, written with Arabic-Indic digits.
    assert lines[1] == "الجزيرة نت · ١٤:٣٠"
    assert "الجملة الأولى من الخبر." in card.text_html
    assert "الجملة الثانية من الخبر." in card.text_html
    assert "الجملة الثالثة" not in card.text_html  # the subscriber asked for two sentences
    assert card.buttons is not None
    [[source, more]] = card.buttons.inline_keyboard
    assert (source.text, source.url) == ("المصدر", "https://example.org/news/1")
    assert (more.text, more.callback_data) == ("المزيد", "more:7")


def test_english_card_uses_english_labels_and_time_zone() -> None:
    card = render_story(story(), lang="en", tz="Africa/Cairo", sentences=1, now=NOW)
    assert card.text_html.split("\n")[1] == "الجزيرة نت · 14:30"  # Cairo is UTC+3 in May (DST)
    [[source, more]] = card.buttons.inline_keyboard  # type: ignore[union-attr]
    assert (source.text, more.text) == ("Source", "More")


def test_older_story_shows_the_date_with_an_arabic_month() -> None:
    card = render_story(
        story(published_at=NOW - timedelta(days=3)), lang="ar", tz="Asia/Riyadh", sentences=1, now=NOW
    )
    assert card.text_html.split("\n")[1] == "الجزيرة نت · ٢٨ أبريل ١٥:٠٠"


def test_everything_from_the_feed_is_escaped() -> None:
    hostile = story(
        title='<script>alert("x")</script> & <b>bold</b>',
        source="Evil <i>Feed</i> & Co",
        url='https://example.org/?a=1&b="2"',
        summary=["جملة فيها <tag> و & و \"اقتباس\" و 'فاصلة'."],
    )
    card = render_story(hostile, lang="ar", tz="UTC", sentences=3, now=NOW)
    text = card.text_html
    assert "<script>" not in text and "<i>" not in text and "<tag>" not in text
    assert "&lt;script&gt;" in text and "&amp; Co" in text
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in text
    # The only tags are ours: the bold link around the title.
    assert re.findall(r"</?[a-z]+", text) == ["<b", "<a", "</a", "</b"]
    assert "<tag>" in visible(text) and '"اقتباس"' in visible(text)


def test_non_http_links_are_dropped() -> None:
    card = render_story(story(url="javascript:alert(1)"), lang="ar", tz="UTC", sentences=1, now=NOW)
    assert "<a " not in card.text_html and "javascript" not in card.text_html
    assert all(b.url is None for row in card.buttons.inline_keyboard for b in row)  # type: ignore[union-attr]


def test_rlm_before_lines_that_start_with_latin_or_digits() -> None:
    card = render_story(
        story(
            title="BBC: انتخابات",
            source="BBC عربي",
            summary=["2024 عام الانتخابات.", "هذه جملة عربية.", "CNN تقول ذلك."],
        ),
        lang="ar",
        tz="UTC",
        sentences=3,
        now=NOW,
    )
    lines = [line for line in card.text_html.split("\n") if line]
    assert lines[0].startswith(RLM + "<b>")  # the title's visible text starts with Latin
    assert lines[1].startswith(RLM + "BBC")
    assert lines[2].startswith(RLM + "2024")
    assert not lines[3].startswith(RLM)
    assert lines[4].startswith(RLM + "CNN")


def test_arabic_templates_carry_no_english_words() -> None:
    card = render_story(story(source="الجزيرة", url=None), lang="ar", tz="Asia/Riyadh", sentences=3, now=NOW)
    assert not re.search(r"[A-Za-z]", visible(card.text_html))
    labels = [
        b.text
        for row in render_story(story(), lang="ar", tz="UTC", sentences=1).buttons.inline_keyboard
        for b in row
    ]  # type: ignore[union-attr]
    assert all(not re.search(r"[A-Za-z]", label) for label in labels)
    for catalog in (fmt.TEXTS,):
        for entry in catalog.values():
            assert not re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", entry["ar"]))
    digest = render_digest([story(url=None)], lang="ar", tz="Asia/Riyadh", slot=NOW)
    assert not re.search(r"[A-Za-z]", visible(digest[0]))


def test_long_story_is_shortened_under_the_limit_at_a_word_boundary() -> None:
    long_sentence = " ".join(["كلمة&طويلة"] * 900)  # the & becomes &amp;: escaping makes it longer
    card = render_story(
        story(summary=["جملة أولى قصيرة.", long_sentence, "جملة ثالثة."]),
        lang="ar",
        tz="UTC",
        sentences=3,
        now=NOW,
    )
    assert utf16_len(card.text_html) <= 4096
    assert "جملة أولى قصيرة." in card.text_html
    assert card.sentences == ["جملة أولى قصيرة."]  # the long one and those after it are dropped
    only_long = render_story(story(summary=[long_sentence]), lang="ar", tz="UTC", sentences=3, now=NOW)
    assert utf16_len(only_long.text_html) <= 4096
    body = only_long.text_html.rsplit("\n", 1)[-1]
    assert body.endswith("كلمة&amp;طويلة…")  # cut between words, never inside "&amp;"
    visible(only_long.text_html)


def test_expanded_card_shows_more_sentences_and_drops_the_more_button() -> None:
    many = [f"الجملة رقم {i} من الخبر." for i in range(1, 9)]
    compact = render_story(story(summary=many), lang="ar", tz="UTC", sentences=2, now=NOW)
    expanded = render_story(story(summary=many), lang="ar", tz="UTC", sentences=2, expanded=True, now=NOW)
    assert compact.sentences == many[:2] and compact.has_more
    assert expanded.sentences == many[:5]
    assert [b.text for row in expanded.buttons.inline_keyboard for b in row] == ["المصدر"]  # type: ignore[union-attr]


def test_no_more_button_when_there_is_nothing_more() -> None:
    card = render_story(story(summary=["جملة واحدة."]), lang="ar", tz="UTC", sentences=3, now=NOW)
    assert not card.has_more
    assert [b.text for row in card.buttons.inline_keyboard for b in row] == ["المصدر"]  # type: ignore[union-attr]


def test_more_sentences_come_from_the_text_when_the_summary_is_short() -> None:
    # Ten different sentences (the summarizer never repeats the same news in other words).
    text = "\n\n".join(
        [
            "قالت الحكومة في بيانها إن المفاوضات مع النقابات ستستمر حتى نهاية الأسبوع المقبل.",
            "وطالبت النقابات برفع الأجور بنسبة عشرة في المئة قبل بداية العام الجديد.",
            "وأغلق المحتجون طريقا رئيسيا في وسط العاصمة لساعات يوم الثلاثاء.",
            "وأعلنت شركات النقل تعليق رحلاتها بين المدن الشمالية حتى إشعار آخر.",
            "ويرى خبراء اقتصاد أن الإضراب يكلف البلاد ملايين الدولارات كل يوم.",
            "وتعهد رئيس الوزراء بعرض مقترح جديد على البرلمان خلال أيام.",
            "ودعت أحزاب المعارضة إلى انتخابات مبكرة بعد تعثر الحوار.",
            "وشهدت الأسواق ارتفاعا في أسعار الخضروات بسبب تأخر الشحنات.",
            "وأكدت وزارة الصحة أن المستشفيات تعمل بشكل طبيعي رغم الإضراب.",
            "ومن المقرر أن يلتقي الطرفان مجددا صباح الأحد في مقر الوزارة.",
        ]
    )
    card = render_story(
        story(summary=["قالت الحكومة في بيانها إن المفاوضات ستستمر."], text=text),
        lang="ar",
        tz="UTC",
        sentences=1,
        now=NOW,
    )
    assert card.has_more
    expanded = render_story(
        story(summary=["ملخص."], text=text), lang="ar", tz="UTC", sentences=1, expanded=True, now=NOW
    )
    assert len(expanded.sentences) > 1


@pytest.mark.parametrize("limit", [150, 400, 4096])
def test_split_html_never_cuts_inside_a_tag_or_entity_and_keeps_tags_balanced(limit: int) -> None:
    lines = [
        f'• <a href="https://example.org/{i}?a=1&amp;b=2">خبر رقم {i} &amp; تفاصيل</a>' for i in range(300)
    ]
    source = "<b>موجز</b>\n<blockquote>" + "\n".join(lines) + "</blockquote>"
    parts = split_html(source, limit)
    assert len(parts) > 1
    joined = ""
    for part in parts:
        assert utf16_len(visible(part)) <= limit  # Telegram counts the text, not the markup
        joined += visible(part) + "\n"  # raises on unbalanced or broken tags
        assert not re.search(r"&[#\w]*$", part) and not re.search(r"<[^>]*$", part)
    # Nothing lost: every story title is somewhere, whole.
    for i in range(300):
        assert f"خبر رقم {i} & تفاصيل" in joined


def test_split_html_prefers_line_breaks() -> None:
    source = "\n".join(f"سطر رقم {i} فيه كلمات" for i in range(50))
    parts = split_html(source, 100)
    for part in parts:
        for line in part.split("\n"):
            assert re.fullmatch(r"سطر رقم \d+ فيه كلمات", line), line


def test_split_html_cuts_a_giant_word_without_losing_characters() -> None:
    parts = split_html("<i>" + "ب" * 500 + "</i>", 100)
    assert "".join(visible(p) for p in parts) == "ب" * 500
    assert all(utf16_len(visible(p)) <= 100 for p in parts)


def test_short_text_is_not_split() -> None:
    assert split_html("<b>قصير</b>") == ["<b>قصير</b>"]


def test_markup_does_not_count_towards_telegrams_limit() -> None:
    # 3,000 characters a reader sees, 5,800 of HTML: Telegram takes it as one message.
    source = "\n".join(f'<a href="https://example.org/{i:04}">خبر &amp; تفاصيل</a>' for i in range(200))
    assert utf16_len(source) > 4096 and utf16_len(visible(source)) < 4096
    assert split_html(source) == [source]


def test_digest_groups_stories_by_source_and_splits_when_long() -> None:
    stories = [
        story(id=i, title=f"خبر {i}", source="المصدر أ" if i % 3 else "BBC عربي", url=f"https://e.org/{i}")
        for i in range(1, 61)
    ]
    parts = render_digest(stories, lang="ar", tz="Asia/Riyadh", slot=NOW, limit=1500)
    assert len(parts) > 1
    shown = [visible(p) for p in parts]
    text = "\n".join(shown)
    assert shown[0].startswith(f"موجز الأخبار · ١٥:٠٠ (الجزء ١ من {ar_digits(len(parts))})")
    assert "عدد الأخبار: ٦٠" in text
    # Every message says which of the digest's messages it is, and names the source of the
    # stories it opens with: a later message is not a list of titles without their outlet.
    for number, part in enumerate(shown[1:], 2):
        lines = part.split("\n")
        assert lines[0] == f"موجز الأخبار · ١٥:٠٠ (الجزء {ar_digits(number)} من {ar_digits(len(parts))})"
        assert lines[1].strip(RLM) in ("المصدر أ", "BBC عربي")
    # Within the digest each source's stories come together, under its heading.
    headings = [line.strip(RLM) for line in text.split("\n") if line.strip(RLM) in ("المصدر أ", "BBC عربي")]
    assert headings[0] == "المصدر أ" and headings[-1] == "BBC عربي"
    assert headings == sorted(headings, key=lambda h: h == "BBC عربي")
    bbc_block = text.split("BBC عربي", 1)[1]
    assert "خبر 3\n" in bbc_block and "خبر 1\n" not in bbc_block
    assert all(utf16_len(visible(p)) <= 1500 for p in parts)


def test_a_digest_caught_up_after_a_night_down_names_its_day() -> None:
    late = NOW + timedelta(hours=11)  # the 15:00 digest, sent the next morning at 02:00 local
    [part] = render_digest([story()], lang="ar", tz="Asia/Riyadh", slot=NOW, now=late)
    assert visible(part).startswith("موجز الأخبار · ")
    assert "١٥:٠٠" in visible(part).split("\n")[0] and month_name(NOW.month, "ar") in visible(part)


def test_a_lead_cut_off_by_the_feed_is_shown_with_an_ellipsis() -> None:
    cut = "أعلنت الحكومة اليوم إطلاق البرنامج الذي"
    card = render_story(story(summary=[cut], text=cut), lang="ar", tz="Asia/Riyadh", sentences=3)
    assert f"{cut} …" in card.text_html
    whole = "أعلنت الحكومة اليوم إطلاق البرنامج."
    card = render_story(story(summary=[whole], text=whole), lang="ar", tz="Asia/Riyadh", sentences=3)
    assert whole in card.text_html
    assert "…" not in card.text_html


@pytest.mark.parametrize(
    ("published", "lang", "shown"),
    [
        (datetime(2026, 11, 29, 11, 5, tzinfo=UTC), "ar", "١٤:٠٥"),
        (datetime(2026, 3, 5, 11, 5, tzinfo=UTC), "ar", "٥ مارس ١٤:٠٥"),
        (datetime(2018, 7, 20, 11, 5, tzinfo=UTC), "ar", "٢٠ يوليو ٢٠١٨ ١٤:٠٥"),
        (datetime(2018, 7, 20, 11, 5, tzinfo=UTC), "en", "20 Jul 2018 14:05"),
    ],
)
def test_a_cards_time_has_its_year_only_when_it_is_not_this_one(
    published: datetime, lang: str, shown: str
) -> None:
    # A feed quiet for a year must not have /latest present its last story as this year's.
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert fmt.local_time(published, lang=lang, tz="Asia/Riyadh", now=now) == shown


def test_a_numbered_line_led_by_a_latin_name_reads_right_to_left() -> None:
    """Arabic-Indic digits are weak in the bidi algorithm: «١. BBC …» is laid out from "BBC", left to
    right, unless it is marked; «١. الجزيرة» needs no mark."""
    lines = i18n.rtl("١. BBC عربي\n٢. الجزيرة\n2024 عام الانتخابات", "ar").split("\n")
    assert lines[0].startswith(RLM) and not lines[1].startswith(RLM) and lines[2].startswith(RLM)
