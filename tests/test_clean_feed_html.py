"""Feed descriptions as outlets and aggregators shape them: what cleaning keeps, and what a card shows.

Shapes from a QA pass over real feeds: Google News story clusters, lists announced by a colon,
read-more links set inside a paragraph, English CMS footers.
"""

from __future__ import annotations

import pytest

from summarizer import clean_text, summarize

S1 = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة بسعة مئتي سرير."
S2 = "وقال الوزير إن المستشفى سيخدم أكثر من نصف مليون نسمة في المنطقة الشمالية."
NBSP = "&nbsp;&nbsp;"


def _cluster_item(headline: str, outlet: str) -> str:
    link = f'<a href="https://news.google.com/rss/articles/CBMi{len(headline)}?oc=5" target="_blank">{headline}</a>'
    return f'<li>{link}{NBSP}<font color="#6f6f6f">{outlet}</font></li>'


# Google News: a story cluster's description lists the outlets' headlines, each with its outlet.
GN_TITLE = "الرئيس السيسي يستقبل رئيس وزراء اليونان في القاهرة - بوابة الأهرام"
GN_CLUSTER = (
    "<ol>"
    + _cluster_item("الرئيس السيسي يستقبل رئيس وزراء اليونان في القاهرة", "بوابة الأهرام")
    + _cluster_item(
        "السيسي ورئيس الوزراء اليوناني يبحثان تعزيز التعاون المشترك بين البلدين في مجالات الطاقة",
        "المصري اليوم",
    )
    + _cluster_item("مباحثات مصرية يونانية موسعة في قصر الاتحادية لبحث ملفات الطاقة والهجرة", "الشروق")
    + "</ol>"
)


def test_a_google_news_story_cluster_is_no_text() -> None:
    # The card showed another outlet's headline and that outlet's name as the summary; a
    # description of other stories' links is furniture, so the card is the title alone.
    assert clean_text(GN_CLUSTER, GN_TITLE) == ""
    assert summarize(GN_CLUSTER, title=GN_TITLE) == []


def test_a_links_list_under_a_paragraph_goes_and_the_paragraph_stays() -> None:
    # Headline and outlet together are longer than a headline: the line passed for prose.
    headline = "الحكومة تعلن خطة الإسكان للعام المقبل وتفاصيل التمويل والمواعيد والمدن المشمولة بها كلها"
    html = f"<p>{S1} {S2}</p><ul>{_cluster_item(headline, 'المصري اليوم')}</ul>"
    assert clean_text(html) == f"{S1} {S2}"
    assert summarize(html) == [S1, S2]


def test_a_paragraph_a_cms_wrapped_in_a_link_is_still_text() -> None:
    sentence = (
        "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة بسعة مئتي سرير وسط حضور رسمي "
        "كبير من المسؤولين."
    )
    assert clean_text(f"<p><a href='https://news.example/1'>{sentence}</a></p>") == sentence


DECISIONS = [
    "رفع الحد الأدنى للأجور إلى ستة آلاف جنيه",
    "إعفاء المشروعات الصغيرة من الضرائب لمدة خمس سنوات",
    "زيادة المعاشات بنسبة خمسة عشر في المئة",
]
LEAD = "أقر مجلس الوزراء في جلسته الأسبوعية اليوم حزمة من القرارات الاقتصادية والاجتماعية."
RATES = ["الدولار الأمريكي: 48.5 جنيه", "اليورو: 52.3 جنيه", "الريال السعودي: 12.9 جنيه"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # <ul> after a paragraph that ends by announcing it
        (
            f"<p>{LEAD} وجاءت أبرز القرارات على النحو التالي:</p><ul>"
            + "".join(f"<li>{d}</li>" for d in DECISIONS)
            + "</ul>",
            [f"{LEAD} وجاءت أبرز القرارات على النحو التالي:", *DECISIONS],
        ),
        # a bullet list after <br>, announced by a short line of its own under a paragraph
        (
            f"<p>{S1} {S2}</p><p>وسجلت أسعار العملات اليوم كالتالي: </p>"
            + "".join(f"<br>• {r}" for r in RATES),
            [f"{S1} {S2}", "وسجلت أسعار العملات اليوم كالتالي:", *RATES],
        ),
        # plain text, a paragraph a line, with dashes
        (
            f"{S1} {S2}\nوأصدر المجلس عدة قرارات أبرزها:\n" + "\n".join(f"- {d}" for d in DECISIONS),
            [f"{S1} {S2}", "وأصدر المجلس عدة قرارات أبرزها:", *DECISIONS],
        ),
    ],
)
def test_a_list_announced_by_a_colon_is_kept(text: str, expected: list[str]) -> None:
    # Every item was dropped as a headline: the stored text, which search and the expanded card
    # read, ended at the colon.
    body = clean_text(text, "مجلس الوزراء يقر حزمة قرارات")
    assert body.split("\n\n") == expected
    assert clean_text(body, "مجلس الوزراء يقر حزمة قرارات") == body  # stored text cleans to itself
    # The card: neither list marks nor items without the line announcing them (see below).
    card = summarize(text, title="مجلس الوزراء يقر حزمة قرارات", sentences=6)
    assert card and all(not s.startswith(("•", "-")) for s in card)
    assert not set(card[1:]) & {*expected[1:], *DECISIONS}


def test_related_stories_without_an_announcing_colon_still_go() -> None:
    related = "".join(
        f"<li><a href='/{i}'>{h}</a></li>"
        for i, h in enumerate(
            [
                "افتتاح مدرسة جديدة في الجنوب بتكلفة كبيرة جدا",
                "الحكومة تعلن خطة الإسكان للعام المقبل وتفاصيلها",
            ]
        )
    )
    plain = "\n".join(["افتتاح مدرسة جديدة في الجنوب", "الحكومة تعلن خطة الإسكان للعام المقبل"])
    for text in (f"<p>{S1} {S2}</p><h3>أخبار ذات صلة</h3><ul>{related}</ul>", f"{S1} {S2}\n{plain}"):
        assert clean_text(text) == f"{S1} {S2}"
        assert summarize(text) == [S1, S2]


@pytest.mark.parametrize(
    "inline",
    [
        "<strong>اقرأ أيضاً: الحكومة تقر خطة جديدة للنقل</strong>",
        "<a href='https://news.example/2'>شاهد أيضا: الحكومة تقر خطة جديدة للنقل</a>",
        "<b><a href='https://news.example/2'>للمزيد: الحكومة تقر خطة جديدة للنقل</a></b>",
        "<span>اقرأ المزيد عن خطة النقل</span>",
    ],
)
def test_a_read_more_link_inside_a_paragraph_goes(inline: str) -> None:
    # It became a summary sentence: "اقرأ أيضاً: الحكومة تقر خطة جديدة للنقل وقال الوزير إن …".
    html = f"<p>{S1} {inline} {S2}</p>"
    assert clean_text(html) == f"{S1} {S2}"
    assert summarize(html) == [S1, S2]


def test_a_read_more_link_closing_a_paragraph_goes() -> None:
    html = f"<p>{S1} {S2} <a href='https://news.example/1'>اقرأ المزيد »</a></p>"
    assert summarize(html) == [S1, S2]


def test_a_bare_for_more_word_that_the_sentence_goes_on_from_stays() -> None:
    # "<b>للمزيد</b> من …": the words after it are the sentence; taking the word alone would
    # leave "من التفاصيل …" behind.
    html = f"<p>{S1} <b>للمزيد</b> من التفاصيل حول المستشفى الجديد يمكن زيارة موقع الوزارة.</p>"
    assert "للمزيد من التفاصيل" in clean_text(html)


@pytest.mark.parametrize(
    "footer",
    [
        "This article originally appeared on News Site.",
        "This story was originally published at News Site.",
        "The article first appeared in The Daily Example.",
        "This post was first published on Example News",
        "Originally published at example.com",
        "Originally published on Example News.",
    ],
)
def test_an_english_cms_footer_goes(footer: str) -> None:
    html = f"<p>{S1} {S2}</p><p>{footer}</p>"
    assert clean_text(html) == f"{S1} {S2}"
    assert summarize(html, sentences=3) == [S1, S2]


def test_a_card_shows_no_list_items_without_the_line_that_announces_them() -> None:
    # The first case above: the card took the lead, then two of the three decisions with nothing
    # saying what they were (the announcing sentence ends in a colon, never a later pick).
    text = (
        f"<p>{LEAD} وجاءت أبرز القرارات على النحو التالي:</p><ul>"
        + "".join(f"<li>{d}</li>" for d in DECISIONS)
        + f"</ul><p>{S1}</p><p>{S2}</p>"
    )
    card = summarize(text, title="مجلس الوزراء يقر حزمة قرارات", sentences=3)
    assert not set(card) & set(DECISIONS)
    assert len(card) == 3  # the prose is there to take instead
