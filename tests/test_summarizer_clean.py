"""Cleaning: from a scraped page, a feed item's HTML or plain text to the story's body paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import clean_text, summarize
from summarizer.clean import clean_paragraphs

SEED = Path(__file__).parent / "fixtures" / "summarizer" / "seed_alaraby_2024.txt"
SEED_TITLE = "بهدف تطبيع أنقرة مع النظام.. موسكو تستضيف اجتماعًا رباعيًا حول سوريا"
FURNITURE = [
    "الجمعة 22 نوفمبر",  # date line
    SEED_TITLE,  # title printed twice above the body
    "شارك القصة",
    "(الصورة: الأناضول)",  # image caption
    "تكثيف جهود إعادة اللاجئين",  # subheading between paragraphs
    "تابع القراءة",
    "المصادر",
    "العربي - وكالات",
    "Close",
]


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_page_keeps_the_body_only(seed: str) -> None:
    body = clean_text(seed)
    for furniture in FURNITURE:
        assert furniture not in body, furniture
    paragraphs = body.split("\n\n")
    assert paragraphs[0].startswith("أعلنت وزارة الدفاع التركية أن")
    assert paragraphs[-1].startswith("وأشار الأسد في تصريحات سابقة")
    assert len(paragraphs) == 12
    # every paragraph kept is verbatim from the page (runs of white space aside)
    page = " ".join(seed.split())
    for paragraph in paragraphs:
        assert paragraph in page


def test_seed_summary_holds_body_sentences_only(seed: str) -> None:
    summary = summarize(seed)
    assert len(summary) == 3
    body = clean_text(seed)
    for sentence in summary:
        assert sentence in body
        for furniture in FURNITURE:
            assert furniture not in sentence
    # in the page's order
    positions = [seed.index(s) for s in summary]
    assert positions == sorted(positions)


def test_seed_title_is_found_when_not_given(seed: str) -> None:
    assert clean_paragraphs(seed)[1] == SEED_TITLE


def test_given_title_repeated_in_body_is_removed() -> None:
    title = "الأمم المتحدة تحذر من مجاعة في اليمن"
    text = f"{title}\n\nحذرت الأمم المتحدة من مجاعة وشيكة في اليمن بسبب استمرار الحرب.\n\nوقالت إن الملايين بحاجة إلى مساعدات عاجلة."
    body = clean_text(text, title=title)
    assert title not in body
    assert body.startswith("حذرت الأمم المتحدة")


@pytest.mark.parametrize(
    "furniture",
    [
        "اقرأ أيضاً:",
        "للمزيد: ضربات جوية تستهدف مطار التيفور العسكري",
        "يمكنكم استلام إشعارات بأهم الموضوعات بعد تحميل أحدث نسخة من تطبيق بي بي سي عربي على هاتفكم المحمول.",
        "*نقلاً عن الرؤية الإماراتية",
        "فرانس24/ أ ف ب",
        "----------------------",
        "×××",
        "ما هو غاز الأعصاب وماذا يفعل؟",  # related-story headline, a question
        "الأمم المتحدة: 10 آلاف من مسلمي الروهينغا فروا من ميانمار",  # related-story headline
        "آخر تحديث: 12 مارس 2018",
        "السبت 3 مارس 2018 - 10:30 ص",
        "** جميع المقالات المنشورة تمثل رأي كتابها فقط.",
        "مصدر الصورة Getty Images",
        # read-more links in the forms ANT's outlets use (France 24, CNN): the headline they
        # carry ends like a sentence, so only the opening phrase marks them
        'للمزيد - مصر تأمل وتتساءل: هل يكون محمد صلاح جاهزا لخوض مونديال روسيا مع "الفراعنة"؟',
        "للمزيد - السعودية.. ويل للمتحرشين!!",
        "اقرأ: (الجبير معلقا على تصريح ترامب: يجب أن تدفع قطر ثمن وجود أمريكا في سوريا)",
        "اقرأ.. الخارجية السورية: لا نستغرب هذا التصعيد من أمريكا.",
        "شاهد.. لحظة دخول قوات أمريكية قاعة دراسية بعد اطلاق نار!",
    ],
)
def test_furniture_between_paragraphs_is_removed(furniture: str) -> None:
    text = (
        "قال مسؤولون إن المفاوضات ستستأنف الأسبوع المقبل في جنيف بمشاركة جميع الأطراف.\n"
        f"{furniture}\n"
        "وأضافوا أن الوفود ستصل تباعا إلى المدينة السويسرية خلال الأيام المقبلة."
    )
    body = clean_text(text)
    assert furniture not in body
    assert body.count("\n\n") == 1


def test_a_feed_description_that_is_one_headline_is_kept() -> None:
    # Removing headline-like lines must never turn a real input into nothing.
    assert clean_text("ماكرون يصل إلى الجزائر في زيارة رسمية") == "ماكرون يصل إلى الجزائر في زيارة رسمية"


def test_html_fragment_keeps_paragraph_boundaries() -> None:
    html = (
        "<p>انطلقت اليوم فعاليات معرض الكتاب الدولي في القاهرة بمشاركة مئات الناشرين.</p>"
        "<figure><img src='x.jpg'><figcaption>زوار المعرض في يومه الأول</figcaption></figure>"
        "<p>ويستمر المعرض <b>أسبوعين</b> &amp; يضم ندوات وأمسيات شعرية متنوعة للجمهور.</p>"
        "<script>var x = 1;</script>"
    )
    assert clean_text(html) == (
        "انطلقت اليوم فعاليات معرض الكتاب الدولي في القاهرة بمشاركة مئات الناشرين.\n\n"
        "ويستمر المعرض أسبوعين & يضم ندوات وأمسيات شعرية متنوعة للجمهور."
    )


def test_whole_page_goes_through_the_article_extractor() -> None:
    paragraphs = [
        "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة يضم ثلاثمئة سرير ومركزا متخصصا لعلاج الأورام.",
        "وقال الوزير في مؤتمر صحفي إن المستشفى سيخدم أكثر من مليون مواطن في المناطق المحيطة بالعاصمة.",
        "وأضاف أن الحكومة تعتزم افتتاح مستشفيات مماثلة في ثلاث محافظات أخرى قبل نهاية العام المقبل.",
        "ويأتي افتتاح المستشفى ضمن خطة حكومية لتطوير القطاع الصحي وتحسين الخدمات المقدمة للمواطنين.",
    ]
    page = (
        "<!DOCTYPE html><html lang='ar'><head><title>افتتاح مستشفى جديد في العاصمة | موقع الأخبار</title>"
        "<meta property='og:title' content='افتتاح مستشفى جديد في العاصمة'></head><body>"
        "<nav><ul><li><a href='/'>الرئيسية</a></li><li><a href='/sport'>رياضة</a></li></ul></nav>"
        "<article><h1>افتتاح مستشفى جديد في العاصمة</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article><aside>الأكثر قراءة</aside><footer>جميع الحقوق محفوظة 2024</footer></body></html>"
    )
    body, title = clean_paragraphs(page)
    assert body == paragraphs
    assert title == "افتتاح مستشفى جديد في العاصمة"
    assert summarize(page, sentences=1) == [paragraphs[0]]


def test_hard_wrapped_text_is_joined_into_sentences() -> None:
    wrapped = (
        "ارتفع الدولار أمس بعد أن أظهر تقرير انخفاضا غير متوقع في العجز التجاري\n"
        "الأمريكي في شهر مارس.\n"
        "وتقلص العجز إلى 54.99 مليار دولار في مارس من الرقم المعدل في فبراير وهو\n"
        "مليار دولار وجاء أقل بكثير من توقعات الاقتصاديين بعجز حجمه 61.5 مليار دولار.\n"
        "وعلى مدى السنوات الثلاث الماضية تقريبا ظل العجز التجاري مصدر ضغط كبير على\n"
        "الدولار. وإذا واصل الأمريكيون شراء بضائع أجنبية بمعدل أسرع من قدرة الشركات\n"
        "الأمريكية على بيع بضائعها وخدماتها في الخارج فستظل حركة الدولار قوية.\n"
    )
    body = clean_text(wrapped).split("\n\n")
    assert body[0] == (
        "ارتفع الدولار أمس بعد أن أظهر تقرير انخفاضا غير متوقع في العجز التجاري الأمريكي في شهر مارس."
    )
    assert len(body) == 3


@pytest.mark.parametrize(
    "garbage", ["", "   \n ", "<div></div>", "----\n****", "<<<>>>", "12345", "\x00\x01"]
)
def test_garbage_cleans_to_nothing(garbage: str) -> None:
    assert clean_text(garbage) == ""


@pytest.mark.parametrize(
    "html",
    [
        "<p>أعلنت الشركة عن نتائجها الفصلية وحققت أرباحا قياسية خلال الربع الأخير من العام.</p>"
        "<p>ظهرت المقالة الشركة تعلن أرباحا قياسية أولاً على موقع الأخبار.</p>",
        "<p>أعلنت الشركة عن نتائجها الفصلية وحققت أرباحا قياسية خلال الربع الأخير من العام.</p>"
        "<p><a href='https://example.invalid/x'>اقرأ المزيد</a></p>",
        "<p>أعلنت الشركة عن نتائجها الفصلية وحققت أرباحا قياسية خلال الربع الأخير من العام.</p>"
        "<p>The post Results appeared first on Example News.</p>",
    ],
)
def test_feed_item_furniture(html: str) -> None:
    assert (
        clean_text(html) == "أعلنت الشركة عن نتائجها الفصلية وحققت أرباحا قياسية خلال الربع الأخير من العام."
    )


def test_cleaning_is_idempotent(seed: str) -> None:
    # The feed poller stores clean_text() output and summarises it later: cleaning it again changes nothing.
    for text, title in ((seed, None), (seed, SEED_TITLE), ("<p>خبر قصير بلا علامات</p>", None)):
        once = clean_text(text, title)
        assert clean_text(once, title) == once
        assert summarize(once, title=title) == summarize(text, title=title)


def test_arabic_hashtags_read_as_words() -> None:
    # Al Arabiya links words to tag pages as hashtags; in a Telegram message they would become
    # hashtags that search Telegram.
    text = "وقال #ترمب إن العقوبات على #ميليشيات_الحوثي ستستمر، مستشهدا بحملة #MeToo."
    assert clean_text(text) == "وقال ترمب إن العقوبات على ميليشيات الحوثي ستستمر، مستشهدا بحملة #MeToo."


def test_a_plain_description_with_one_escaped_quote_is_unescaped() -> None:
    # feedparser hands a plain RSS description over with its quotes escaped.
    text = "وقالت شركة &quot;سوني إن الفيلم سيعرض في الصيف. وأضافت أن AT&T ليست طرفا."
    assert clean_text(text) == 'وقالت شركة "سوني إن الفيلم سيعرض في الصيف. وأضافت أن AT&T ليست طرفا.'


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        (
            "دبي، الإمارات العربية المتحدة (CNN) -- قال وزير الدفاع الأمريكي إن دور بلاده يتركز على قتال التنظيم.",
            "قال وزير الدفاع الأمريكي إن دور بلاده يتركز على قتال التنظيم.",
        ),
        (
            "(CNN)-- أعلن المدرب الفرنسي زين الدين زيدان استقالته من تدريب ريال مدريد بعد فوزه باللقب.",
            "أعلن المدرب الفرنسي زين الدين زيدان استقالته من تدريب ريال مدريد بعد فوزه باللقب.",
        ),
        # the outlet named inside a sentence is the sentence's own
        (
            "نقلت شبكة (CNN) عن مسؤولين أمريكيين قولهم إن القوات ستبقى.",
            "نقلت شبكة (CNN) عن مسؤولين أمريكيين قولهم إن القوات ستبقى.",
        ),
    ],
)
def test_a_dateline_opening_the_lead_is_left_out(lead: str, expected: str) -> None:
    body = clean_text(f"{lead}\nوأضاف أن القوات ستبقى في المنطقة حتى إشعار آخر.")
    assert body.split("\n\n")[0] == expected


@pytest.mark.parametrize("mark", ["[&#8230;]", "[&hellip;]", "[…]", "[...]", " [ … ]"])
def test_wordpress_read_more_mark_is_not_part_of_the_excerpt(mark: str) -> None:
    # Arabic WordPress sites end nearly every feed excerpt so; the card adds its own ellipsis.
    excerpt = f"<p>قال الوزير إن الحكومة ستعلن خطة جديدة لدعم المزارعين في الأسبوع المقبل ولم {mark}</p>"
    assert clean_text(excerpt) == "قال الوزير إن الحكومة ستعلن خطة جديدة لدعم المزارعين في الأسبوع المقبل ولم"
    assert summarize(excerpt) == [clean_text(excerpt)]
    # A mark inside a sentence is the writer's (an elision in a quote) and stays.
    assert clean_text("قال [...] إن الحل قريب.") == "قال [...] إن الحل قريب."
