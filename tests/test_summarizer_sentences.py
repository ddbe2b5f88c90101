"""Arabic sentence splitting: where a reader sees a sentence end, and only there."""

from __future__ import annotations

import pytest

from summarizer import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # . ! ? ؟ … end sentences
        (
            "وصل الوفد. هل انتهت المحادثات؟ نعم! ماذا بعد? ربما…",
            ["وصل الوفد.", "هل انتهت المحادثات؟", "نعم!", "ماذا بعد?", "ربما…"],
        ),
        # ، ؛ : never do
        (
            "قال الوزير: إن المحادثات مستمرة، وإن الوفد باق؛ ولن يغادر قبل الخميس.",
            ["قال الوزير: إن المحادثات مستمرة، وإن الوفد باق؛ ولن يغادر قبل الخميس."],
        ),
        # decimals and dates stay whole
        (
            "ارتفع المؤشر 3.5 في المئة يوم 2018/3/4 وبلغ 12.75 نقطة. ثم تراجع.",
            ["ارتفع المؤشر 3.5 في المئة يوم 2018/3/4 وبلغ 12.75 نقطة.", "ثم تراجع."],
        ),
        # a short attribution standing alone stays with the sentence it sources (Sky News style)
        (
            "هبطت الليرة إلى حضيض جديد أمام الدولار. حسب رويترز. وتراجع اليورو أيضا.",
            ["هبطت الليرة إلى حضيض جديد أمام الدولار. حسب رويترز.", "وتراجع اليورو أيضا."],
        ),
        (
            'ارتفع العجز إلى 10 بالمئة. بحسب ما أوردت "رويترز".',
            ['ارتفع العجز إلى 10 بالمئة. بحسب ما أوردت "رويترز".'],
        ),
        # ... but a sentence that opens with "according to" and says something is a sentence
        (
            "صدر القانون أمس. وفقا للقانون الجديد، يدفع كل مواطن ضريبة على الدخل.",
            ["صدر القانون أمس.", "وفقا للقانون الجديد، يدفع كل مواطن ضريبة على الدخل."],
        ),
        # one-letter abbreviations: د. (doctor), أ. (professor), ص. (page)
        (
            "قال د. محمد علي إن أ. أحمد حسن محق. انظر ص. 12 من التقرير.",
            ["قال د. محمد علي إن أ. أحمد حسن محق.", "انظر ص. 12 من التقرير."],
        ),
        # an era mark after a year ends the sentence
        ("ولد عام 1770 م. ودرس في فيينا.", ["ولد عام 1770 م.", "ودرس في فيينا."]),
        # quotes and brackets that close on the line stay intact
        (
            'قال الرئيس: "لن نتراجع. سنمضي قدما." ثم غادر القاعة.',
            ['قال الرئيس: "لن نتراجع. سنمضي قدما."', "ثم غادر القاعة."],
        ),
        (
            "وصف البيان الاجتماع بأنه «بناء. ومثمر جدا» وفق المصدر. وانتهى اللقاء.",
            ["وصف البيان الاجتماع بأنه «بناء. ومثمر جدا» وفق المصدر.", "وانتهى اللقاء."],
        ),
        (
            "عقد المؤتمر (وهو الثالث. بعد توقف طويل) في عمّان. وحضره المئات.",
            ["عقد المؤتمر (وهو الثالث. بعد توقف طويل) في عمّان.", "وحضره المئات."],
        ),
        # an unclosed quote protects nothing
        ('قال "لن نتراجع. ثم غادر.', ['قال "لن نتراجع.', "ثم غادر."]),
        # line breaks end sentences; blank and punctuation-only lines vanish
        ("العنوان الأول\n\nالفقرة الأولى. الثانية\n----\n", ["العنوان الأول", "الفقرة الأولى.", "الثانية"]),
        # a full stop glued to the next Arabic word is a typo for a boundary
        (
            "تتكون الصفيحة الثلجية.لطالما اتصفت صورة الثلج.",
            ["تتكون الصفيحة الثلجية.", "لطالما اتصفت صورة الثلج."],
        ),
        # ... also when the stop is set apart from the word it ends ("غرينلاند .والرياح"), or the
        # word glued to it is the one-letter conjunction ("نوح.و تعني"): 66 times in EASC
        (
            "توجد في سيبيريا و غرينلاند .والرياح الشتوية الباردة تبدأ من إسكندينافيا.",
            ["توجد في سيبيريا و غرينلاند .", "والرياح الشتوية الباردة تبدأ من إسكندينافيا."],
        ),
        (
            "يرجعه البعض إلى نوح.و تعني كلمة العود الخشب.",
            ["يرجعه البعض إلى نوح.", "و تعني كلمة العود الخشب."],
        ),
        # ... or after a number, a Latin word or a closing bracket, or before a word with a diacritic
        (
            "وصل المسبار في عام 2004.سوف يجد الراصد حلقات زحل.",
            ["وصل المسبار في عام 2004.", "سوف يجد الراصد حلقات زحل."],
        ),
        ("باعت الحقوق لشركة IBM.سمحت الصفقة بانتشاره.", ["باعت الحقوق لشركة IBM.", "سمحت الصفقة بانتشاره."]),
        (
            "وتسمى الذبحة الصدرية (Angina).وزن القلب يبلغ 0.5% من وزن الجسم.",
            ["وتسمى الذبحة الصدرية (Angina).", "وزن القلب يبلغ 0.5% من وزن الجسم."],
        ),
        ("تتحول الدهون إلى ماء.خُف الجمل مخزن للدهون.", ["تتحول الدهون إلى ماء.", "خُف الجمل مخزن للدهون."]),
        # ... while a lone letter glued to a name is an abbreviation, and a list number stays
        ("قال د.محمد إن الحل قريب.", ["قال د.محمد إن الحل قريب."]),
        # ... but not inside abbreviations spelled in Arabic letters
        ("وقالت بي.بي.سي إن الرحلة إم.إتش17 سقطت.", ["وقالت بي.بي.سي إن الرحلة إم.إتش17 سقطت."]),
        # while a two-letter word glued to the next sentence is still the typo
        ("تحتاج فيتامين سي.كما تحب الحركة.", ["تحتاج فيتامين سي.", "كما تحب الحركة."]),
        # ... nor inside Latin abbreviations or web addresses
        ("زار موقع bbc.com/arabic في U.S.A أمس.", ["زار موقع bbc.com/arabic في U.S.A أمس."]),
        # a numbered list item keeps its number
        ("1. البند الأول. 2. البند الثاني.", ["1. البند الأول.", "2. البند الثاني."]),
        # a stop set apart by a space still ends the sentence
        ("بياض الثلج snow white . وفي أحيان أخرى.", ["بياض الثلج snow white .", "وفي أحيان أخرى."]),
        # a stop typed twice stays with the sentence it ends, not at the head of the next one
        (
            "من محيطه إلى خليجه .. . ماذا يريد وما هي أولوياته؟",
            ["من محيطه إلى خليجه .. .", "ماذا يريد وما هي أولوياته؟"],
        ),
        (
            "قال إن العملات خطيرة. .وحذر بيل من الاستثمار فيها.",
            ["قال إن العملات خطيرة. .", "وحذر بيل من الاستثمار فيها."],
        ),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_no_cap_on_sentences_in_one_paragraph() -> None:
    # pyarabic's sentence_tokenize (sumy's Arabic default) stops splitting after 32 sentences.
    paragraph = " ".join(f"هذه هي الجملة رقم {i} في الفقرة." for i in range(50))
    sentences = split_sentences(paragraph)
    assert len(sentences) == 50
    assert sentences[-1] == "هذه هي الجملة رقم 49 في الفقرة."


def test_sentences_are_verbatim_with_diacritics() -> None:
    text = "وَصَلَ الوَفْدُ إلى العاصمة. ثُمَّ بدأت المحادثات."
    assert split_sentences(text) == ["وَصَلَ الوَفْدُ إلى العاصمة.", "ثُمَّ بدأت المحادثات."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "...", "؟!"])
def test_nothing_to_split(text: str) -> None:
    assert split_sentences(text) == []
