"""What users see under Telegram's real limits — hundreds of sources, 200-character names, long
links, sentences of thousands of characters — and the same layout everywhere: direction marks only
in Arabic, one way of cutting text, one pager row, the cards' digits on /settings.

The real Application against the fake Bot API, which refuses what Telegram refuses (4,096 visible
characters, 200-character button answers, 100 buttons a keyboard, unbalanced HTML).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import utcnow
from bot.db.models import Feed, Story, Subscription
from bot.delivery.format import render_digest, render_story
from bot.feeds.identity import normalize_url
from bot.i18n import RLM
from tests.fakes.telegram_api import FakeTelegram, parse_html, utf16_len
from tests.helpers import ADMIN_ID, USER_ID
from tests.test_subscriber_support import SECTIONS, add_story, db_of, feed_id, no_background_jobs

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LONG_FEED = " ".join(["وكالة الأنباء العربية المستقلة للأخبار العاجلة"] * 5)[:200].strip()
LONG_TOPIC = " ".join(["موضوع الشؤون الإقليمية والدولية"] * 8)[:200].strip()
NEXT_AR, PREV_AR = "التالي ←", "→ السابق"
NEXT_EN, PREV_EN = "Next ›", "‹ Previous"


@pytest.fixture
def quiet_bot(bot_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """bot_factory with no feed polling (the stories are put in the database here)."""
    no_background_jobs(monkeypatch)
    return bot_factory


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message["reply_markup"] or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


def _button(message: dict[str, Any], contains: str) -> dict[str, Any]:
    [found] = [b for b in _buttons(message) if contains in b["text"]]
    return found


def _pager(message: dict[str, Any]) -> list[str]:
    """The texts of the row holding the page buttons, left to right as Telegram lays them out."""
    pagers = {NEXT_AR, PREV_AR, NEXT_EN, PREV_EN}
    rows = (message["reply_markup"] or {"inline_keyboard": []})["inline_keyboard"]
    return next(([b["text"] for b in row] for row in rows if {b["text"] for b in row} & pagers), [])


async def _press(fake: FakeTelegram, message: dict[str, Any], data: str, lang: str = "ar") -> dict[str, Any]:
    """Press a button; returns the bot's answer once the message is redrawn (a copy of the message
    as it is then, under the answer's "message": the fake edits its record in place)."""
    calls = len(fake.calls())
    update = await fake.callback_query(message["chat_id"], message["message_id"], data, language_code=lang)
    answer = await fake.wait_for_callback_answer(update["callback_query"]["id"])
    # A press redraws the message's text with its buttons (in the chat's language as it is now).
    await fake.wait_for("editMessageText", since=calls, timeout=5)
    return {**answer, "message": copy.deepcopy(fake.message(message["chat_id"], message["message_id"]))}


async def _all_pages(
    fake: FakeTelegram, message: dict[str, Any], next_text: str, lang: str = "ar"
) -> list[dict[str, Any]]:
    """The message as each of its pages shows it, turning pages with the "next" button."""
    pages = [copy.deepcopy(message)]
    while next_text in _pager(pages[-1]):
        turned = await _press(fake, pages[-1], _button(pages[-1], next_text)["callback_data"], lang)
        pages.append(turned["message"])
    return pages


async def _add_feeds(app: Any, names: list[str]) -> None:
    async with db_of(app).write() as session:
        for i, name in enumerate(names):
            session.add(Feed(url=f"https://f{i}.example/rss", name=name, origin="chat"))


# ---------------------------------------------------------------- 1. /mysubs


async def test_mysubs_after_subscribing_to_hundreds_of_sources_lists_every_one(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    names = [f"وكالة الأنباء العربية المستقلة للأخبار العاجلة والتقارير رقم {i}" for i in range(200)]
    async with quiet_bot(**SECTIONS) as app:
        await _add_feeds(app, names)
        # 200 subscriptions in one command: seconds of work on a loaded CI machine.
        await fake_telegram.converse(USER_ID, "/subscribe الكل", timeout=20)
        before, calls = len(fake_telegram.sent_messages(USER_ID)), len(fake_telegram.calls())
        await fake_telegram.user_message(USER_ID, "/mysubs")
        await fake_telegram.wait_for(
            "sendMessage", lambda p: "طريقة الاستلام" in str(p.get("text")), since=calls, timeout=10
        )
        parts = fake_telegram.sent_messages(USER_ID)[before:]
    assert len(parts) > 1 and parts[0]["plain_text"].startswith("اشتراكاتك")
    lines = {line for part in parts for line in part["plain_text"].split("\n")}
    assert all(f"• {name}" in lines for name in names)


# ---------------------------------------------------------------- 2. long names in button answers


@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_a_200_character_name_is_toggled_and_named_cut_in_the_answer(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram, lang: str
) -> None:
    topics = [*SECTIONS["topics"], {"name": LONG_TOPIC, "keywords": ["إقليمي"]}]
    async with quiet_bot(feeds=SECTIONS["feeds"], topics=topics) as app:
        await _add_feeds(app, [LONG_FEED])
        await fake_telegram.converse(USER_ID, "/start", language_code=lang)
        [menu] = await fake_telegram.converse(USER_ID, "/subscribe", language_code=lang)
        [topics_menu] = await fake_telegram.converse(USER_ID, "/topics", language_code=lang)
        pressed = [
            await _press(fake_telegram, menu, _button(menu, LONG_FEED[:30])["callback_data"], lang),
            await _press(
                fake_telegram, topics_menu, _button(topics_menu, LONG_TOPIC[:30])["callback_data"], lang
            ),
        ]
        [mine] = await fake_telegram.converse(USER_ID, "/unsubscribe", language_code=lang)
        pressed.append(
            await _press(fake_telegram, mine, _button(mine, LONG_FEED[:30])["callback_data"], lang)
        )
    for answer in pressed:
        assert len(answer["text"]) <= 200 and answer["text"].rstrip(".").endswith("…»")
    # The word before "…" is whole: the name is cut between words.
    cut = pressed[0]["text"].rstrip(".").removesuffix("…»").split("«")[1]
    assert LONG_FEED.startswith(cut) and LONG_FEED[len(cut)] == " "
    assert _button(pressed[0]["message"], LONG_FEED[:30])["text"].startswith("✓")
    assert _button(pressed[1]["message"], LONG_TOPIC[:30])["text"].startswith("✓")
    assert not any(LONG_FEED[:30] in b["text"] for b in _buttons(pressed[2]["message"]))


# ---------------------------------------------------------------- 3. /topics and /unsubscribe pages


async def test_topics_and_unsubscribe_page_through_every_item(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    many = [{"name": f"موضوع رقم {i}", "keywords": [f"كلمة{i}"]} for i in range(110)]
    names = [f"مصدر رقم {i}" for i in range(60)]
    async with quiet_bot(feeds=SECTIONS["feeds"], topics=[*SECTIONS["topics"], *many]) as app:
        await _add_feeds(app, names)
        [topics_menu] = await fake_telegram.converse(USER_ID, "/topics")
        topic_pages = await _all_pages(fake_telegram, topics_menu, NEXT_AR)
        # A topic pressed on a later page is toggled there, and that page is redrawn.
        [on_page] = [p for p in topic_pages[1:] if any(b["text"] == "موضوع رقم 50" for b in _buttons(p))]
        pressed = await _press(fake_telegram, on_page, _button(on_page, "موضوع رقم 50")["callback_data"])
        ids = [await feed_id(db_of(app), name) for name in names]
        async with db_of(app).write() as session:
            session.add_all(Subscription(chat_id=USER_ID, kind="feed", target=str(i)) for i in ids)
        [mine] = await fake_telegram.converse(USER_ID, "/unsubscribe")
        unsubscribe_pages = await _all_pages(fake_telegram, mine, NEXT_AR)
    assert all(len(_buttons(page)) <= 100 for page in topic_pages + unsubscribe_pages)
    topics_shown = {b["text"] for page in topic_pages for b in _buttons(page)}
    assert {t["name"] for t in many} <= topics_shown
    assert "✓ موضوع رقم 50" in {b["text"] for b in _buttons(pressed["message"])}
    assert _pager(pressed["message"]) == _pager(on_page)
    shown = {b["text"] for page in unsubscribe_pages for b in _buttons(page)}
    assert {f"✗ 📰 {name}" for name in names} <= shown


# ---------------------------------------------------------------- 4. and 5. cards: links and max_chars

HEADLINE = (
    "السودان قرار جمهوري بإعفاء وزير الخارجية من منصبه بعد تصريحات أمام البرلمان عن تأخر رواتب الدبلوماسيين"
)
SUMMARY = [
    "أصدر الرئيس السوداني عمر البشير قرارا جمهوريا بإعفاء وزير الخارجية إبراهيم غندور من منصبه، "
    "بعد أيام من تصريحات أدلى بها أمام البرلمان عن تأخر رواتب الدبلوماسيين.",
    "وقال غندور إن البعثات الدبلوماسية لم تتسلم رواتبها منذ سبعة أشهر، وإن عددا من السفارات مهدد بالإغلاق.",
    "ولم يذكر القرار سبب الإعفاء، كما لم يسم خلفا للوزير حتى الآن.",
]
OUTLETS = [
    ("سكاي نيوز عربية", "skynewsarabia"),
    ("سي إن إن", "cnn"),
    ("الشروق", "shorouknews"),
    ("المصري اليوم", "almasryalyoum"),
    ("الوطن", "elwatannews"),
    ("مصراوي", "masrawy"),
]


def _slug_url(host: str, n: int) -> str:
    """An Arabic headline in the address, percent-encoded as stored: about 600 characters."""
    return normalize_url(f"https://www.{host}.com/story/2024/5/1/{HEADLINE.replace(' ', '-')}/{n}")


def _shown(text_html: str) -> str:
    """The message as Telegram reads it, refused as Telegram would refuse it."""
    plain, _ = parse_html(text_html)
    assert utf16_len(plain) <= 4096
    return plain


def test_long_link_addresses_do_not_push_the_summary_out_of_a_card() -> None:
    story = Story(
        id=1,
        url=_slug_url("youm7", 6543210),
        title=HEADLINE,
        source="اليوم السابع",
        summary=SUMMARY,
        text="",
        published_at=NOW,
        fetched_at=NOW,
    )
    also = [(name, _slug_url(host, i)) for i, (name, host) in enumerate(OUTLETS)]
    card = render_story(story, lang="ar", tz="Asia/Riyadh", sentences=3, now=NOW, also=also)
    assert len(card.text_html) > 4096  # the addresses alone are longer than a message
    shown = _shown(card.text_html)
    assert all(sentence in shown for sentence in SUMMARY)
    assert shown.endswith(" · ".join(name for name, _ in OUTLETS))


LONG_SENTENCE = (
    "وقال المتحدث باسم الحكومة "
    + " ".join(["إن الوضع الاقتصادي يشهد تحسنا ملحوظا في مختلف القطاعات"] * 40)
    + "."
)
FIRST = "أعلنت الحكومة عن اتفاق بين الطرفين."
LAST = "وأضاف الوزير أن التنفيذ يبدأ الشهر المقبل."


def _summary_of(card_text: str) -> str:
    """A card's sentences: what follows its title and source lines."""
    return card_text.split("\n\n", 1)[1]


@pytest.mark.parametrize("expanded", [False, True])
@pytest.mark.parametrize("stored", [[FIRST], []])
def test_a_card_summary_never_runs_longer_than_max_chars(expanded: bool, stored: list[str]) -> None:
    story = Story(
        id=1,
        url="https://news.example/1",
        title="اتفاق",
        source="مصدر",
        summary=stored,
        text=" ".join(s for s in (FIRST, LONG_SENTENCE, LAST) if stored or s != FIRST),
        published_at=NOW,
        fetched_at=NOW,
    )
    card = render_story(story, lang="ar", tz="UTC", sentences=3, now=NOW, expanded=expanded, max_chars=1200)
    summary = _summary_of(_shown(card.text_html))
    assert len(summary) <= 1200
    if stored:  # whole sentences, as the stored summary is trimmed
        assert summary == FIRST
    else:  # a sentence longer than the limit on its own is cut between words
        assert summary.endswith("…") and LONG_SENTENCE.startswith(summary[:-1].rstrip())
    assert not card.has_more


async def test_latest_shows_cards_within_the_configured_max_chars(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with quiet_bot(**SECTIONS, summary={"max_chars": 300}) as app:
        db = db_of(app)
        await fake_telegram.converse(USER_ID, "/subscribe الجزيرة نت")
        async with db.write() as session:
            session.add(
                Story(
                    feed_id=await feed_id(db, "الجزيرة نت"),
                    entry_key="long",
                    url="https://news.example/long",
                    title="اتفاق",
                    source="الجزيرة نت",
                    published_at=utcnow() - timedelta(minutes=5),
                    fetched_at=utcnow() - timedelta(minutes=5),
                    text=LONG_SENTENCE,
                    summary=[],
                )
            )
        [card] = await fake_telegram.converse(USER_ID, "/latest")
    assert len(_summary_of(card["plain_text"])) <= 300


# ---------------------------------------------------------------- 6. direction marks


def test_only_arabic_messages_get_direction_marks() -> None:
    story = Story(
        id=1,
        url="https://news.example/1",
        title="BBC: talks resume in Geneva",
        source="BBC News",
        summary=["2024 talks resumed in Geneva on Monday.", "Both sides sent delegations."],
        text="",
        published_at=NOW,
        fetched_at=NOW,
    )
    english = render_story(story, lang="en", tz="UTC", sentences=2, now=NOW).text_html
    english_digest = render_digest([story], lang="en", tz="UTC", slot=NOW)
    assert RLM not in english and not any(RLM in part for part in english_digest)
    arabic = render_story(story, lang="ar", tz="UTC", sentences=2, now=NOW).text_html
    arabic_digest = render_digest([story], lang="ar", tz="UTC", slot=NOW)
    assert all(line.startswith(RLM) for line in arabic.split("\n") if line)
    assert f"{RLM}• " in arabic_digest[0]


# ---------------------------------------------------------------- 7. one way of cutting text

LONG_TITLE = " ".join(
    ["زلزال", "قوي", "يضرب", "المنطقة", "الساحلية", "ويخلف", "أضرارا", "كبيرة", "في", "المباني"] * 8
)


def _cut_between_words(shown: str, whole: str) -> bool:
    kept = shown.removesuffix("…")
    return shown.endswith("…") and whole.startswith(kept) and whole[len(kept)] == " "


async def test_titles_and_sentences_are_cut_between_words_everywhere(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    long_first = " ".join([FIRST.rstrip(".")] * 60) + "."
    async with quiet_bot(**SECTIONS) as app:
        db = db_of(app)
        await add_story(db, LONG_TITLE, [long_first, LAST])
        await add_story(db, "بركان يثور في الجزيرة", [FIRST, LAST], age=timedelta(hours=2))
        [found] = await fake_telegram.converse(USER_ID, "/search زلزال")
        asked = await fake_telegram.inline_query("زلزال", user_id=USER_ID)
        [result] = (await fake_telegram.wait_for_inline_answer(asked["inline_query"]["id"], timeout=10))[
            "results"
        ]
        asked = await fake_telegram.inline_query("بركان", user_id=USER_ID)
        [short] = (await fake_telegram.wait_for_inline_answer(asked["inline_query"]["id"], timeout=10))[
            "results"
        ]
    card = render_story(
        Story(id=1, title=LONG_TITLE, url="https://x.example", source="س", summary=[FIRST], text=""),
        lang="ar",
        tz="UTC",
        sentences=1,
    )
    card_title = _shown(card.text_html).split("\n")[0]
    assert _cut_between_words(card_title, LONG_TITLE)
    search_title = found["plain_text"].split("\n\n")[1].split("\n")[0].split(". ", 1)[1]
    shared = _shown(result["input_message_content"]["message_text"]).split("\n")
    assert search_title == result["title"] == shared[0] == card_title
    # The shared story's long first sentence is cut as a card cuts it.
    assert _cut_between_words(shared[-1], long_first)
    # Sentences a blank line apart, as on a card.
    assert _summary_of(short["input_message_content"]["message_text"]) == f"{FIRST}\n\n{LAST}"


# ---------------------------------------------------------------- 8. one pager row


@pytest.mark.parametrize(
    ("lang", "first", "middle"),
    [("ar", [NEXT_AR], [NEXT_AR, PREV_AR]), ("en", [NEXT_EN], [PREV_EN, NEXT_EN])],
)
async def test_subscribe_and_admin_lists_share_one_pager_row(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram, lang: str, first: list[str], middle: list[str]
) -> None:
    async with quiet_bot(**SECTIONS) as app:
        await _add_feeds(app, [f"مصدر رقم {i}" for i in range(25)])
        [menu] = await fake_telegram.converse(USER_ID, "/subscribe", language_code=lang)
        [feeds] = await fake_telegram.converse(ADMIN_ID, "/feeds", language_code=lang)
        feeds_first = _pager(feeds)
        subscribe_pages = await _all_pages(fake_telegram, menu, first[0], lang)
        update = await fake_telegram.callback_query(
            ADMIN_ID, feeds["message_id"], _button(feeds, first[0])["callback_data"], language_code=lang
        )
        await fake_telegram.wait_for_callback_answer(update["callback_query"]["id"])
        feeds_page = fake_telegram.message(ADMIN_ID, feeds["message_id"])
        assert feeds_page is not None
        feeds_second = _pager(feeds_page)
    assert _pager(subscribe_pages[0]) == feeds_first == first
    assert _pager(subscribe_pages[1]) == feeds_second == middle


# ---------------------------------------------------------------- 9. digits on /settings


async def test_settings_shows_numbers_and_times_in_the_cards_digits(
    quiet_bot: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    async with quiet_bot(**SECTIONS):
        [screen] = await fake_telegram.converse(USER_ID, "/settings")
        sentences = (await _press(fake_telegram, screen, "set:m:sent"))["message"]
        [english] = await fake_telegram.converse(USER_ID + 1, "/settings", language_code="en")
    assert "جمل الملخص: ٣" in screen["plain_text"]
    assert "أوقات الملخص: ٠٨:٠٠، ٢٠:٠٠" in screen["plain_text"]
    assert [b["text"] for b in _buttons(sentences)][:5] == ["١", "٢", "✓ ٣", "٤", "٥"]
    assert "Sentences per summary: 3" in english["plain_text"]
    assert "Digest times: 08:00, 20:00" in english["plain_text"]
