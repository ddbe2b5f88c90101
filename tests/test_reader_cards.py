"""The card a reader sees, on stories as outlets really publish them (findings of a read of 1,500
cards built from ANT stories): no markup from a body with a stray control character, no "related
story" links or copyright lines as summary sentences, no false "…" on a whole body's last line, and
Arabic titles led by a Latin word laid out right to left for English readers too."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import summarizer
from bot.db.models import Feed, Story
from bot.delivery.format import render_digest, render_story
from bot.i18n import RLM
from bot.search.render import hit_block
from bot.search.service import SearchHit
from bot.services import services
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.test_routing import add_subscriber

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BODY = (
    "دعت الأمم المتحدة جميع الأطراف في اليمن إلى العودة إلى المفاوضات دون شروط مسبقة.\n\n"
    "\x02 عربيا، توالت ردود الفعل المرحبة بالدعوة الأممية من عواصم المنطقة.\n\n"
    "وقال المبعوث الأممي إن الحل السياسي هو الطريق الوحيد لإنهاء الحرب المستمرة منذ سنوات."
)


async def test_a_body_with_a_stray_control_character_arrives_as_sentences_not_markup(
    bot_factory: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    """ANT's AL-economy-62 carries a \\x02: lxml refused the whole body and the card showed its
    <p> tags, the article one "sentence" long."""
    chat = 3301
    url = feed_server.add_feed("arabiya", feed_server.stories[:2], description="full")
    async with bot_factory(feeds=[{"url": url, "name": "العربية", "interval": 1}]) as app:
        db = services(app).db
        async with db.read() as session:
            feed_id = await session.scalar(select(Feed.id).where(Feed.url == url))
        await add_subscriber(db, chat, subscriptions=[("feed", str(feed_id))])
        async with asyncio.timeout(15):
            while True:
                async with db.read() as session:
                    if (await session.scalar(select(func.count()).select_from(Story))) == 2:
                        break
                await asyncio.sleep(0.05)
        feed_server.add_item("arabiya", feed_server.stories[3].variant("ctl", text=BODY))
        [message] = await fake_telegram.wait_for_messages(chat, count=1, timeout=20)
    card = message["plain_text"]
    assert "<p>" not in card and "</p>" not in card and "\x02" not in card
    assert "دعت الأمم المتحدة جميع الأطراف في اليمن إلى العودة إلى المفاوضات دون شروط مسبقة." in card


def test_the_summarize_command_reads_such_a_page_instead_of_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.commands import summarize_cmd

    page = tmp_path / "page.html"
    page.write_text("".join(f"<p>{p}</p>" for p in BODY.split("\n\n")), encoding="utf-8")
    parser = argparse.ArgumentParser()
    summarize_cmd.add_arguments(parser)
    assert summarize_cmd.run(parser.parse_args([str(page), "--json"])) == 0
    sentences = json.loads(capsys.readouterr().out)["sentences"]
    assert len(sentences) == 3 and all("<" not in s and "\x02" not in s for s in sentences)


CNN_BODY = (
    "أعلنت وزارة الطاقة السعودية اليوم خطة لزيادة إنتاج الكهرباء من الطاقة الشمسية خلال العقد المقبل.\n\n"
    "قد يهمك أيضا: عروض أزياء وحفلات فاخرة.. ما الذي ينتظر السعودية بعد تنظيمها أول أسبوع موضة في تاريخها\n\n"
    "وقالت الوزارة إن الخطة تشمل إنشاء محطات جديدة في ثلاث مناطق من المملكة بتمويل حكومي وخاص.\n\n"
    "قد يهمك/ حمد بن جاسم: كل دول الخليج مرت بتغييرات في الحكم منها ما وصل للقتل في السنوات الماضية.\n\n"
    "وأضافت أن المحطات ستوفر آلاف الوظائف للمواطنين وتخفض استهلاك النفط في توليد الكهرباء محليا.\n\n"
    "قد يهمك.. الخزانة الأمريكية تفرض عقوبات ضد 13 شخصاً و12 كياناً على صلة ببرنامج طهران."
)


def test_cnn_related_story_links_are_never_summary_sentences() -> None:
    """«قد يهمك» lines (71 ANT CNN stories) got into five-sentence summaries: another story's
    headline, cut at its «..»."""
    chosen = summarizer.summarize(CNN_BODY, title="خطة سعودية للطاقة الشمسية", sentences=5)
    assert chosen and not any("يهمك" in s or "حمد بن جاسم" in s or "الخزانة" in s for s in chosen)
    assert "قد يهمك" not in summarizer.clean_text(CNN_BODY)


def test_a_copyright_notice_alone_is_no_summary() -> None:
    """AL-culture-606's whole text is its magazine's copyright line; the card showed it as the news."""
    assert summarizer.summarize("**حقوق النشر محفوظة لمجلة القافلة، أرامكو السعودية", title="القافلة") == []


def story(**kw: object) -> Story:
    values: dict[str, object] = {
        "id": 7,
        "title": "نتائج بطولة التنس",
        "url": "https://example.org/news/1",
        "source": "سكاي نيوز عربية",
        "summary": [],
        "text": "",
        "published_at": NOW - timedelta(minutes=30),
        "fetched_at": NOW,
    }
    values.update(kw)
    return Story(**values)


def test_a_whole_bodys_last_line_without_a_stop_is_not_marked_as_cut_off() -> None:
    """A results table ends with no full stop; the card put "…" after it as if the feed had cut it."""
    table = "10- الألمانية أنجيليك كيربر 3055 نقطة"
    body = "تصدرت الرومانية سيمونا هاليب التصنيف العالمي للاعبات التنس هذا الأسبوع.\n\n" + table
    card = render_story(
        story(summary=[body.split("\n\n")[0], table], text=body), lang="ar", tz="UTC", sentences=3
    )
    assert table in card.text_html and f"{table} …" not in card.text_html
    # A feed's lead cut mid-sentence (one paragraph) still gets its ellipsis.
    cut = "أعلنت الحكومة اليوم إطلاق البرنامج الذي"
    assert (
        f"{cut} …" in render_story(story(summary=[cut], text=cut), lang="ar", tz="UTC", sentences=3).text_html
    )


LATIN_LED = "CNN تكشف عن عمالة الأطفال في صناعة السيارات الكهربائية"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_arabic_title_led_by_a_latin_word_reads_right_to_left_in_either_language(lang: str) -> None:
    """Telegram lays a line out from its first strong letter: without an RLM, "CNN" set the whole
    Arabic title left to right for English readers, in cards, digests and search results."""
    led = story(title=LATIN_LED, summary=["NASA تطلق مسبارا جديدا نحو المريخ هذا الأسبوع."])
    card = render_story(led, lang=lang, tz="UTC", sentences=3).text_html
    title_line, *_ = card.split("\n")
    assert title_line.startswith(RLM)
    assert f"{RLM}NASA" in card
    [digest] = render_digest([led], lang=lang, tz="UTC", slot=NOW, now=NOW)
    assert f"{RLM}• " in digest
    hit = SearchHit(
        story_id=7,
        title=LATIN_LED,
        url="https://example.org/news/1",
        source="CNN",
        published_at=NOW,
        summary=[],
        snippet_html="",
        score=1.0,
    )
    assert hit_block(1, hit, lang, "UTC").startswith(RLM)


def test_an_english_title_in_an_english_message_gets_no_mark() -> None:
    english = story(title="Oil prices rise after OPEC meeting", summary=["Prices rose sharply."])
    card = render_story(english, lang="en", tz="UTC", sentences=3).text_html
    assert RLM not in card
