"""summarize(): the story's best sentences, verbatim, whole, in document order, within the limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from summarizer import clean_text, split_sentences, summarize
from summarizer.normalize import tokens

TITLE = "زلزال بقوة 6.2 درجة يضرب جنوب تركيا"
STORY = """ضرب زلزال بقوة 6.2 درجة على مقياس ريختر جنوب تركيا فجر اليوم الثلاثاء، وشعر به سكان عدة محافظات.

وقالت إدارة الكوارث والطوارئ التركية إن مركز الزلزال كان على عمق عشرة كيلومترات قرب مدينة أضنة.

وأضافت أن فرق الإنقاذ انتشرت في المناطق المتضررة، ولم ترد حتى الآن تقارير عن سقوط ضحايا.

ما هي أعنف الزلازل في تاريخ تركيا؟

وتقع تركيا على خطوط صدع رئيسية، وتتعرض بشكل متكرر لزلازل قوية.

وكان زلزال بقوة 7.4 درجة قد ضرب شمال غرب البلاد عام 1999 وأودى بحياة أكثر من 17 ألف شخص.

وقال وزير الداخلية إن السلطات تتابع الوضع عن كثب وإن مراكز الإيواء جاهزة لاستقبال السكان.

ونصحت السلطات السكان بالابتعاد عن المباني المتضررة تحسبا لهزات ارتدادية."""


def body_sentences() -> list[str]:
    return [s for s in split_sentences(STORY) if not s.endswith("؟")]


def test_three_sentences_by_default_verbatim_and_in_order() -> None:
    summary = summarize(STORY, title=TITLE)
    assert len(summary) == 3
    body = body_sentences()
    assert all(s in body for s in summary)
    assert [body.index(s) for s in summary] == sorted(body.index(s) for s in summary)


def test_the_lead_sentence_of_a_news_story_is_chosen() -> None:
    assert summarize(STORY, title=TITLE, sentences=1) == [body_sentences()[0]]


@pytest.mark.parametrize("count", [1, 2, 4, 7])
def test_sentence_count(count: int) -> None:
    assert len(summarize(STORY, title=TITLE, sentences=count)) == count


def test_asking_for_more_sentences_than_there_are() -> None:
    assert summarize(STORY, sentences=50) == body_sentences()


def test_related_story_headline_is_never_chosen() -> None:
    assert all("؟" not in s for s in summarize(STORY, sentences=7))


@pytest.mark.parametrize("budget", [10, 25, 40, 60, 100, 1000])
def test_max_words_is_respected_with_whole_sentences(budget: int) -> None:
    summary = summarize(STORY, title=TITLE, max_words=budget)
    body = body_sentences()
    assert summary and all(s in body for s in summary)
    words = sum(len(tokens(s)) for s in summary)
    if len(summary) > 1:
        assert words <= budget
    positions = [body.index(s) for s in summary]
    assert positions == sorted(positions)


def test_max_words_smaller_than_every_sentence_still_gives_one_sentence() -> None:
    summary = summarize(STORY, title=TITLE, max_words=3)
    assert len(summary) == 1
    assert summary[0] in body_sentences()


def test_max_words_fills_the_budget_rather_than_stopping_at_three() -> None:
    everything = sum(len(tokens(s)) for s in body_sentences())
    assert summarize(STORY, max_words=everything) == body_sentences()


def test_html_input() -> None:
    html = "".join(f"<p>{p}</p>" for p in STORY.split("\n\n"))
    assert summarize(html, title=TITLE) == summarize(STORY, title=TITLE)


def test_repeated_sentences_are_not_both_chosen() -> None:
    first = "أعلنت الحكومة المصرية خطة جديدة لدعم صغار المزارعين في محافظات الصعيد."
    story = "\n\n".join(
        [
            first,
            "وتتضمن الخطة قروضا ميسرة وتوفير البذور والأسمدة بأسعار مدعومة للمزارعين.",
            first,  # the page repeats its lead (a pull quote)
            "وقال وزير الزراعة إن الخطة ستنفذ على ثلاث مراحل تبدأ في الربيع المقبل.",
        ]
    )
    summary = summarize(story, sentences=3)
    assert summary.count(first) == 1
    assert len(summary) == 3


def test_a_lead_restated_in_other_words_is_not_told_twice() -> None:
    # France 24's pattern: a standfirst, then the article opens by saying it again in other words.
    lead = "أصدر ملك الأردن مساء الخميس مرسوما بتشكيل حكومة جديدة من 28 وزيرا يرأسها عمر الرزاز."
    restated = (
        "وأصدر العاهل الأردني الخميس مرسوما ملكيا يقضي بتشكيل حكومة جديدة برئاسة عمر الرزاز تضم 28 وزيرا."
    )
    story = "\n\n".join(
        [
            lead,
            restated,
            "وكان الرزاز قد كلف قبل أسبوع بتأليف الحكومة خلفا لهاني الملقي الذي استقال.",
            "وجاء التكليف بعد احتجاجات واسعة في عمان على مشروع قانون لضريبة الدخل.",
            "وتضم التشكيلة سبع سيدات، وهو أكبر عدد من النساء في حكومة أردنية.",
            "ومن المنتظر أن تسحب الحكومة مشروع القانون وتفتح حوارا مع النقابات.",
        ]
    )
    summary = summarize(story, title="الأردن: حكومة جديدة برئاسة عمر الرزاز", sentences=3)
    assert summary[0] == lead
    assert restated not in summary
    assert len(summary) == 3


def test_a_teaser_question_is_not_a_summary_sentence() -> None:
    # "So what will change for voters?" announces the next paragraph; alone in a summary it says
    # nothing. (Standing as a paragraph of its own it is already dropped as a headline.)
    lead = "أقر مجلس الوزراء مشروع قانون الانتخابات الجديد وأحاله إلى البرلمان لمناقشته الأسبوع المقبل."
    teaser = "فما الذي سيتغير للناخبين؟"
    rest = [
        "ينص على خفض سن الترشح إلى خمسة وعشرين عاما وزيادة المقاعد المخصصة للنساء.",
        "وقال وزير العدل إن القانون سيطبق أول مرة في الانتخابات البلدية المقبلة.",
        "وانتقدت أحزاب المعارضة المشروع وقالت إنه لا يعالج تمويل الحملات الانتخابية.",
    ]
    title = "مشروع قانون الانتخابات الجديد أمام البرلمان"
    summary = summarize("\n\n".join([f"{lead} {teaser}", *rest]), title=title, sentences=3)
    assert summary[0] == lead
    assert teaser not in summary
    assert len(summary) == 3
    # A question that carries the news in its clauses is a sentence like any other.
    informative = (
        "لكن هذا يأتي تزامنا مع قول الرئيس الأمريكي إن قوات بلاده ستخرج من سوريا قريبا جدا "
        "بعد هزيمة التنظيم، فهل يحدث ذلك حقا؟"
    )
    story = "\n\n".join([f"{lead} {informative}", *rest])
    assert informative in summarize(story, title=title, sentences=3)


def test_a_fragment_is_not_a_summary_sentence() -> None:
    # "Trump said: we'll see." is a beat in the story, not one of its three main points.
    lead = (
        "أعلن البيت الأبيض أن الرئيس الأمريكي سيلتقي نظيره الروسي في هلسنكي الشهر المقبل لبحث الأزمة السورية."
    )
    fragment = "وقال ترامب: سنرى."
    rest = [
        "وأوضح المتحدث باسم البيت الأبيض أن القمة ستتناول ملفات الحد من التسلح والأزمة الأوكرانية.",
        "ولم يصدر تعليق فوري من الكرملين على الإعلان الأمريكي بشأن موعد القمة.",
        "وكانت آخر قمة بين الرئيسين قد عقدت على هامش اجتماعات مجموعة العشرين العام الماضي.",
    ]
    summary = summarize("\n\n".join([f"{lead} {fragment}", *rest]), title="ترامب وبوتين يلتقيان في هلسنكي")
    assert summary == [lead, rest[0], rest[1]]
    # A story whose lead is short still has it first: the rule is about what comes after.
    assert summarize("وصل الوفد.\n\n" + "\n\n".join(rest))[0] == "وصل الوفد."


def test_a_sentence_announcing_a_list_is_not_chosen_without_it() -> None:
    lead = "اختتم الدوري الإسباني لكرة القدم موسمه الحالي بتتويج برشلونة باللقب للمرة الخامسة والعشرين."
    announces = "وجاء ترتيب الفرق الأربعة الأولى بعد الجولة الأخيرة من الموسم على النحو التالي:"
    rest = [
        "وحل أتلتيكو مدريد ثانيا بفارق أربع عشرة نقطة عن المتصدر بعد موسم متذبذب.",
        "وأنهى ريال مدريد الموسم ثالثا رغم تتويجه بلقب دوري أبطال أوروبا للمرة الثالثة على التوالي.",
        "وتأهل فالنسيا إلى دوري الأبطال بعد غياب دام موسمين عن المسابقة القارية.",
    ]
    summary = summarize("\n\n".join([f"{lead} {announces}", *rest]), title="برشلونة بطل الدوري الإسباني")
    assert announces not in summary
    assert len(summary) == 3


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "\n\n\n",
        "<html><body></body></html>",
        "----",
        "<<<>>>",
        "0000",
        "\ufeff\u200f",
        "شارك القصة\nClose",
        # Shown as summaries before: a feed whose description is only its link, tatweels, a letter.
        "http://example.com/a/b",
        "ـ ـ ـ",
        "a",
    ],
)
def test_empty_or_garbage_input_gives_nothing(garbage: str) -> None:
    assert summarize(garbage) == []
    assert summarize(garbage, max_words=20) == []


@pytest.mark.parametrize("bad", [None, 42, b"\xd8\xa7", ["نص"]])
def test_non_text_input_gives_nothing_not_an_exception(bad: Any) -> None:
    assert summarize(bad) == []


def test_odd_arguments_do_not_raise() -> None:
    assert len(summarize(STORY, sentences=0)) == 1
    assert len(summarize(STORY, max_words=0)) == 1
    assert summarize(STORY, title="") == summarize(STORY)


def test_huge_single_paragraph() -> None:
    paragraph = " ".join(f"وقال المتحدث في الفقرة رقم {i} إن الوضع مستقر تماما." for i in range(400))
    summary = summarize(paragraph, sentences=3)
    assert len(summary) == 3
    assert all(s.startswith("وقال المتحدث") for s in summary)


def test_already_cleaned_text_gives_the_same_summary_without_cleaning_twice() -> None:
    # The feed poller stores clean_text() output and summarises that with cleaned=True.
    seed = (Path(__file__).parent / "fixtures" / "summarizer" / "seed_alaraby_2024.txt").read_text("utf-8")
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY.split("\n\n"))
    html = f"<article><h1>{TITLE}</h1>{paragraphs}</article>"
    for raw, title in ((STORY, TITLE), (seed, None), (html, TITLE)):
        clean = clean_text(raw, title)
        assert summarize(clean, title=title, cleaned=True) == summarize(raw, title=title)
