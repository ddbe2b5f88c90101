"""What /follow tells a reader about a word that will bring them little or too much, end to end.

A follow of Latin words Arabic news does not write («Saudi crown prince», «NYT») was promised
"You will get stories that mention …" and then matched none of 25,822 ANT stories; a follow of «قال»
(in half of all stories, about 70 a day) got the same plain confirmation. Now the reply says so, in
the same message, and the follow is kept either way.

A phrase's flood is what the phrase brings, not every story with its words somewhere: «قال الرئيس»
has both words in 27 of every 100 ANT stories, together in 5, and warns of nothing.

The flood check (bot.subscribers.follow_checks.flood), SQLite with FTS5, on a shared 2-core machine,
median of 5 runs (the phrases' analysed stories forgotten before each), in two runs:
* the whole ANT archive, its dates shifted to end now (25,822 stories, the last 7 days 493): «قال»
  19 ms, «الحكومة» 14, «ترامب» 12, «النفط» 7, «Saudi crown prince» 4; phrases whose bag floods
  (50 stories analysed) «قال الرئيس» 104, «العام الماضي» 101, «الرئيس الأمريكي» 111 ms.
* a busy week: ANT three times over, published over 7.5 days (10,300 stories a day, 72,295 in the
  window): single words 34-102 ms (the week's count 35-65 ms, the words' count 12-43 ms); phrases
  «قال الرئيس» 124-167 ms, «العام الماضي» 164-170, «الرئيس الأمريكي» 166, «الولايات المتحدة»
  163-169, the slowest single run 305 ms; a fresh process's first phrase 234-291 ms (the analyzer's
  word cache cold, as a running bot's is not). Counting every story of «قال الرئيس» there instead
  would read 19,206 stories: 36.6 s.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.subscribers import follow_checks
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import USER_ID
from tests.test_subscriber_support import SECTIONS, add_story, db_of, no_background_jobs

LATIN = re.compile(r"[A-Za-z]")
GROUP = -1001234567892
GROUP_ADMIN = 3002


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**SECTIONS)


async def said(fake: FakeTelegram, text: str, *, chat_id: int = USER_ID, lang: str = "ar", **kw: Any) -> str:
    [reply] = await fake.converse(chat_id, text, language_code=lang, timeout=10, **kw)
    return str(reply["plain_text"])


async def one_reply(
    fake: FakeTelegram, text: str, *, chat_id: int = USER_ID, lang: str = "ar", **kw: Any
) -> str:
    """The reply to `text`, checked to be its only message (the next command's reply comes next)."""
    before = len(fake.sent_messages(chat_id))
    reply = await said(fake, text, chat_id=chat_id, lang=lang, **kw)
    await said(fake, "/help", chat_id=chat_id, lang=lang, **kw)
    assert len(fake.sent_messages(chat_id)) == before + 2
    return reply


async def week_of_news(app: Any, *, with_word: int, without: int, age: timedelta = timedelta(0)) -> None:
    """Stories spread over the last 6.5 days (before `age`): `with_word` of them say «قال», one in
    ten is about oil."""
    for i in range(with_word + without):
        said_it = "قال الوزير إن" if i < with_word else "أعلن الوزير أن"
        about = "النفط" if i % 10 == 0 else "الاجتماع"
        title = f"{said_it} {about} رقم {i} انتهى"
        await add_story(db_of(app), title, [title + "."], age=age + timedelta(hours=4 * i))


# ---------------------------------------------------------------- Latin words


async def test_an_english_follow_of_unread_latin_words_is_kept_and_says_they_are_rare(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start", lang="en")
        reply = await one_reply(fake_telegram, "/follow Saudi crown prince", lang="en")
        assert reply.startswith("You will get stories that mention «Saudi crown prince», from every source.")
        # «Saudi» is read as السعودية; the other two are what no Arabic story writes.
        assert "Arabic stories rarely write «crown», «prince» in Latin letters" in reply
        assert "«Saudi»" not in reply
        assert "Write it in Arabic letters" in reply
        assert "Saudi crown prince" in await said(fake_telegram, "/mysubs", lang="en")


async def test_an_arabic_reader_is_told_in_arabic(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot:
        await said(fake_telegram, "/start")
        reply = await one_reply(fake_telegram, "/follow NYT")
        assert reply.startswith("ستصلك الأخبار التي تذكر «NYT» من كل المصادر.")
        assert "الأخبار العربية قلّما تكتب «NYT» بالحروف اللاتينية" in reply
        assert not LATIN.search(reply.replace("NYT", ""))


@pytest.mark.parametrize("word", ["Trump", "Syria", "ترامب", "F-16", "Facebook", "iPhone"])
async def test_a_word_read_as_arabic_gets_the_plain_confirmation(
    bot: Any, fake_telegram: FakeTelegram, word: str
) -> None:
    # english.txt reads Trump as ترامب; F-16 also finds إف-16.
    async with bot:
        await said(fake_telegram, "/start", lang="en")
        reply = await one_reply(fake_telegram, f"/follow {word}", lang="en")
        assert reply == f"You will get stories that mention «{word}», from every source."


async def test_following_a_latin_word_again_still_says_why_nothing_came(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot:
        await said(fake_telegram, "/start", lang="en")
        await said(fake_telegram, "/follow Lenovo", lang="en")
        reply = await one_reply(fake_telegram, "/follow lenovo", lang="en")
        assert reply.startswith("You already follow «Lenovo».")
        assert "rarely write «Lenovo» in Latin letters" in reply


# ---------------------------------------------------------------- words in much of the news


async def test_a_word_in_much_of_the_news_warns_of_a_flood_in_arabic_digits(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await said(fake_telegram, "/start")
        await week_of_news(app, with_word=24, without=16)
        reply = await one_reply(fake_telegram, "/follow قال")
        # 24 of 40 stories, over the 6.5 days they span.
        assert reply == (
            "ستصلك الأخبار التي تذكر «قال» من كل المصادر.\n\n"
            "تنبيه: «قال» ترد في نحو ٦٠ من كل ١٠٠ خبر (نحو ٤ في اليوم)، فستصلك أخبار كثيرة. "
            "لأخبار أقل تابع كلمة أدق، وأوقف متابعة هذه بالأمر /unfollow قال"
        )
        # A word in a few of them (4 of 40) is followed without a word of warning.
        assert (
            await one_reply(fake_telegram, "/follow النفط")
            == "ستصلك الأخبار التي تذكر «النفط» من كل المصادر."
        )


async def test_an_english_reader_is_told_of_the_flood_in_english(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await said(fake_telegram, "/start", lang="en")
        await week_of_news(app, with_word=24, without=16)
        reply = await one_reply(fake_telegram, "/follow قال", lang="en")
        assert (
            "«قال» appears in about 60 of every 100 stories (about 4 a day), so you will get many." in reply
        )
        assert "/unfollow قال" in reply


async def test_a_group_is_told_the_news_will_flood_the_chat(bot: Any, fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP, "supergroup", title="مجموعة الأخبار")
    fake_telegram.set_chat_admins(GROUP, [GROUP_ADMIN])
    async with bot as app:
        await week_of_news(app, with_word=24, without=16)
        reply = await said(fake_telegram, "/follow قال", chat_id=GROUP, user_id=GROUP_ADMIN)
        assert "فستصل إلى هذه المحادثة أخبار كثيرة" in reply


async def test_a_few_stories_or_old_ones_warn_of_nothing(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot as app:
        await said(fake_telegram, "/start")
        # A new bot's ten stories, all with the word: too few to tell anything.
        await week_of_news(app, with_word=10, without=0)
        assert await one_reply(fake_telegram, "/follow قال") == "ستصلك الأخبار التي تذكر «قال» من كل المصادر."
        await said(fake_telegram, "/unfollow قال")
        # The week's news: 40 stories without it, 30 older ones with it.
        await week_of_news(app, with_word=0, without=40)
        for i in range(30):
            title = f"قال المتحدث في البيان القديم {i}"
            await add_story(db_of(app), title, [title + "."], age=timedelta(days=10, hours=i))
        assert await one_reply(fake_telegram, "/follow قال") == "ستصلك الأخبار التي تذكر «قال» من كل المصادر."


async def test_a_failing_count_still_confirms_the_follow(
    bot: Any, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT count(*)", {}, Exception("database is locked"))

    monkeypatch.setattr(follow_checks, "search", broken)
    async with bot as app:
        await said(fake_telegram, "/start")
        await week_of_news(app, with_word=24, without=16)
        assert await one_reply(fake_telegram, "/follow قال") == "ستصلك الأخبار التي تذكر «قال» من كل المصادر."
        assert "قال" in await said(fake_telegram, "/mysubs")


# ---------------------------------------------------------------- phrases

PHRASE_NOTE = (
    "تُقرأ «قال الرئيس» عبارةً: كلماتها متقاربة في الخبر، لا متفرقة فيه. ولأخبار كل كلمة منها "
    "أينما وردت تابعها وحدها."
)


async def phrase_news(app: Any, kinds: str, *, spacing: timedelta = timedelta(hours=2.5)) -> None:
    """One story per letter of `kinds`, stored oldest first (as a poller stores them), `spacing`
    apart and the last one now: T has «قال الرئيس» together, A has both words far apart (what a
    bag of words counts and the phrase does not bring), N has neither."""
    titles = {
        "T": "قال الرئيس إن الاجتماع رقم {} انتهى",
        "A": "قال المتحدث إن الاجتماع رقم {} انتهى وحضره الرئيس بعد ساعات طويلة",
        "N": "أعلن الوزير أن الاجتماع رقم {} انتهى",
    }
    for i, kind in enumerate(kinds):
        title = titles[kind].format(i)
        await add_story(db_of(app), title, [title + "."], age=spacing * (len(kinds) - 1 - i))


async def test_a_phrase_of_common_words_seldom_together_warns_of_nothing(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await said(fake_telegram, "/start")
        # Both words are in 32 of 40 stories, together in 2: the phrase brings two stories a week.
        await phrase_news(app, "T" + "A" * 15 + "N" * 8 + "A" * 15 + "T")
        assert await one_reply(fake_telegram, "/follow قال الرئيس") == (
            f"ستصلك الأخبار التي تذكر «قال الرئيس» من كل المصادر.\n\n{PHRASE_NOTE}"
        )
        # Each word on its own is the flood the bag counted.
        assert "تنبيه: «قال» ترد في نحو ٨٠ من كل ١٠٠ خبر" in await one_reply(fake_telegram, "/follow قال")


async def test_a_phrase_in_much_of_the_news_warns_with_the_phrase_share(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        await said(fake_telegram, "/start")
        # 60 stories over 6.1 days: 42 with both words (70 of 100), 24 with them together (40 of
        # 100, about 4 a day: the bag would say 7).
        await phrase_news(app, "TAN" * 18 + "T" * 6)
        assert await one_reply(fake_telegram, "/follow قال الرئيس") == (
            f"ستصلك الأخبار التي تذكر «قال الرئيس» من كل المصادر.\n\n{PHRASE_NOTE}\n\n"
            "تنبيه: «قال الرئيس» ترد في نحو ٤٠ من كل ١٠٠ خبر (نحو ٤ في اليوم)، فستصلك أخبار كثيرة. "
            "لأخبار أقل تابع كلمة أدق، وأوقف متابعة هذه بالأمر /unfollow قال الرئيس"
        )


async def test_a_busy_week_reads_the_latest_stories_of_the_phrase_words(
    bot: Any, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a week of thousands of stories with both words: only the most recently stored
    # PHRASE_SAMPLE of them are read, and their share of the phrase scaled to all of them.
    monkeypatch.setattr(follow_checks, "PHRASE_SAMPLE", 10)
    async with bot as app:
        await said(fake_telegram, "/start")
        # 40 stories with both words, 30 of them together; of the newest 10, 5 are. So the phrase is
        # taken to be in about half of the 40: 20 of 60 stories (an exact count would say 30).
        await phrase_news(app, "T" * 25 + "N" * 20 + "A" * 5 + "TA" * 5)
        reply = await one_reply(fake_telegram, "/follow قال الرئيس")
        assert "«قال الرئيس» ترد في نحو ٣٣ من كل ١٠٠ خبر (نحو ٣ في اليوم)" in reply


async def test_a_failing_phrase_count_still_confirms_the_follow(
    bot: Any, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bag is counted; listing its stories then fails in the database (a syntax error there).
    monkeypatch.setattr(follow_checks, "match_expression", lambda groups: "&")
    monkeypatch.setattr(follow_checks, "tsquery_expression", lambda groups: "&")
    async with bot as app:
        await said(fake_telegram, "/start")
        await phrase_news(app, "TAN" * 18 + "T" * 6)
        assert await one_reply(fake_telegram, "/follow قال الرئيس") == (
            f"ستصلك الأخبار التي تذكر «قال الرئيس» من كل المصادر.\n\n{PHRASE_NOTE}"
        )
        assert "قال الرئيس" in await said(fake_telegram, "/mysubs")
