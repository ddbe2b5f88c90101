"""What a reader sees in a summary card: no cut-off tail, no furniture, no quote without its speaker,
no restated lead, no split site name (QA reading of 150 ANT summaries)."""

from __future__ import annotations

import pytest

from summarizer import clean_text, split_sentences, summarize

LEAD = "أعلنت وزارة الصحة الأردنية اليوم الأحد عن افتتاح مستشفى جديد في مدينة إربد لخدمة سكان الشمال."
SECOND = "ويضم المستشفى ثلاثمئة سرير وقسما للطوارئ يعمل على مدار الساعة طوال أيام الأسبوع."
THIRD = "وبلغت كلفة بنائه نحو خمسين مليون دينار مولتها الحكومة بالشراكة مع القطاع الخاص."
FOURTH = "وسيبدأ استقبال المرضى مطلع الشهر المقبل بعد استكمال تجهيز غرف العمليات الحديثة."


def test_a_feed_abstract_cut_mid_sentence_does_not_end_the_summary_on_the_cut() -> None:
    # Al Arabiya's RSS abstract: about 30 words, the second sentence cut off mid-way.
    abstract = (
        "واصل الجيش اليمني تقدمه في محافظة صعدة بدعم من التحالف بعد استعادة مواقع جديدة من الميليشيات."
        "وأفاد مراسل العربية أن الجيش أصبح على بعد ثلاثة كيلومترات من"
    )
    assert summarize(abstract, sentences=3) == [
        "واصل الجيش اليمني تقدمه في محافظة صعدة بدعم من التحالف بعد استعادة مواقع جديدة من الميليشيات."
    ]


def test_a_cut_abstract_that_is_one_sentence_is_still_a_summary() -> None:
    assert summarize("وأفاد مراسل العربية أن الجيش أصبح على بعد ثلاثة كيلومترات من") != []


def test_a_text_that_never_uses_stops_keeps_its_last_sentence() -> None:
    # Nothing was cut: the outlet writes its paragraphs without final stops.
    lines = [
        "أعلنت وزارة الصحة الأردنية اليوم الأحد عن افتتاح مستشفى جديد في مدينة إربد لخدمة سكان المحافظات الشمالية",
        "ويضم المستشفى ثلاثمئة سرير وقسما للطوارئ يعمل على مدار الساعة طوال أيام الأسبوع ومختبرات حديثة",
        "وسيبدأ استقبال المرضى مطلع الشهر المقبل بعد استكمال تجهيز غرف العمليات الحديثة وتعيين الكوادر الطبية",
    ]
    assert summarize("\n\n".join(lines), sentences=3) == lines


@pytest.mark.parametrize(
    "furniture",
    [
        "اقرأ أيضا\n\nمقتل خمسة أشخاص في انفجار سيارة مفخخة وسط العاصمة الصومالية مقديشو.",
        "شاهد أيضاً:\n\nالأمطار الغزيرة تغلق الطرق في عمّان والسلطات تعلن حالة الطوارئ.\n\nوزير النقل يتفقد الأضرار",
        "تابعوا آخر الأخبار على قناتنا في تلغرام.",
        "للاطلاع على المزيد من الأخبار تابعونا على تويتر @AkhbarNews.",
        "حساب الصحيفة على تويتر: @AkhbarNews",
        "لمتابعة المباراة على الحواسيب اللوحية، اضغط هنا...",
    ],
)
def test_furniture_lines_never_reach_the_summary(furniture: str) -> None:
    text = "\n\n".join([LEAD, SECOND, furniture, THIRD, FOURTH])
    assert clean_text(text) == "\n\n".join([LEAD, SECOND, THIRD, FOURTH])


def test_lines_after_read_also_that_are_prose_stay() -> None:
    prose = (
        "وأكد الوزير في مؤتمر صحفي عقده في مقر الوزارة أن المستشفى سيخدم أكثر من مليون شخص من سكان "
        "المحافظات الشمالية، وأنه سيكون مركزا لتدريب الأطباء الجدد."
    )
    text = "\n\n".join([LEAD, "اقرأ أيضا:", "حريق يلتهم سوقا شعبيا في الزرقاء", prose])
    assert clean_text(text) == "\n\n".join([LEAD, prose])


@pytest.mark.parametrize(
    "promo",
    [
        "تابعوا المباراة مباشرة على موقع فرانس24 عند الساعة الرابعة بتوقيت باريس.",
        "شاهد هذا الفيديو ضمن سلسلة CNN التي نعرضها على موقعنا في شهر رمضان.",
    ],
)
def test_a_promo_closing_a_paragraph_goes_and_the_paragraph_stays(promo: str) -> None:
    text = "\n\n".join([LEAD, f"{SECOND} {promo}", THIRD])
    assert clean_text(text) == "\n\n".join([LEAD, SECOND, THIRD])


def test_news_about_people_who_followed_a_match_is_not_a_promo() -> None:
    line = "وتجمع آلاف المشجعين في الساحة المركزية وتابعوا المباراة على شاشة عملاقة رغم المطر."
    assert clean_text("\n\n".join([LEAD, line])) == "\n\n".join([LEAD, line])


def test_list_dashes_are_markup_not_part_of_the_sentence() -> None:
    text = "\n\n".join(
        [LEAD, "- يكون أمام رئيس الوزراء المكلف ثلاثون يوما لتشكيل الحكومة.", "• شراكة بين الوزارة والجامعة."]
    )
    assert clean_text(text).split("\n\n")[1:] == [
        "يكون أمام رئيس الوزراء المكلف ثلاثون يوما لتشكيل الحكومة.",
        "شراكة بين الوزارة والجامعة.",
    ]


def test_an_inline_byline_opening_the_lead_goes() -> None:
    text = f"دبي - العربية.نت: {LEAD}\n\n{SECOND}"
    assert clean_text(text) == f"{LEAD}\n\n{SECOND}"
    assert summarize(text, sentences=1) == [LEAD]


@pytest.mark.parametrize("site", ["العربية.نت", "بيت.كوم"])
def test_a_site_name_is_not_split_at_its_dot(site: str) -> None:
    sentence = f"وقال المتحدث في اتصال هاتفي مع {site} إن الاجتماع سيعقد غدا."
    assert split_sentences(sentence) == [sentence]


def test_a_stop_glued_to_a_word_starting_with_the_same_letters_still_splits() -> None:
    assert split_sentences("وانتهى الاجتماع.نتيجة ذلك تأجل التصويت.") == [
        "وانتهى الاجتماع.",
        "نتيجة ذلك تأجل التصويت.",
    ]


def test_an_unclosed_quote_does_not_glue_two_sentences() -> None:
    line = (
        'وأفادت قناة "الإخبارية الرسمية بأن "الدفاعات الجوية اعترضت صاروخا فوق العاصمة". '
        'وأضافت "الإخبارية" أن الحطام سقط في منطقة خالية.'
    )
    assert split_sentences(line) == [
        'وأفادت قناة "الإخبارية الرسمية بأن "الدفاعات الجوية اعترضت صاروخا فوق العاصمة".',
        'وأضافت "الإخبارية" أن الحطام سقط في منطقة خالية.',
    ]


def test_a_closed_quote_holding_two_sentences_stays_whole() -> None:
    line = 'وقال الوزير: "انتهى الاجتماع. وسنلتقي غدا".'
    assert split_sentences(line) == [line]


QUOTE_STORY = [
    "استقبل الرئيس التونسي في قصر قرطاج اليوم وفدا من رجال الأعمال الأوروبيين لبحث فرص الاستثمار في البلاد.",
    "وتناول اللقاء مشاريع الطاقة المتجددة والبنية التحتية والموانئ في الجنوب التونسي.",
    "وقال رئيس الوفد الأوروبي إن الشركات مستعدة لضخ استثمارات كبيرة في قطاع الطاقة الشمسية.",
    'وأضاف: "تونس شريك مهم للاستثمار الأوروبي في الطاقة الشمسية وفي الموانئ".',
    "ويأتي اللقاء قبل أسابيع من مؤتمر دولي للاستثمار تستضيفه العاصمة تونس في الخريف.",
]


def test_a_quote_follows_the_sentence_naming_its_speaker() -> None:
    story = [QUOTE_STORY[0], QUOTE_STORY[2], QUOTE_STORY[3]]
    assert summarize("\n\n".join(story), sentences=3) == story


LONG = (
    "وتشمل المشاريع التي نوقشت خلال اللقاء محطات لتوليد الكهرباء من الرياح والشمس في ولايات الجنوب، "
    "وتوسعة ميناء جرجيس التجاري، وإنشاء منطقة صناعية جديدة قرب الحدود الليبية، وتحديث شبكة السكك "
    "الحديدية التي تربط مناجم الفوسفات بموانئ التصدير على الساحل الشرقي للبلاد."
)


@pytest.mark.parametrize(
    ("quote", "taken"),
    [
        ('وقال: "نحن ندعم الاستثمار في تونس ونشجع الشركات على المشاركة في تطوير الموانئ".', False),
        ('وقال وزير الخارجية الإيطالي: "نحن ندعم الاستثمار في تونس ونشجع الشركات على تطوير الموانئ".', True),
    ],
)
def test_a_quote_stands_alone_only_if_it_names_its_speaker(quote: str, taken: bool) -> None:
    # The long sentence between them does not fit the budget; the quote would.
    story = [QUOTE_STORY[0], LONG, quote]
    chosen = summarize("\n\n".join(story), title="الاستثمار الأوروبي في موانئ تونس", max_words=36)
    assert chosen[0] == QUOTE_STORY[0]
    assert (quote in chosen) is taken


def test_a_long_question_announced_as_the_question_is_a_teaser() -> None:
    teaser = (
        "لكن السؤال الذي نود مناقشته هنا، هو: هل وصلت هذه المساعدات الذكية إلى مرحلة تفهم فيها ما نقوله حقا؟"
    )
    text = "\n\n".join([LEAD, teaser, SECOND, THIRD])
    assert teaser not in summarize(text, title="مستشفى جديد في إربد", sentences=3)


FRANCE24 = [
    # The standfirst, then the body's first paragraph restating it in other words.
    "قتل أربعة أشخاص الثلاثاء في إطلاق نار بمدينة لييج البلجيكية، بينهم شرطيان، كما أعلنت النيابة العامة.",
    "قتل مسلح شرطيين وعابر سبيل الثلاثاء في لييج البلجيكية قبل أن ترديه قوات الأمن بإطلاق النار عليه.",
    "وقالت النيابة إن المهاجم كان قد خرج من السجن في إجازة قصيرة يوم الاثنين.",
    "وتحقق السلطات في دوافع الهجوم الذي وقع قرب مدرسة ثانوية وسط المدينة.",
]


def test_a_second_lead_restating_the_standfirst_is_not_taken() -> None:
    chosen = summarize("\n\n".join(FRANCE24), title="مقتل أربعة بإطلاق نار في لييج البلجيكية", sentences=3)
    assert chosen[0] == FRANCE24[0]
    assert FRANCE24[1] not in chosen
