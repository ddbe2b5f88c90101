"""/search and inline mode end to end: the real Application against the fake Telegram server."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.db.database import open_database
from bot.services import services
from tests.helpers import USER_ID
from tests.test_search import REFUGEES, fixture_records, load_stories


@pytest.fixture
async def stored(tmp_path: Path) -> None:
    """The fixture stories in the database the bot will open (make_config's tmp SQLite)."""
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}")
    try:
        await load_stories(db)
    finally:
        await db.close()


def buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {b["text"]: b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row}


async def test_search_pages_through_results(stored: None, bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, "/search اللاجئين")
        assert "نتائج البحث عن «اللاجئين» (عدد الأخبار: ٧)" in reply["plain_text"]
        assert "<b>اللاجئين</b>" in reply["text"] or "<b>اللاجئون</b>" in reply["text"]
        assert "١." in reply["plain_text"] and "٥." in reply["plain_text"] and "٦." not in reply["plain_text"]
        assert "الصفحة ١ من ٢" in reply["plain_text"]
        keys = buttons(reply)
        assert list(keys) == ["التالي ←"]
        data = keys["التالي ←"]
        assert data.startswith("search:") and len(data.encode()) <= 64

        await fake_telegram.callback_query(USER_ID, reply["message_id"], data)
        await fake_telegram.wait_for("editMessageText")
        page2 = fake_telegram.message(USER_ID, reply["message_id"])
        assert "٦." in page2["plain_text"] and "٧." in page2["plain_text"] and "١." not in page2["plain_text"]
        assert "الصفحة ٢ من ٢" in page2["plain_text"]
        assert list(buttons(page2)) == ["→ السابق"]

        await fake_telegram.callback_query(USER_ID, reply["message_id"], buttons(page2)["→ السابق"])
        await fake_telegram.wait_for("editMessageText", lambda params: "١." in params["text"])
        again = fake_telegram.message(USER_ID, reply["message_id"])
        assert "١." in again["plain_text"] and "٦." not in again["plain_text"]


async def test_long_query_pages_via_stored_id(stored: None, bot_factory: Any, fake_telegram: Any) -> None:
    query = "لاجئ " + " ".join(["اللاجئون"] * 40)  # far more than 64 bytes
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, f"/search {query}")
        data = buttons(reply)["التالي ←"]
        assert len(data.encode()) <= 64
        await fake_telegram.callback_query(USER_ID, reply["message_id"], data)
        await fake_telegram.wait_for("editMessageText")
        assert "٦." in fake_telegram.message(USER_ID, reply["message_id"])["plain_text"]


async def test_search_in_english(stored: None, bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, "/search سوريا", language_code="en")
        assert reply["plain_text"].startswith("🔎 Results for “سوريا” (stories found: 6)")
        assert "Next ›" in buttons(reply)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/search", "اكتب ما تبحث عنه بعد الأمر"),
        ("/search 🔥 في", "لم أجد في «🔥 في» كلمة أبحث بها"),
        ("/search كوكب المريخ", "لم أجد أخبارًا عن «كوكب المريخ»"),
        ('/search "NEAR(سوريا*', "نتائج البحث عن «&quot;NEAR(سوريا*»"),
        # Found searching a real archive: "no word to search for", when the reader typed one to leave out.
        ("/search -روسيا", "في «-روسيا» كلمات مستبعدة فقط"),
        ("/search NOT روسيا", "أضف كلمة تبحث عنها، مثل: /search سوريا -روسيا"),
    ],
)
async def test_search_explains_what_it_could_not_do(
    stored: None, bot_factory: Any, fake_telegram: Any, text: str, expected: str
) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, text)
        assert expected.replace("&quot;", '"') in reply["plain_text"]


async def test_the_arabic_search_examples_read_right_to_left(bot_factory: Any, fake_telegram: Any) -> None:
    # A line starting with "/search" would be laid out left to right, its Arabic word first.
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, "/search")
    examples = [line for line in reply["text"].split("\n") if "/search" in line]
    assert examples and all(line.startswith("\u200f") for line in examples)
    # The operators are shown, so a reader knows «-روسيا» leaves Russia out.
    assert any("سوريا -روسيا" in line for line in examples) and any("أو لبنان" in line for line in examples)


async def test_search_with_no_stories_stored(bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, "/search سوريا")
        assert "لا توجد أخبار محفوظة بعد" in reply["plain_text"]
        assert buttons(reply) == {}


async def test_stale_button_says_search_expired(stored: None, bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, "/search سوريا")
        update = await fake_telegram.callback_query(USER_ID, reply["message_id"], "search:999999:5")
        answer = await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        assert "انتهت صلاحية هذا البحث" in answer["text"]


async def test_an_old_button_whose_search_expired_does_not_page_through_another_query(
    stored: None, bot_factory: Any, fake_telegram: Any
) -> None:
    """A month on, the query behind an old page button has been dropped and its id given to
    someone else's search: the old button says its search expired, it does not show the other."""
    from sqlalchemy import delete, update

    from bot.search.models import SearchQuery

    async with bot_factory() as app:
        db = services(app).db
        [refugees] = await fake_telegram.converse(USER_ID, "/search اللاجئين")
        old_button = buttons(refugees)["التالي ←"]
        old_id = int(old_button.split(":")[1])
        [syria] = await fake_telegram.converse(USER_ID + 1, "/search سوريا")
        syria_button = buttons(syria)["التالي ←"].split(":")
        syria_id = int(syria_button[1])
        async with db.write() as session:  # what retention and SQLite's id reuse come to
            await session.execute(delete(SearchQuery).where(SearchQuery.id == old_id))
            await session.execute(update(SearchQuery).where(SearchQuery.id == syria_id).values(id=old_id))
        update_ = await fake_telegram.callback_query(USER_ID, refugees["message_id"], old_button)
        answer = await fake_telegram.wait_for_callback_answer(update_["callback_query"]["id"])
        assert "انتهت صلاحية هذا البحث" in answer["text"]
        assert "اللاجئين" in fake_telegram.message(USER_ID, refugees["message_id"])["plain_text"]

        # The other reader's own button, whose query now has that id, still pages.
        syria_button[1] = str(old_id)
        await fake_telegram.callback_query(USER_ID + 1, syria["message_id"], ":".join(syria_button))
        await fake_telegram.wait_for("editMessageText")
        assert "٦." in fake_telegram.message(USER_ID + 1, syria["message_id"])["plain_text"]


async def inline(fake: Any, query: str, **kwargs: Any) -> dict[str, Any]:
    update = await fake.inline_query(query, **kwargs)
    return await fake.wait_for_inline_answer(update["inline_query"]["id"])  # type: ignore[no-any-return]


async def test_inline_query_returns_articles_with_offsets(
    stored: None, bot_factory: Any, fake_telegram: Any
) -> None:
    async with bot_factory():
        answer = await inline(fake_telegram, "لاجئ")
        results = answer["results"]
        assert len(results) == len(REFUGEES)
        assert answer.get("next_offset", "") == ""
        first = results[0]
        assert first["type"] == "article" and first["url"].startswith("http")
        content = first["input_message_content"]
        assert content["parse_mode"] == "HTML"
        assert content["message_text"].startswith('<a href="http')
        assert first["description"]

        # Empty query: the newest stories, 50 a page at most; the fixture has 20.
        latest = await inline(fake_telegram, "")
        assert len(latest["results"]) == 20
        newest = max(fixture_records(), key=lambda r: parsedate_to_datetime(r["time"]))
        assert latest["results"][0]["title"] == newest["title"][:200]


async def test_inline_pages_of_fifty(tmp_path: Path, bot_factory: Any, fake_telegram: Any) -> None:
    records = [
        {
            "id": f"r{i}",
            "url": f"https://example.com/{i}",
            "title": f"عودة اللاجئين رقم {i}",
            "source": "test",
            "time": "Mon, 02 Jul 2018 10:00:00 +0000",
            "text": "نص عن اللاجئين.",
        }
        for i in range(60)
    ]
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'akhbar.sqlite3'}")
    try:
        await load_stories(db, records)
    finally:
        await db.close()
    async with bot_factory():
        first = await inline(fake_telegram, "اللاجئين")
        assert len(first["results"]) == 50 and first["next_offset"] == "50"
        second = await inline(fake_telegram, "اللاجئين", offset="50")
        assert len(second["results"]) == 10 and second.get("next_offset", "") == ""
        ids = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
        assert len(ids) == 60


@pytest.mark.parametrize(
    ("query", "lang", "note"),
    [
        ("🔥", "ar", "اكتب كلمة للبحث في الأخبار"),
        ("كوكب المريخ", "ar", "لا أخبار عن «كوكب المريخ»"),
        ("كوكب", "en", "No stories for “كوكب”"),
    ],
)
async def test_inline_says_why_nothing_came_back(
    stored: None, bot_factory: Any, fake_telegram: Any, query: str, lang: str, note: str
) -> None:
    async with bot_factory():
        answer = await inline(fake_telegram, query, language_code=lang)
        assert answer["results"] == []
        assert answer["button"]["text"] == note


async def test_inline_with_no_stories_stored(bot_factory: Any, fake_telegram: Any) -> None:
    async with bot_factory():
        answer = await inline(fake_telegram, "")
        assert answer["results"] == [] and answer["button"]["text"] == "لا توجد أخبار محفوظة بعد"


async def test_search_message_shows_a_readable_result(
    stored: None, bot_factory: Any, fake_telegram: Any
) -> None:
    async with bot_factory():
        [reply] = await fake_telegram.converse(USER_ID, "/search السورية")
    print(reply["text"])
    first_block = reply["text"].split("\n\n")[1]
    title_line, meta_line, snippet = first_block.split("\n")
    assert title_line.startswith('١. <a href="http') and "<b>" in title_line
    assert " · " in meta_line and "٢٠١٨" in meta_line
    assert "<b>" in snippet


async def test_an_inline_result_describes_itself_by_the_sentence_that_matched(
    bot_factory: Any, fake_telegram: Any
) -> None:
    """Found searching a real archive: a story that mentions Syria far down was listed under its
    lead about food delivery in Kuwait, and looked like a wrong result; /search shows the sentence
    that matched."""
    record = {
        "id": "QA-inline-1",
        "url": "https://example.org/kuwait-delivery",
        "title": "هل يلهم أبطال خدمات التوصيل في الكويت غيرهم؟",
        "source": "سكاي نيوز عربية",
        "time": "Mon, 05 Mar 2018 10:00:00 +0000",
        "abstract": "انتشرت خدمات توصيل الطعام في الكويت خلال الأعوام الأخيرة.",
        "text": "انتشرت خدمات توصيل الطعام في الكويت خلال الأعوام الأخيرة. "
        "ويعمل في القطاع آلاف الشبان. وبدأ أحد مؤسسي الشركة عمله بعد أن غادر سوريا قبل سنوات.",
    }
    async with bot_factory() as app:
        await load_stories(services(app).db, [record])  # the bot's own database, SQLite or PostgreSQL
        answer = await inline(fake_telegram, "سوريا")
    [result] = answer["results"]
    assert "غادر سوريا" in result["description"]
