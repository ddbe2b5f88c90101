"""Short word budgets: the lead stands alone rather than being padded with a weak late sentence."""

from __future__ import annotations

from summarizer import summarize

FIRST = (
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في العاصمة لخدمة آلاف المرضى من سكان الأحياء "
    "الشرقية والمناطق المجاورة لها."
)
BODY = [
    f"وقال المسؤول رقم {i} إن المشروع يتضمن أقسامًا متعددة للطوارئ والجراحة والعناية المركزة "
    "للأطفال والكبار في المدينة."
    for i in range(2, 12)
]
LATE = "وانتهى اللقاء مساء."
TEXT = "\n\n".join([FIRST, *BODY, LATE])


def test_a_short_budget_is_not_padded_with_a_weak_closing_line() -> None:
    # 30 words is under two median sentences; the 3-word closing line would fit but says nothing.
    assert summarize(TEXT, max_words=30) == [FIRST]


def test_a_longer_budget_is_filled_with_whole_sentences_in_order() -> None:
    # BODY's sentences restate each other, so one of them is all a summary takes; these do not.
    text = "\n\n".join(
        [
            FIRST,
            "ويضم المستشفى ثلاثمئة سرير وقسما للطوارئ يعمل على مدار الساعة طوال أيام الأسبوع.",
            "وبلغت كلفة بنائه نحو خمسين مليون دولار مولتها الحكومة بالشراكة مع القطاع الخاص.",
            "وسيبدأ استقبال المرضى مطلع الشهر المقبل بعد استكمال تجهيز غرف العمليات الحديثة.",
            LATE,
        ]
    )
    chosen = summarize(text, max_words=70)
    assert chosen[0] == FIRST
    assert len(chosen) >= 3
    assert sum(len(s.split()) for s in chosen) <= 70
    assert [text.index(s) for s in chosen] == sorted(text.index(s) for s in chosen)
    # The budget is not topped up with a three-word closing line that happens to fit.
    assert LATE not in chosen
