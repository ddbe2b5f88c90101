"""What a demanding admin, and a user of inline mode, noticed: the real Application against the
fake Bot API (tests/fakes), through test_audit_user_flows' `bot` and `say` fixtures.

Each test is one thing an admin or an inline user did, and what they should have seen.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ADMIN_ID, USER_ID, remove_feed_confirmed
from tests.test_audit_user_flows import OOPS_AR, bot, say

__all__ = ["bot"]  # a fixture, used by name

RLM = "\u200f"


# Removing a feed deleted its subscriptions without a word to the subscribers: their /mysubs was
# simply shorter, and nothing more came from that source, with no explanation.
async def test_subscribers_of_a_removed_feed_are_told_and_the_admin_hears_how_many(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    english_user = USER_ID + 1
    async with bot:
        await say(fake_telegram, "/start")
        await say(fake_telegram, "/subscribe الجزيرة نت")
        await say(fake_telegram, "/start", chat_id=english_user, lang="en")
        await say(fake_telegram, "/subscribe الجزيرة نت", chat_id=english_user, lang="en")
        question, reply = await remove_feed_confirmed(fake_telegram, "الجزيرة نت")
        assert "(عددهم: ٢)" in question and not fake_telegram.sent_messages(USER_ID)[2:]  # nothing before yes
        [notice] = await fake_telegram.wait_for_messages(USER_ID, count=1, since=2, timeout=10)
        [notice_en] = await fake_telegram.wait_for_messages(english_user, count=1, since=2, timeout=10)
        # Removing another feed nobody follows tells nobody.
        _, other = await remove_feed_confirmed(fake_telegram, "2")
    assert "حُذف المصدر" in reply and "أُبلغ مشتركوه بذلك (عددهم: ٢)" in reply
    assert notice["plain_text"].startswith("ℹ️ لم يعد المصدر «الجزيرة نت» متاحًا")
    assert "/subscribe" in notice["plain_text"]
    assert notice_en["plain_text"].startswith("ℹ️ The source «الجزيرة نت» is no longer available")
    assert "أُبلغ" not in other


# /audit shows a broadcast's first 80 characters; the cut could fall inside "&amp;" (or a tag), and
# Telegram refused the whole page: after such a broadcast the admin got only "something went wrong".
@pytest.mark.parametrize(
    "body",
    ["ا" * 77 + " & ب", "ا" * 78 + " <ب>"],
    ids=["amp", "lt"],
)
async def test_audit_shows_a_broadcast_with_special_characters(
    body: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await say(fake_telegram, "/start")  # someone to broadcast to
        await say(fake_telegram, f"/broadcast {body}", chat_id=ADMIN_ID)
        reply = await say(fake_telegram, "/audit", chat_id=ADMIN_ID)
    assert OOPS_AR not in reply
    assert "كتب رسالة جماعية" in reply
    assert "«" + body[:40] in reply


# The log keeps a broadcast's first 300 characters of HTML: a link with a long address was cut inside
# its <a href="…"> tag, and that half tag broke the /audit page the same way.
async def test_audit_shows_a_broadcast_with_a_long_link(bot: Any, fake_telegram: FakeTelegram) -> None:
    text = "/broadcast اقرأ التفاصيل هنا"
    link = {
        "type": "text_link",
        "offset": len(text) - 3,
        "length": 3,
        "url": "https://example.com/" + "a" * 320,
    }
    command = {"type": "bot_command", "offset": 0, "length": len("/broadcast")}
    async with bot:
        await say(fake_telegram, "/start")  # someone to broadcast to
        await fake_telegram.converse(ADMIN_ID, text, entities=[command, link], timeout=10)
        reply = await say(fake_telegram, "/audit", chat_id=ADMIN_ID)
    assert OOPS_AR not in reply and "«اقرأ التفاصيل" in reply


# With no active subscriber (a new instance), /broadcast showed "will go to 0 subscribers. Confirm?".
async def test_a_broadcast_with_nobody_to_reach_says_so(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        reply = await say(fake_telegram, "/broadcast مرحبا بالجميع", chat_id=ADMIN_ID)
    assert reply.startswith("لا يوجد مشتركون نشطون")
    assert not fake_telegram.sent_messages(ADMIN_ID)[-1].get("reply_markup")


# The limit on a broadcast (3,800 characters) was applied to its HTML: every "&", "<" or link the
# admin typed counted several times, so a message well within Telegram's limit was refused, and the
# refusal quoted a length far above what the admin had written. Telegram limits a message after
# reading its HTML, so a broadcast whose HTML is longer than 4,096 still goes out as one message.
async def test_a_broadcast_is_measured_as_the_admin_wrote_it(bot: Any, fake_telegram: FakeTelegram) -> None:
    body = "أ & ب " * 390  # 2,340 characters as typed, 3,900 once escaped for HTML
    async with bot:
        await say(fake_telegram, "/start")  # someone to broadcast to
        preview = await say(fake_telegram, f"/broadcast {body}", chat_id=ADMIN_ID)
        refused = await say(fake_telegram, "/broadcast " + "ب" * 3801, chat_id=ADMIN_ID)
        long_html = await say(fake_telegram, "/broadcast " + "أ & ب " * 500, chat_id=ADMIN_ID)
    assert preview.startswith("📣") and body.strip() in preview
    assert refused.startswith("⚠️") and "طولها ٣٨٠١" in refused
    assert long_html.startswith("📣")  # 3,000 characters as typed, 5,000 as HTML


# Any .xml file anyone shared in a group the bot is in (a config, a sitemap) got "Sorry, this
# command is for admins only": noise in the group about a command nobody sent.
async def test_an_xml_file_shared_in_a_group_by_a_member_is_left_alone(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    group = -100888
    async with bot:
        await fake_telegram.document(group, "sitemap.xml", b"<urlset/>", user_id=USER_ID)
        # The next command is answered, so the file before it was handled (silently) already.
        [reply] = await fake_telegram.converse(group, "/help", user_id=USER_ID, timeout=10)
    assert "/subscribe" in reply["plain_text"]
    assert len(fake_telegram.sent_messages(group)) == 1


# /feed explained a feed's last error by looking for "feed" anywhere in it: a host that could not be
# found, feeds.bbci.co.uk (BBC Arabic's real host), was explained as "not a valid feed".
async def test_feed_health_explains_an_error_about_a_host_named_feeds(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from sqlalchemy import update

    from bot.clock import utcnow
    from bot.db.models import Feed
    from tests.test_subscriber_support import db_of

    async with bot as app:
        async with db_of(app).write() as session:
            await session.execute(
                update(Feed)
                .where(Feed.id == 1)
                .values(last_error="could not resolve host feeds.bbci.co.uk", last_error_at=utcnow())
            )
        reply = await say(fake_telegram, "/feed 1", chat_id=ADMIN_ID)
    assert "اسم النطاق غير موجود" in reply
    assert "ليس خلاصة" not in reply


# A story shared from inline mode into an Arabic chat: its source line ("BBC عربي · ٢ يوليو ٢٠١٨")
# and a title starting with a Latin word were laid out left-to-right, as Telegram takes a line's
# direction from its first letter; the bot's own cards and /search mark such lines right-to-left.
async def test_a_story_shared_inline_reads_right_to_left_in_arabic(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from tests.test_subscriber_support import add_story, db_of

    async with bot as app:
        await add_story(db_of(app), "The Voice: متسابقة سورية تنسحب", ["انسحبت المتسابقة."], feed="BBC عربي")
        update = await fake_telegram.inline_query("متسابقة", user_id=USER_ID)
        answer = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"], timeout=10)
        update = await fake_telegram.inline_query("متسابقة", user_id=USER_ID + 5, language_code="en")
        english = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"], timeout=10)
    title, meta = answer["results"][0]["input_message_content"]["message_text"].split("\n")[:2]
    assert title.startswith(RLM + "<a href=") and meta.startswith(RLM + "BBC عربي · ")
    assert RLM not in english["results"][0]["input_message_content"]["message_text"]


# An English user typing "@bot syria" (or "/search syria") got "No stories for “syria”", though the
# bot offers them the topic as «Syria» and answers "syria" in its chat with the Syria stories.
async def test_an_english_user_finds_a_topic_by_its_english_name_inline_and_with_search(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from tests.test_subscriber_support import add_story, db_of

    async with bot as app:
        await add_story(db_of(app), "اجتماع في سوريا حول اللاجئين", ["عقد في سوريا اجتماع."])
        await say(fake_telegram, "/start", lang="en")
        update = await fake_telegram.inline_query("syria", user_id=USER_ID, language_code="en")
        answer = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"], timeout=10)
        found = await say(fake_telegram, "/search Syria", lang="en")
    assert [r["title"] for r in answer["results"]] == ["اجتماع في سوريا حول اللاجئين"]
    assert found.startswith("🔎 Results for “Syria” (stories found: 1)")


# An inline search that found nothing offers a button to the bot's chat; tapping it sent
# "/start search", which only repeated the general welcome, and a long query was quoted on the
# button cut mid-word with no sign that it was cut.
async def test_the_button_under_an_empty_inline_answer_leads_to_a_search(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from tests.test_subscriber_support import add_story, db_of

    long_query = "اجتماعات المجلس الوطني للمراجعة الدستورية"
    async with bot as app:
        await add_story(db_of(app), "ارتفاع أسعار النفط", ["ارتفعت أسعار النفط."])
        update = await fake_telegram.inline_query(long_query, user_id=USER_ID)
        answer = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"], timeout=10)
        landing = await say(fake_telegram, "/start " + answer["button"]["start_parameter"])
        english = await say(fake_telegram, "/start search", chat_id=USER_ID + 1, lang="en")
    assert answer["results"] == []
    assert answer["button"]["text"].startswith("لا أخبار عن «اجتماعات") and answer["button"]["text"].endswith(
        "…»"
    )
    assert landing.startswith("اكتب هنا ما تبحث عنه") and "/subscribe" in landing
    assert english.startswith("Type what you are looking for here")


# "/addfeed قناة العربية https://…" (the name first, as one says it) was refused as "not a valid
# link: قناة", though the link was right there.
async def test_addfeed_with_the_name_before_the_link(
    bot: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("arabiya", feed_server.stories[:3], title="Al Arabiya")
    async with bot:
        reply = await say(fake_telegram, f"/addfeed قناة العربية {url} 5m", chat_id=ADMIN_ID)
        listed = await say(fake_telegram, "/feeds", chat_id=ADMIN_ID)
    assert reply.startswith("✅ أُضيف المصدر قناة العربية (رقم 3)، ويُفحص كل ٥ دقائق")
    assert "قناة العربية (رقم 3)" in listed


# "/addfeed URL ١٠ دقائق" read "١٠" as ten seconds and named the feed «دقائق»; the interval is
# understood as written, in Arabic or English words.
@pytest.mark.parametrize(
    ("written", "every", "name"),
    [
        ("١٠ دقائق", "كل ١٠ دقائق", "Al Arabiya"),
        ("ساعتين العربية", "كل ساعتين", "العربية"),
        ("15 minutes", "كل ١٥ دقيقة", "Al Arabiya"),
        # A unit alone is one of it: «ساعة» was taken for the feed's name, checked every 10 minutes.
        ("ساعة", "كل ساعة واحدة", "Al Arabiya"),
        ("كل ساعة العربية", "كل ساعة واحدة", "العربية"),
        ("every hour", "كل ساعة واحدة", "Al Arabiya"),
    ],
)
async def test_addfeed_understands_an_interval_written_in_words(
    written: str, every: str, name: str, bot: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("arabiya", feed_server.stories[:3], title="Al Arabiya")
    async with bot:
        reply = await say(fake_telegram, f"/addfeed {url} {written}", chat_id=ADMIN_ID)
    assert reply.lstrip(RLM).startswith(f"✅ أُضيف المصدر {name} (رقم 3)، ويُفحص {every}.")


@pytest.mark.parametrize("written", ["-5", "365d", "0"])
async def test_addfeed_refuses_an_interval_it_cannot_keep_and_adds_nothing(
    written: str, bot: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    """ "-5" became the feed's name; 365d was kept as «كل ٨٧٦٠ ساعة»."""
    url = feed_server.add_feed("arabiya", feed_server.stories[:3], title="Al Arabiya")
    async with bot:
        reply = await say(fake_telegram, f"/addfeed {url} {written}", chat_id=ADMIN_ID)
    assert reply.startswith(f"⚠️ لم أفهم المدة «{written}»") and "أسبوع" in reply
    assert feed_server.requests("arabiya") == []


# An OPML file saved by Windows Notepad in its Arabic "ANSI" code page, with no encoding declared,
# was refused as "not a valid file" though every feed in it was readable.
async def test_an_opml_file_in_the_windows_arabic_code_page_is_imported(
    bot: Any, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    url = feed_server.add_feed("arabiya", feed_server.stories[:3], title="Al Arabiya")
    opml = f'<opml version="2.0"><body><outline text="العربية" xmlUrl="{url}"/></body></opml>'
    async with bot:
        await fake_telegram.document(ADMIN_ID, "feeds.opml", opml.encode("cp1256"))
        started, report = await fake_telegram.wait_for_messages(ADMIN_ID, count=2, timeout=15)
    assert "عددها: ١" in started["plain_text"]
    assert "أُضيف ١" in report["plain_text"] and "• العربية (3)" in report["plain_text"]


# /help in an admin's chat listed the subscriber commands only: an admin who forgot "/pausefeed"
# had to find it in the menu. Members of a group, and other users, still see no admin commands.
async def test_help_lists_the_admin_commands_for_an_admin_in_private(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    group = -100999
    async with bot:
        admin = await say(fake_telegram, "/help", chat_id=ADMIN_ID)
        admin_en = await say(fake_telegram, "/help", chat_id=ADMIN_ID, lang="en")
        user = await say(fake_telegram, "/help")
        [in_group] = await fake_telegram.converse(group, "/help", user_id=ADMIN_ID, timeout=10)
    assert "أوامر المشرفين" in admin and all(f"/{c}" in admin for c in ("addfeed", "pausefeed", "broadcast"))
    assert f"{RLM}/addfeed — إضافة مصدر" in admin
    assert "Admin commands" in admin_en and "/removefeed" in admin_en
    assert "/addfeed" not in user and "/addfeed" not in in_group["plain_text"]


# Inline mode ("@bot word" in any chat) was mentioned nowhere in the bot: /help listed the chat
# commands only, so a user never learnt they could search and share stories from their other chats.
async def test_help_tells_about_inline_mode(bot: Any, fake_telegram: FakeTelegram) -> None:
    username = fake_telegram.bot_user["username"]
    async with bot:
        arabic = await say(fake_telegram, "/help")
        english = await say(fake_telegram, "/help", chat_id=USER_ID + 1, lang="en")
    assert f"وفي أي محادثة أخرى اكتب \u200e@{username}\u200e ثم كلمة" in arabic
    assert f"type @{username} and a word" in english


# A feed number too large for the database ("/feed 99999999999999999999", a pasted chat id or a
# typo) answered "something went wrong" instead of "no feed with that number".
@pytest.mark.parametrize("command", ["/feed", "/pausefeed", "/resumefeed", "/removefeed"])
async def test_a_feed_number_beyond_any_id_is_simply_not_found(
    command: str, bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        reply = await say(fake_telegram, f"{command} #99999999999999999999", chat_id=ADMIN_ID)
    assert reply.startswith("⚠️ لا يوجد مصدر بهذا الرقم أو الاسم: #99999999999999999999")


# In a group a bare "/stats" goes to every bot there, often as another bot's command: each member who
# sent one got "Sorry, this command is for admins only" from this bot too. Named ("/stats@bot"), or
# in a private chat, the refusal stays.
async def test_a_member_sending_a_bare_admin_command_in_a_group_is_not_answered(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    group = -100777
    username = fake_telegram.bot_user["username"]
    async with bot:
        await fake_telegram.user_message(group, "/stats", user_id=USER_ID)
        [named] = await fake_telegram.converse(group, f"/stats@{username}", user_id=USER_ID, timeout=10)
        private = await say(fake_telegram, "/stats")
    assert named["plain_text"] == "عذرًا، هذا الأمر للمشرفين فقط."
    assert len(fake_telegram.sent_messages(group)) == 1
    assert private == "عذرًا، هذا الأمر للمشرفين فقط."


# A story stored without a title (a feed item with none) went out as an inline result with an empty
# title, which Telegram refuses, failing the whole answer, and shared as an empty, invisible link.
async def test_an_untitled_story_gets_a_title_in_inline_results(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    from tests.test_subscriber_support import add_story, db_of

    async with bot as app:
        await add_story(db_of(app), "", ["ارتفعت أسعار النفط في الأسواق اليوم."])
        update = await fake_telegram.inline_query("", user_id=USER_ID)
        answer = await fake_telegram.wait_for_inline_answer(update["inline_query"]["id"], timeout=10)
    [result] = answer["results"]
    assert result["title"] == "ارتفعت أسعار النفط في الأسواق اليوم."
    assert (
        "<b>ارتفعت أسعار النفط في الأسواق اليوم.</b></a>" in result["input_message_content"]["message_text"]
    )


# An OPML entry whose address cannot be a feed ("http://intranet/rss") was listed in the import
# report as "• None — ⚠️ That is not a valid link: " with neither the address nor anything after it.
async def test_the_import_report_names_an_invalid_address(bot: Any, fake_telegram: FakeTelegram) -> None:
    opml = b'<opml version="2.0"><body><outline text="x" xmlUrl="http://intranet/rss"/></body></opml>'
    async with bot:
        await fake_telegram.document(ADMIN_ID, "feeds.opml", opml)
        _, report = await fake_telegram.wait_for_messages(ADMIN_ID, count=2, timeout=15)
    assert "None" not in report["plain_text"]
    assert "• x (http://intranet/rss) — ليس عنوانًا صالحًا" in report["plain_text"]
