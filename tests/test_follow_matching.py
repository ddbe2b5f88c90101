"""What a subscriber who follows a word or a topic receives: the QA pass over the ANT corpus.

Following a phrase with «على» needed the name «علي» (the keyword was stored normalised, ى folded
into ي before the analyzer could read it: «هجوم على غزة» was «هجوم علي غزه»), 5.5 was stored «5 5»;
ألمانيا was ال + مانيا and met the footballer ساديو ماني, never «الألمانية»; فرنسا، الأرجنتين، الإمارات
... missed the stories that said only their adjective; اليمن met «اليمنى» (the right knee), قطر
«قطرات»، مصر «مُصرّة»، حلب «حلبة»، الدوري «دوريات»; صحة، النفط، مباراة missed الصحية، النفطية،
مباريات; the default topics brought every phone call (تقنية: هاتف) and every patrol (رياضة: دوري).

Sentences marked ANT are copied from the ANT corpus (Arabic news, February to July 2018; the story
id follows each); the others are written for these tests.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import Outbox, Story, Subscriber, Subscription
from bot.delivery import service as delivery
from bot.delivery.routing import route_new_stories
from bot.search.analyzer import matches, term_positions
from bot.search.models import SearchDoc
from bot.services import services
from bot.subscribers import service
from tests.fakes.telegram_api import FakeTelegram
from tests.test_routing import add_feed, add_story
from tests.test_search_quality import store, titles
from tests.test_subscriber_support import SECTIONS, no_background_jobs

CONFIG_TOPICS = tomllib.loads((Path(__file__).parents[1] / "config.toml").read_text(encoding="utf-8"))[
    "topics"
]

# ANT, AL-culture-374-20180516.
GAZA_BANNER = (
    "ممثلة لبنانية تصرخ من مهرجان كان: أوقفوا الهجوم على غزة",
    'قامت بطلة الفيلم الممثلة اللبنانية منال عيسى برفع لافتة كتبت عليها بخط يدها "أوقفوا الهجوم على غزة".',
)
# ANT, AL-economy-76-20180221.
IRAN_SANCTIONS = (
    "الطيران الإيراني والعقوبات",
    "وقالت الصحيفة إن الولايات المتحدة قد خففت العقوبات على إيران في قطاع الطيران لكنها مازالت "
    'تفرض حظرا على خطوط "ماهان" بسبب تعاونها مع قوات الحرس الثوري.',
)
# ANT, AL-sport-1480-20180509.
RIGHT_KNEE = (
    "مخاوف من غياب ألفيش عن مونديال روسيا",
    "الفحوصات المبدئية التي أجريت له كشفت وجود إصابة في الرباط الصليبي للركبة اليمنى.",
)
# ANT, AL-culture-193-20180324.
BERLIN = (
    "وفاة ريم بنا",
    "توفيت الفنانة الفلسطينية ريم بنا قبل ساعات في العاصمة الألمانية برلين بعد صراع طويل مع المرض.",
)
# ANT, AL-sport-391-20180304.
MANE = (
    "ليفربول يفوز",
    "ينهي ساديو ماني تحركا جيدا بتسجيل الهدف الثاني في الشوط الثاني من مباراة من جانب واحد.",
)
# ANT, BB-internationalNews-333-20180414.
PHONE_CALL = (
    "ترامب يطمئن على كوهن",
    'قال تقرير نشرته صحيفة نيويورك تايمز إن ترامب أجرى اتصالا هاتفيا بكوهن "للاطمئنان عليه" السبت.',
)
# ANT, AL-internationalNews-1061-20180508.
PATROLS = (
    "الجيش ينتشر في بيروت",
    "عمد الجيش اللبناني إلى التدخل، وقام بتسيير دوريات وإقامة حواجز في مختلف شوارع بيروت.",
)
# ANT, AL-culture-46-20180204.
VOICE_KIDS = (
    "النهائي الليلة",
    "وشهدت حلبة The Voice Kids الليلة المواجهة النهائية بين 6 مشتركين لنيل اللقب.",
)


def follows(keyword: str, title: str, text: str = "") -> bool:
    """Whether a chat that sent `/follow keyword` gets the story: the stored keyword read by routing."""
    return matches(term_positions(f"{title}\n{text}"), service.keyword_target(keyword))


# ---------------------------------------------------------------- the keyword as typed


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        ("هجوم على غزة", GAZA_BANNER),
        ("العقوبات على إيران", IRAN_SANCTIONS),
        ("5.5", ("النمو 5.5 في المئة", "توقع البنك نموا بنسبة 5.5 في المئة.")),
        ("1.5 مليار", ("قرض جديد", "وافق الصندوق على قرض بقيمة 1.5 مليار دولار.")),
        ("COVID-19", ("لقاح جديد", "أعلنت الشركة عن لقاح ضد COVID-19.")),
    ],
)
def test_a_followed_phrase_is_read_as_typed(keyword: str, story: tuple[str, str]) -> None:
    assert follows(keyword, *story)


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        # «على» is the preposition, not the name «علي»: a story on «علي» is not a story «على» غزة.
        ("هجوم على غزة", ("غزة", "قال علي إن غزة بخير.")),
        ("1.5 مليار", ("الميزانية", "بلغت الميزانية 3 مليار دولار.")),
        ("5.5", ("زلزال", "وقع 5 زلازل في 5 أيام.")),
    ],
)
def test_a_followed_phrase_does_not_need_what_was_not_typed(keyword: str, story: tuple[str, str]) -> None:
    assert not follows(keyword, *story)


def test_the_stored_keyword_keeps_what_the_analyzer_reads() -> None:
    assert service.keyword_target("هجوم  على غزّة") == "هجوم على غزه"
    assert service.keyword_target("5.5") == "5.5"
    assert service.keyword_target("COVID-19") == "covid-19"


# ---------------------------------------------------------------- names and their adjectives


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        ("ألمانيا", BERLIN),
        ("ألمانيا", ("مباراة ودية", "يلعب المنتخب الألماني غدا.")),
        ("ألمانيا", ("قمة", "عقدت القمة بألمانيا صباحا.")),
        ("بألمانيا", ("قمة", "عقدت القمة في برلين وقالت الحكومة الألمانية إنها ناجحة.")),
        ("الألمانية", ("المستشارة", "زارت ميركل ألمانيا الشرقية.")),
        ("ألبانيا", ("انتخابات", "فاز الحزب الاشتراكي الألباني.")),
        ("فرنسا", ("الأدب", "تخرج في جامعة طوكيو بقسم الأدب الفرنسي عام 1959.")),
        ("الأرجنتين", ("كأس العالم", "أبرز نجمين للعبة الأرجنتيني ميسي والبرتغالي رونالدو.")),
        ("الإمارات", ("سينما", "تشارك في العمل السائقة الإماراتية.")),
        ("سويسرا", ("البنوك", "قال البنك السويسري إن الأرباح ارتفعت.")),
        ("هولندا", ("تحقيق", "أعلنت الشرطة الهولندية عن توقيف رجل.")),
        ("آسيا", ("كرة القدم", "انطلقت بطولة كأس الأمم الآسيوية.")),
        ("كندا", ("التجارة", "ردت الحكومة الكندية على الرسوم.")),
        ("بولندا", ("قضاء", "أقر البرلمان البولندي القانون.")),
        (
            "صحة",
            ("احتفال", "تحتفل هيئة الخدمات الصحية البريطانية بعيدها السبعين."),
        ),  # ANT, BB-internationalNews-749-20180705
        (
            "النفط",
            ("اعتصام", "الاعتصام المفتوح أمام الحقول والشركات النفطية."),
        ),  # ANT, SK-middleEast-3175-20180729
        (
            "مباراة",
            ("المونديال", "700 ألف روسي تهافتوا أيضا لحضور المباريات."),
        ),  # ANT, AL-economy-1030-20180716
        ("البنتاغون", ("الدفاع", "قال متحدث باسم البنتاجون إن القوات باقية.")),
        ("إلغاء", ("الرحلات", "أعلنت الشركة الإلغاء الكامل للرحلات.")),
    ],
)
def test_a_name_finds_its_adjective_and_other_forms(keyword: str, story: tuple[str, str]) -> None:
    assert follows(keyword, *story)


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        ("ألمانيا", MANE),
        ("اليمن", RIGHT_KNEE),
        ("اليمن", ("هدف", "سدد بقدمه اليمنى في الزاوية اليسرى.")),
        ("قطر", ("المطر", "قطرة من قطرات الندى قبل شروق الشمس.")),  # ANT, AL-culture-229-20180406
        ("قطر", ("الكرة", "يبلغ قطرها 22 سنتيمترا.")),
        (
            "مصر",
            ("التسميم", "مع قول بريطانيا إنها مصرة على أن روسيا كانت وراءها."),
        ),  # ANT, BB-internationalNews-274-20180402
        ("حلب", VOICE_KIDS),
        ("حلب", ("سباق", "فاز هاميلتون على حلبة مونزا.")),
        ("الدوري", PATROLS),
    ],
)
def test_a_name_does_not_find_a_word_that_looks_like_it(keyword: str, story: tuple[str, str]) -> None:
    assert not follows(keyword, *story)


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        ("اليمن", ("الحرب", "قالت الحكومة اليمنية إن الحوثيين هاجموا الحديدة.")),
        ("اليمن", ("الحرب", "قتل جنود في هجوم على جنوب اليمن.")),
        ("قطر", ("الخليج", "قال وزير الخارجية القطري إن الحصار مستمر.")),
        ("مصر", ("الاقتصاد", "ارتفع الجنيه المصري.")),
        ("حلب", ("سوريا", "عاد السكان إلى أحياء حلب الشرقية.")),
        ("الدوري", ("كرة القدم", "فاز ليفربول في الدوري الإنجليزي.")),
        ("صحة", ("الوزارة", "أعلنت وزارة الصحة عن حصيلة جديدة.")),
        ("ألمانيا", ("انتخابات", "صوت الناخبون في ألمانيا أمس.")),
        ("الإمارات", ("الخليج", "زار الرئيس الإمارات.")),
    ],
)
def test_the_names_still_find_themselves(keyword: str, story: tuple[str, str]) -> None:
    assert follows(keyword, *story)


@pytest.mark.parametrize(
    ("keyword", "found", "not_found"),
    [
        ("النفط", ["ارتفعت أسعار النفط", "وارتفع النفط", "يتعلق بالنفط", "صادرات للنفط"], []),
        ("سوريا", ["الحرب في سورية", "قال السوريون", "عاد إلى سوريا"], ["سور المدينة"]),
        ("ترامب", ["قال ترمب", "قال ترامب"], ["قفز على الترامبولين"]),
        ("أردوغان", ["قال إردوغان", "قال أردوغان"], []),
        ("مصر", ["في مصر", "المصريون"], ["مصرف لبنان", "لقي مصرعه"]),
        ("اليمن", ["في اليمن"], ["أحزاب اليمين المتطرف"]),
        ("عمان", ["في عمان"], ["قال نعمان"]),
        ("علي", ["قال علي"], ["وقع الاتفاق على الحدود"]),
    ],
)
def test_what_worked_before_still_works(keyword: str, found: list[str], not_found: list[str]) -> None:
    assert [t for t in found if follows(keyword, t)] == found
    assert [t for t in not_found if follows(keyword, t)] == []


# ---------------------------------------------------------------- default topics


def topic_has(name: str, title: str, text: str = "") -> bool:
    [topic] = [t for t in CONFIG_TOPICS if t["name"] == name]
    terms = term_positions(f"{title}\n{text}")
    return any(matches(terms, keyword) for keyword in topic["keywords"])


def test_the_default_topics_leave_out_their_look_alikes() -> None:
    assert not topic_has("تقنية", *PHONE_CALL)
    assert not topic_has(
        "تقنية", "الحكم يلجأ إلى تقنية الفيديو", "ألغى الحكم الهدف بعد العودة إلى تقنية الفيديو."
    )
    assert not topic_has("رياضة", *PATROLS)
    assert not topic_has("سوريا", *VOICE_KIDS)


def test_the_default_topics_still_have_their_subject() -> None:
    assert topic_has("تقنية", "آبل تطلق هاتفا ذكيا جديدا", "كشفت الشركة عن هاتف ذكي بشاشة أكبر.")
    assert topic_has("تقنية", "مبيعات آيفون", "تراجعت مبيعات آيفون في الصين.")
    assert topic_has("رياضة", "ليفربول بطلا", "فاز ليفربول بلقب الدوري.")
    assert topic_has("رياضة", "المونديال", "تقام المباريات في 12 ملعبا.")
    assert topic_has("سوريا", "معارك في حلب", "اشتدت المعارك في حلب.")


# ---------------------------------------------------------------- end to end


@pytest.fixture
def bot(bot_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    no_background_jobs(monkeypatch)
    return bot_factory(**{**SECTIONS, "topics": CONFIG_TOPICS})


async def said(fake: FakeTelegram, chat_id: int, text: str) -> str:
    replies = await fake.converse(chat_id, text, language_code="ar", timeout=10)
    return "\n".join(str(r["plain_text"]) for r in replies)


async def routed(app: Any, feed: int, story: tuple[str, str]) -> set[int]:
    """The chats a new story is queued for."""
    db = services(app).db
    title, text = story
    story_id = await add_story(db, feed, title, summary=[text], text=text)
    await route_new_stories(db, services(app).config, [story_id])
    async with db.read() as session:
        return set((await session.scalars(select(Outbox.chat_id).where(Outbox.story_id == story_id))).all())


GAZA, GERMANY, YEMEN, TECH = 7001, 7002, 7003, 7004


async def test_followers_get_the_stories_they_follow_and_not_the_look_alikes(
    bot: Any, fake_telegram: FakeTelegram
) -> None:
    async with bot as app:
        for chat_id, command in (
            (GAZA, "/follow هجوم على غزة"),
            (GERMANY, "/follow ألمانيا"),
            (YEMEN, "/follow اليمن"),
            (TECH, "/subscribe تقنية"),
        ):
            await said(fake_telegram, chat_id, "/start")
            await said(fake_telegram, chat_id, command)
        feed = await add_feed(services(app).db, "العربية")
        before = len(fake_telegram.sent_messages(GAZA))
        assert await routed(app, feed, GAZA_BANNER) == {GAZA}
        assert await routed(app, feed, BERLIN) == {GERMANY}
        assert await routed(app, feed, MANE) == set()
        assert await routed(app, feed, RIGHT_KNEE) == set()
        assert await routed(app, feed, PHONE_CALL) == set()
        assert await routed(app, feed, ("آيفون جديد", "أطلقت آبل هاتف آيفون جديدا.")) == {TECH}
        delivery.wake(app)
        [card] = await fake_telegram.wait_for_messages(GAZA, since=before, timeout=10)
        assert str(card["plain_text"]).startswith(GAZA_BANNER[0])


# ---------------------------------------------------------------- a phrase, not a bag of words

# Written for these tests, after what ANT's stories say (2018): the Turkish party and «عبد الله غول»
# in one sentence met «حزب الله»; the English FA Cup and the Champions League «الاتحاد الأوروبي».
HEZBOLLAH = ("حزب الله يعلن فوزه", "أعلن حزب الله اللبناني فوز مرشحيه في الانتخابات النيابية.")
AKP = (
    "الانتخابات التركية",
    "فاز حزب العدالة والتنمية بالأغلبية، وقال عبد الله غول إن النتيجة كانت متوقعة.",
)
FA_CUP = ("موسم تاريخي", "أحرز الفريق كأس الاتحاد الإنجليزي ودوري أبطال أوروبا في موسم واحد.")


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        ("حزب الله", HEZBOLLAH),
        ("الاتحاد الأوروبي", ("قمة بروكسل", "قال الاتحاد الأوروبي إنه سيرد على الرسوم الأمريكية.")),
        ("محمد بن سلمان", ("زيارة", "استقبل ولي العهد السعودي الأمير محمد بن سلمان الوفد.")),
        # A word between, the phrase's words in the other order: still the same news.
        ("هجوم على غزة", ("إدانة", "ندد الوزير بالهجوم الإسرائيلي على غزة.")),
        ("سوريا لبنان", ("اتفاق", "وقعت لبنان وسوريا اتفاقا تجاريا.")),
        ("طائرات F-16", ("صفقة", "تسلم الجيش طائرات F-16 الأمريكية.")),
        ("F-16 طائرات", ("صفقة", "تسلم الجيش طائرات F-16 الأمريكية.")),
        # An English name read as its Arabic words has as many words as they have.
        ("MBS", ("زيارة", "استقبل ولي العهد السعودي الأمير محمد بن سلمان الوفد.")),
        ("IMF", ("قرض", "قال صندوق النقد الدولي إنه وافق على القرض.")),
    ],
)
def test_a_followed_phrase_finds_its_words_together(keyword: str, story: tuple[str, str]) -> None:
    assert follows(keyword, *story)


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        ("حزب الله", AKP),
        ("الاتحاد الأوروبي", FA_CUP),
        ("أسعار النفط", ("الأسواق", "ارتفعت أسعار الذهب أمس، فيما تراجع إنتاج النفط في ليبيا.")),
        ("هجوم على غزة", ("الجنوب", "وقع هجوم في سيناء، وأغلقت مصر معبر رفح مع غزة.")),
        # Near, but the other way round and apart (ANT, 2018: the Turkish government's words).
        ("حزب الله", ("تركيا", "اتهمت أنقرة أنصار فتح الله غولن وحزب العمال الكردستاني.")),
        # The title's last word and the body's first are no phrase.
        ("الرئيس الأمريكي", ("ماكرون يستقبل الرئيس", "الأمريكيون يتظاهرون أمام السفارة.")),
    ],
)
def test_a_followed_phrase_does_not_gather_its_words_from_afar(keyword: str, story: tuple[str, str]) -> None:
    assert not follows(keyword, *story)


# Written for these tests; ANT writes each name both ways (2018).
JOINED_NAMES = [
    ("عبد الله الثاني", ("عمّان", "استقبل الملك عبدالله الثاني الوفد في عمّان.")),
    ("عبدالله الثاني", ("عمّان", "استقبل الملك عبد الله الثاني الوفد في عمّان.")),
    ("حسن نصر الله", ("خطاب", "قال حسن نصرالله في خطاب متلفز إن الرد قادم.")),
    ("عبد ربه منصور هادي", ("عدن", "وصل الرئيس عبدربه منصور هادي إلى عدن.")),
    ("أبو ظبي", ("معرض", "افتتح في أبوظبي معرض الكتاب الدولي.")),
    ("عبدالفتاح السيسي", ("القاهرة", "التقى الرئيس عبد الفتاح السيسي وزير الخارجية.")),
]


@pytest.mark.parametrize(("keyword", "story"), JOINED_NAMES)
def test_a_name_written_joined_or_apart_is_one_name(keyword: str, story: tuple[str, str]) -> None:
    assert follows(keyword, *story)


@pytest.mark.parametrize(
    ("keyword", "story"),
    [
        # Half of a joined name is no word of its own (QA, after names were first read apart).
        ("حزب الله", ("الانتخابات البلدية", "قال المتحدث باسم الحزب عبدالله الحربي إنه سيشارك.")),
        ("الرحمن", ("تعيين", "عُيّن عبدالرحمن سفيرا.")),
        ("فتح", ("تركيا", "اتهمت أنقرة جماعة فتحالله غولن.")),
        ("نصر", ("خطاب", "قال نصرالله إن الرد قادم.")),
    ],
)
def test_half_of_a_joined_name_is_not_followed(keyword: str, story: tuple[str, str]) -> None:
    assert not follows(keyword, *story)


async def test_search_finds_a_name_written_the_other_way(db: Database) -> None:
    await store(db, ("الملك يستقبل الوفد", JOINED_NAMES[0][1][1]), ("الوفد في عمّان", JOINED_NAMES[1][1][1]))
    found = await titles(db, "عبدالله الثاني")
    assert sorted(found) == ["الملك يستقبل الوفد", "الوفد في عمّان"]
    assert await titles(db, "عبد الله الثاني") == found


HEZBOLLAH_READER = 7005


async def test_a_follower_of_a_phrase_gets_its_stories_only(bot: Any, fake_telegram: FakeTelegram) -> None:
    async with bot as app:
        await said(fake_telegram, HEZBOLLAH_READER, "/start")
        reply = await said(fake_telegram, HEZBOLLAH_READER, "/follow حزب الله")
        # The reply says the words are a phrase, and that each can be followed on its own.
        assert "تُقرأ «حزب الله» عبارةً" in reply and "تابعها وحدها" in reply
        assert "عبارة" not in await said(fake_telegram, HEZBOLLAH_READER, "/follow النفط")
        assert "عبارة" not in await said(fake_telegram, HEZBOLLAH_READER, "/follow MBS")
        feed = await add_feed(services(app).db, "العربية")
        assert await routed(app, feed, AKP) == set()
        assert await routed(app, feed, FA_CUP) == set()
        assert await routed(app, feed, HEZBOLLAH) == {HEZBOLLAH_READER}
        # /latest reads the followed phrase the same way.
        latest = await service.latest_stories(services(app).db, HEZBOLLAH_READER, 5)
        assert [s.title for s in latest] == [HEZBOLLAH[0]]


# ---------------------------------------------------------------- the upgrade


async def upgrade_all_but(database: Database, revision: str) -> None:
    """Every branch up to date but the one at `revision`, which stops just before it (a later
    branch rebuilding the subscribers table would otherwise run after the rows are written)."""
    from alembic.script import ScriptDirectory

    from bot.db.migrate import alembic_config, upgrade

    script = ScriptDirectory.from_config(alembic_config())
    for head in script.get_heads():
        if all(r.revision != revision for r in script.walk_revisions("base", head)):
            await upgrade(database.engine, head)
    previous = script.get_revision(revision).down_revision
    assert isinstance(previous, str)
    await upgrade(database.engine, previous)


async def test_upgrading_rewrites_the_keywords_followed_before(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade_all_but(database, "search_0009")
        old_rows = {
            "هجوم على غزة": "هجوم علي غزه",  # as keyword_target stored it before
            "5.5": "5 5",
            "المدرسة": "المدرسه",
        }
        now = utcnow()
        async with database.write() as session:
            session.add(Subscriber(chat_id=42, created_at=now))
            await session.flush()
            for display, target in [*old_rows.items(), (None, "النفط")]:
                session.add(
                    Subscription(chat_id=42, kind="keyword", target=target, display=display, created_at=now)
                )
        await database.migrate()
        async with database.read() as session:
            rows = (await session.scalars(select(Subscription).order_by(Subscription.id))).all()
        assert [r.target for r in rows] == ["هجوم على غزه", "5.5", "المدرسه", "النفط"]
        assert matches(term_positions("\n".join(GAZA_BANNER)), rows[0].target)
    finally:
        await database.close()


async def test_upgrading_re_analyses_the_stories(tmp_path: Path) -> None:
    from bot.db.migrate import upgrade

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade(database.engine, "search_0007")
        async with database.write() as session:
            for key, (title, body), old_terms in (
                ("berlin", BERLIN, "وفا ريم بنا توفيت فنان فلسطيني ريم بنا ساع عاصم ماني برلين"),
                ("knee", RIGHT_KNEE, "مخاوف غياب الفيش مونديال روسي فحوص اصاب رباط صليبي ركب يمني يمن"),
            ):
                story = Story(entry_key=key, title=title, source="old feed", text=body, summary=[body])
                session.add(story)
                await session.flush()
                # What the analyzer of search_0007 stored.
                session.add(SearchDoc(rowid=story.id, title_terms=old_terms, body_terms=old_terms))
        await database.migrate()
        assert await titles(database, "ألمانيا") == [BERLIN[0]]
        assert await titles(database, "ساديو ماني") == []
        assert await titles(database, "اليمن") == []
    finally:
        await database.close()


async def test_upgrading_reads_joined_names_apart(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await upgrade_all_but(database, "search_0010")
        title, body = "استقبال في عمّان", JOINED_NAMES[0][1][1]
        async with database.write() as session:
            story = Story(entry_key="king", title=title, source="old feed", text=body, summary=[body])
            session.add(story)
            await session.flush()
            # What the analyzer of search_0009 stored: «عبدالله» was one word, «عبدالل».
            old_terms = "استقبال عمان استقبل ملك عبدالل ثاني وفد عمان"
            session.add(SearchDoc(rowid=story.id, title_terms=old_terms, body_terms=old_terms))
        assert await titles(database, "عبد الله الثاني") == []
        await database.migrate()
        assert await titles(database, "عبد الله الثاني") == [title]
    finally:
        await database.close()
