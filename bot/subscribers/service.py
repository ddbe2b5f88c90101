"""Subscribers and their subscriptions: the database functions behind the chat commands.

Every function takes the `Database` and a chat id; handlers stay thin adapters over these.
Subscription targets (see bot.db.models.Subscription): a feed is its id as text, a topic its name,
a keyword its normalised words (`keyword_target`: ى and the punctuation inside words kept, for
the analyzer reads them; analysed whenever matched), with the words as typed kept in `display`.
Two keywords the analyzer reads alike (`keyword_key`: المدرسة، مدرسة، مدرسه) are one followed word:
the chat keeps the form it typed first, and any form finds it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.config import Config
from bot.db.database import Database
from bot.db.models import AdminLanguage, Feed, Outbox, Story, Subscriber, Subscription, Topic
from bot.delivery import outbox
from bot.delivery.digest import restart_period
from bot.delivery.routing import rematch_cards, story_terms
from bot.delivery.schedule import quiet_until
from bot.search.analyzer import QUOTES, Positions, has_operators, keyword_groups, matches
from bot.subscribers import prefs
from summarizer.normalize import fold_letters, plain_letters, strip_diacritics, tokens

KINDS = ("feed", "topic", "keyword")
MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 100
MAX_LATEST = prefs.MAX_LATEST
# /latest looks through this many recent stories when it must match topics or keywords.
SCAN_LIMIT = 500
STOPPED = "stopped"
SETTINGS_FIELDS = frozenset(
    {
        "mode",
        "digest_times",
        "timezone",
        "sentences",
        "quiet_start",
        "quiet_end",
        "link_preview",
        "group_events",
        "language",
    }
)


class SubscriptionError(ValueError):
    """A subscription request that cannot be done; `code` picks the message shown to the user."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


# ---------------------------------------------------------------- subscribers


async def get_subscriber(db: Database, chat_id: int) -> Subscriber | None:
    async with db.read() as session:
        return await session.get(Subscriber, chat_id)


async def ensure_subscriber(
    db: Database,
    config: Config,
    chat_id: int,
    chat_type: str = "private",
    language: str = "ar",
    title: str | None = None,
    *,
    resume: bool = True,
) -> Subscriber:
    """The chat's subscriber row, created (or re-activated) as needed.

    A new or returning chat starts its `since` now, so it never receives a flood of older stories.
    The language is only set on creation: later, /language is the user's choice and wins.
    A chat that blocked the bot or removed it is re-activated: it is talking to the bot again, so
    it is reachable. One that /stop-ped stays stopped unless `resume` (/start, the bot added back to
    a group): looking at /settings or closing an old menu is no request for news.
    """
    now = utcnow()
    async with db.write() as session:
        sub = await session.get(Subscriber, chat_id)
        if sub is None:
            delivery = config.delivery
            sub = Subscriber(
                chat_id=chat_id,
                chat_type=chat_type,
                title=title,
                language=language if language in ("ar", "en") else "ar",
                timezone=delivery.default_timezone,
                mode=delivery.default_mode,
                digest_times=list(delivery.digest_times),
                sentences=min(config.summary.sentences, 5),
                link_preview=False,
                active=True,
                since=now,
                created_at=now,
                updated_at=now,
            )
            session.add(sub)
        else:
            if not sub.active and (resume or sub.inactive_reason != STOPPED):
                await _reactivate(session, sub, now)
            if title and sub.title != title:
                sub.title = title
            if chat_type and sub.chat_type != chat_type:
                sub.chat_type = chat_type
        await session.flush()
        return sub


async def _reactivate(session: AsyncSession, sub: Subscriber, now: datetime) -> None:
    # The digest period starts now too: measured from the last digest before the chat left, this
    # morning's slot would be owed, and a digest headed with a time long past sent at once.
    sub.active, sub.inactive_reason, sub.since, sub.last_digest_at = True, None, now, now
    await _drop_queued(session, sub.chat_id, "queued before the chat left")


def is_stopped(sub: Subscriber | None) -> bool:
    """Whether the chat /stop-ped and has not opted in again (its settings may still change)."""
    return sub is not None and not sub.active and sub.inactive_reason == STOPPED


# What a chat that leaves stops getting: stories, digests and broadcasts still queued, and the
# stories waiting for its next digest. Admin alerts and command replies are left alone.
_LEAVING_KINDS = (outbox.STORY, outbox.DIGEST, outbox.BROADCAST)


async def _drop_queued(session: AsyncSession, chat_id: int, reason: str) -> None:
    """Fail what the chat still has queued, so coming back does not deliver it.

    A story held by quiet hours, or a day of stories waiting for a digest, would otherwise reach a
    chat that /stop-ped or blocked the bot as soon as it returned: the flood `since` prevents.
    """
    await session.execute(
        update(Outbox)
        .where(
            Outbox.chat_id == chat_id,
            or_(
                Outbox.status == outbox.DIGEST_WAIT,
                (Outbox.status == outbox.PENDING) & Outbox.kind.in_(_LEAVING_KINDS),
            ),
        )
        .values(status=outbox.WITHDRAWN, last_error=reason)
    )


async def set_thread(db: Database, chat_id: int, thread_id: int | None) -> Subscriber:
    async with db.write() as session:
        sub = await session.get(Subscriber, chat_id)
        assert sub is not None, "registered first"
        sub.thread_id = thread_id
        await session.flush()
        return sub


async def set_inactive(db: Database, chat_id: int, reason: str) -> bool:
    """Mark a chat inactive (blocked the bot, removed it from a group); its subscriptions stay."""
    async with db.write() as session:
        sub = await session.get(Subscriber, chat_id)
        if sub is None:
            return False
        if sub.inactive_reason != STOPPED:
            # A chat that /stop-ped and then blocked the bot is still one that asked for no news:
            # unblocking and opening /settings must not bring it back.
            sub.active, sub.inactive_reason = False, reason
        await _drop_queued(session, chat_id, f"chat inactive: {reason}"[:200])
        return True


async def stop(db: Database, chat_id: int) -> int:
    """/stop: every subscription ends and nothing more is sent. Returns how many were removed."""
    async with db.write() as session:
        result = await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
        sub = await session.get(Subscriber, chat_id)
        if sub is not None:
            sub.active, sub.inactive_reason = False, STOPPED
            await _drop_queued(session, chat_id, "chat inactive: stopped")
        return int(getattr(result, "rowcount", 0) or 0)


async def forget(db: Database, chat_id: int) -> bool:
    """/forget: everything the bot keeps about the chat goes — its settings, subscriptions, followed
    words and the record of what was sent to it (queued messages included). Stories and the admins'
    audit log are not the chat's. Returns whether there was anything to delete."""
    async with db.write() as session:
        known = await session.get(Subscriber, chat_id) is not None
        await session.execute(delete(Outbox).where(Outbox.chat_id == chat_id))
        await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
        await session.execute(delete(Subscriber).where(Subscriber.chat_id == chat_id))
        # An admin's app language, kept for their alerts: written again at their next admin command.
        await session.execute(delete(AdminLanguage).where(AdminLanguage.chat_id == chat_id))
        return known


# The settings a card is rendered with: a card still held by quiet hours is rendered again when
# one of them changes, so the reader who switched to English overnight gets English at 07:00.
_CARD_SETTINGS = frozenset({"language", "timezone", "sentences", "link_preview"})


async def update_settings(
    db: Database, chat_id: int, *, config: Config | None = None, **changes: Any
) -> Subscriber:
    """Store already-validated settings (see bot.subscribers.prefs); unknown names are a bug.

    With `config`, cards waiting out the quiet hours are rendered again with the new settings."""
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    async with db.write() as session:
        sub = await session.get(Subscriber, chat_id)
        if sub is None:
            raise SubscriptionError("not_registered")
        entering_digest = changes.get("mode") == "digest" and sub.mode != "digest"
        schedule = (list(sub.digest_times or []), sub.timezone)
        for name, value in changes.items():
            setattr(sub, name, list(value) if name == "digest_times" else value)
        now = sub.updated_at = utcnow()
        if entering_digest:
            # The digest period starts now: otherwise the latest digest time before the switch
            # (this morning's, or one from weeks ago) counts as due and a digest goes out at once.
            sub.last_digest_at = now
        elif sub.mode == "digest" and (list(sub.digest_times or []), sub.timezone) != schedule:
            restart_period(sub, *schedule, now)
        if changes.get("mode") == "digest":
            await _held_to_digest(session, sub.chat_id, now)
        elif changes.keys() & {"quiet_start", "quiet_end", "timezone"}:
            await _retime_held(session, sub, now)
        if config is not None and changes.keys() & _CARD_SETTINGS and sub.mode != "digest":
            await _rerender_held(session, sub, config, now)
        await session.flush()
        return sub


async def _rerender_held(session: AsyncSession, sub: Subscriber, config: Config, now: datetime) -> None:
    """Held cards read as the chat's settings now say (language, zone, sentences, previews); one the
    reader expanded stays expanded, and one listing other outlets keeps them."""
    from bot.delivery.card import rerender

    held = (
        await session.scalars(
            select(Outbox).where(
                _held(sub.chat_id, now), Outbox.status == outbox.PENDING, Outbox.story_id.is_not(None)
            )
        )
    ).all()
    await session.flush()  # the new settings, before the cards read them
    for card in held:
        story = await session.get(Story, card.story_id)
        if story is not None:
            card.payload = rerender(card, story, sub, config)


def _held(chat_id: int, now: datetime) -> ColumnElement[bool]:
    """The chat's story cards waiting out its quiet hours: due later, never tried (a row waiting out
    a retry backoff has attempts > 0 and keeps its time)."""
    return and_(
        Outbox.chat_id == chat_id, Outbox.kind == outbox.STORY, Outbox.attempts == 0, Outbox.not_before > now
    )


async def _held_to_digest(session: AsyncSession, chat_id: int, now: datetime) -> None:
    """A chat that picks digest mode gets the stories its quiet hours still hold in its next
    digest, not as separate cards when the quiet hours end; the dedup key stays, so never twice.
    Other outlets' stories a held card lists («وأيضًا في») go with it: the digest lists them
    under its item again (grouping.fold_digest), where they would otherwise be in nothing."""
    held = (
        await session.execute(
            select(Outbox.id, Outbox.story_id).where(
                _held(chat_id, now), Outbox.status == outbox.PENDING, Outbox.story_id.is_not(None)
            )
        )
    ).all()
    if not held:
        return
    hosts = {story_id for _, story_id in held}
    grouped = (
        await session.execute(
            select(Outbox.id, Outbox.payload).where(
                Outbox.chat_id == chat_id, Outbox.status == outbox.GROUPED
            )
        )
    ).all()
    listed = [row_id for row_id, payload in grouped if (payload or {}).get("into_story") in hosts]
    await session.execute(
        update(Outbox)
        .where(Outbox.id.in_([row_id for row_id, _ in held] + listed))
        .values(kind=outbox.DIGEST_ITEM, status=outbox.DIGEST_WAIT)
    )


async def _retime_held(session: AsyncSession, sub: Subscriber, now: datetime) -> None:
    """Stories held by the old quiet hours follow the new ones: turning quiet hours off releases
    them now, rather than at the end of hours the user no longer wants. Rows waiting out a retry
    backoff (attempts > 0) keep their time."""
    due = quiet_until(now, sub.quiet_start, sub.quiet_end, sub.timezone) or now
    await session.execute(
        update(Outbox).where(_held(sub.chat_id, now), Outbox.status == outbox.PENDING).values(not_before=due)
    )


async def rematch_held(session: AsyncSession, chat_id: int, now: datetime) -> None:
    """Cards still waiting for the chat follow its subscriptions, in the transaction that changes
    them: a story whose only subscription was just removed does not arrive, whether it waits out
    the quiet hours or its turn in a fan-out to thousands of chats; one withdrawn so comes back if
    the subscription returns before it would have gone out. A card the sender has taken goes."""
    await rematch_cards(session, [chat_id], now)


async def rematch_chats(session: AsyncSession, chat_ids: Iterable[int], now: datetime) -> None:
    """rematch_held for many chats at once (a removed feed's readers): a few statements in all."""
    await rematch_cards(session, chat_ids, now)


async def set_language(
    db: Database, chat_id: int, language: str, *, config: Config | None = None
) -> Subscriber:
    if language not in ("ar", "en"):
        raise ValueError(f"unsupported language {language!r}")
    return await update_settings(db, chat_id, config=config, language=language)


# ---------------------------------------------------------------- feeds and topics


async def list_feeds(db: Database) -> list[Feed]:
    """Feeds a chat can subscribe to: all but those an admin paused, by name."""
    async with db.read() as session:
        rows = await session.scalars(select(Feed).where(Feed.status != "paused").order_by(Feed.name))
        return list(rows.all())


async def list_topics(db: Database) -> list[Topic]:
    async with db.read() as session:
        return list((await session.scalars(select(Topic).order_by(Topic.id))).all())


def _key(value: str) -> str:
    return " ".join(tokens(value))


@dataclass(frozen=True)
class Target:
    kind: str  # feed | topic
    target: str
    label: str


@dataclass(frozen=True)
class _Name:
    """A feed's or topic's name in the forms a typed name is compared with."""

    key: str  # its words, normalised: «BBC عربي» → "bbc عربي"
    terms: frozenset[tuple[str, ...]]  # as search and following read it (`keyword_key`)

    @classmethod
    def of(cls, name: str) -> _Name:
        return cls(_key(name), keyword_key(name))

    def same(self, wanted: _Name) -> bool:
        """The name itself, however it is written: «الاقتصاد» is «اقتصاد», «سورية» and «السورية»
        are «سوريا» (as a search for one finds the others), «فرانس٢٤» is «فرانس 24»."""
        if self.key == wanted.key or self.key.replace(" ", "") == wanted.key.replace(" ", ""):
            return True
        return bool(wanted.terms) and same_key(self.terms, wanted.terms)

    def has(self, wanted: _Name) -> bool:
        """A part of the name: whole words of it in any form («الجزيرة» of «الجزيرة نت»), or the
        start of one of its words («سكاي نيو»). Not any letters inside a word: «بي» is in «عربي»,
        and would name every Arabic service."""
        spaced = f" {self.key} "
        if f" {wanted.key} " in spaced or (len(wanted.key) >= 3 and f" {wanted.key}" in spaced):
            return True
        return bool(wanted.terms) and all(any(set(g) & set(h) for h in self.terms) for g in wanted.terms)


def resolve_target(text: str, feeds: Sequence[Feed], topics: Sequence[Topic]) -> list[Target]:
    """What `/subscribe <text>` names: a feed id, a feed or topic name, or a unique part of one.

    Names are compared as search reads them (the article, ة/ه, nisba and variant spellings), so a
    topic is found by any form of its name. A topic's keywords are not names of it: «/subscribe
    نفط» subscribing to all of «اقتصاد» (or «غزة» to all of «فلسطين») would bring far more than
    asked; /follow is for a word.

    Returns every candidate when the text is ambiguous (the handler lists them) and [] when
    nothing fits.
    """
    wanted_key = _key(text)
    if not wanted_key:
        return []
    if wanted_key.isdigit():
        return [Target("feed", str(f.id), f.name) for f in feeds if str(f.id) == wanted_key]
    wanted = _Name.of(text)
    named: list[tuple[Target, list[_Name]]] = [
        (Target("feed", str(f.id), f.name), [_Name.of(f.name)]) for f in feeds
    ]
    named += [
        (Target("topic", t.name, t.name), [_Name.of(n) for n in (t.name, t.name_en) if n]) for t in topics
    ]
    # As typed first: a name written exactly wins over one that only reads alike.
    for fits in (
        lambda n: n.key == wanted.key,
        lambda n: n.same(wanted),
        lambda n: n.has(wanted),
    ):
        found = [target for target, names in named if any(fits(n) for n in names)]
        if found:
            return found
    return []


# ---------------------------------------------------------------- subscriptions


def keyword_target(keyword: str) -> str:
    """The stored form of a followed keyword (`stored_keyword`); SubscriptionError if unusable.

    Routing analyses the stored text again (`keyword_key`), so it keeps what the analyzer reads off
    the written words: «على» "on" apart from the name «علي» (هجوم على غزة stored as «هجوم علي غزه»
    needed the name), 5.5 and F-16 as one term («5 5» matched nothing), اليمنى apart from اليمني.
    Two forms of one word are told apart by their analysis (`same_key`), not by this text.

    A keyword with an operator of /search ("-word", NOT, OR, «أو») is refused: following needs
    every word of what it follows (routing reads no operator), so «غزة -حماس» would bring exactly
    the Hamas stories it was meant to leave out. A keyword stored with «أو» before operators
    existed keeps needing both words (`keyword_key`)."""
    display = typed_keyword(keyword)
    target = stored_keyword(display)
    if max(len(display), len(target)) > MAX_KEYWORD_CHARS:
        raise SubscriptionError("keyword_too_long", limit=MAX_KEYWORD_CHARS)
    if has_operators(display):
        raise SubscriptionError("keyword_operators", keyword=display)
    if not keyword_groups(target):
        raise SubscriptionError("keyword_empty", keyword=display)
    return target


def typed_keyword(keyword: str) -> str:
    """The keyword as the chat typed it, without quote marks: /search reads «حزب الله» in quotes as
    a phrase, and a followed keyword of several words is one already, so a reader who quotes it by
    habit follows the words (not «"حزب الله"», shown and stored with its marks)."""
    return " ".join("".join(" " if ch in QUOTES else ch for ch in keyword).split())


def stored_keyword(typed: str) -> str:
    """`typed` as a keyword row stores it: normalised as the analyzer normalises any text (غزّة،
    غزه → غزه; إ → ا; Latin lower-cased), except for the two things it reads before normalising:
    a final ى («على» is not «علي») and the punctuation inside a word (5.5، F-16). So the stored
    text analyses exactly as the typed one, and one word typed twice is one row."""
    plain = strip_diacritics(plain_letters(" ".join(typed.split())))
    return "ى".join(fold_letters(part) for part in plain.split("ى"))


def keyword_key(target: str) -> frozenset[tuple[str, ...]]:
    """What matching reads in a stored keyword (`keyword_target`): a story must hold one term of
    every group, in any order, near one another (`bot.search.analyzer.matches`).

    Computed from the stored target whenever it is needed, never stored: rows written before keys
    existed are found the same way, and a change to the analyzer needs no migration.
    """
    return frozenset(keyword_groups(target))


def same_key(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> bool:
    """Whether two keywords name the same words: as many words, each sharing a reading with one of
    the other's. Not plain equality: a word may have a reading the other form lacks («لاجئين» is
    also read as ل + «اجئين», «اللاجئين» is not), and both still find the refugee stories."""
    if len(a) != len(b) or not a:
        return a == b
    return all(any(set(g) & set(h) for h in b) for g in a) and all(any(set(h) & set(g) for g in a) for h in b)


class _Followed(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> str: ...


_F = TypeVar("_F", bound=_Followed)


def same_keyword(rows: Iterable[_F], target: str) -> list[_F]:
    """The keyword rows among `rows` (Subscription rows, or their SubscriptionItem) that follow
    what `target` names, in any of its forms."""
    key = keyword_key(target)
    return [
        r
        for r in rows
        if r.kind == "keyword" and (r.target == target or same_key(keyword_key(r.target), key))
    ]


async def _keyword_rows(session: AsyncSession, chat_id: int) -> list[Subscription]:
    rows = await session.scalars(
        select(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.kind == "keyword")
        .order_by(Subscription.id)
    )
    return list(rows.all())


def keyword_label(row: Subscription) -> str:
    return row.display or row.target


async def list_subscriptions(db: Database, chat_id: int) -> list[Subscription]:
    async with db.read() as session:
        rows = await session.scalars(
            select(Subscription).where(Subscription.chat_id == chat_id).order_by(Subscription.id)
        )
        return list(rows.all())


async def subscribe(db: Database, chat_id: int, kind: str, target: str, display: str | None = None) -> bool:
    """Add one subscription; False when the chat already had it (a keyword: in any form)."""
    return await _subscribe(db, chat_id, kind, target, display) is None


async def _subscribe(
    db: Database, chat_id: int, kind: str, target: str, display: str | None
) -> Subscription | None:
    """Add one subscription; the chat's row that already covers it instead (nothing is added)."""
    if kind not in KINDS:
        raise ValueError(f"unknown subscription kind {kind!r}")
    try:
        async with db.write() as session:
            subscriber = await session.get(Subscriber, chat_id)
            if subscriber is None:
                raise SubscriptionError("not_registered")
            if kind == "keyword":
                keywords = await _keyword_rows(session, chat_id)
                same = same_keyword(keywords, target)
                if same:
                    return same[0]
                if len(keywords) >= MAX_KEYWORDS:
                    raise SubscriptionError("too_many_keywords", limit=MAX_KEYWORDS)
            else:
                existing = await session.scalar(
                    select(Subscription).where(
                        Subscription.chat_id == chat_id,
                        Subscription.kind == kind,
                        Subscription.target == target,
                    )
                )
                if existing is not None:
                    return existing
            session.add(
                Subscription(chat_id=chat_id, kind=kind, target=target, display=display, created_at=utcnow())
            )
            if not subscriber.active:
                # Turning a subscription on is asking for news: a /stop-ped chat is back.
                await _reactivate(session, subscriber, utcnow())
            await session.flush()
            await rematch_held(session, chat_id, utcnow())
    except IntegrityError:
        # Two presses at once: the other one added it.
        return Subscription(chat_id=chat_id, kind=kind, target=target, display=display)
    return None


async def unsubscribe(db: Database, chat_id: int, kind: str, target: str) -> bool:
    """Remove one subscription (a keyword: in any form); False when the chat did not have it."""
    if kind == "keyword":
        return bool(await _unfollow(db, chat_id, target))
    async with db.write() as session:
        result = await session.execute(
            delete(Subscription).where(
                Subscription.chat_id == chat_id, Subscription.kind == kind, Subscription.target == target
            )
        )
        await rematch_held(session, chat_id, utcnow())
        return bool(getattr(result, "rowcount", 0))


async def _unfollow(db: Database, chat_id: int, target: str) -> list[str]:
    """Remove every keyword row that follows `target`'s word; their labels, oldest first.

    A chat may hold several forms of one word, followed before forms were compared: stopping one
    of them alone would leave the stories coming, so all go.
    """
    async with db.write() as session:
        rows = same_keyword(await _keyword_rows(session, chat_id), target)
        for row in rows:
            await session.delete(row)
        await session.flush()
        await rematch_held(session, chat_id, utcnow())
        return [keyword_label(r) for r in rows]


@dataclass(frozen=True)
class Followed:
    keyword: str  # as the chat follows it: the form it typed first
    added: bool


async def follow(db: Database, chat_id: int, keyword: str) -> Followed:
    """/follow: the keyword, unless the chat follows it already in some form (then that form).

    SubscriptionError when the keyword is unusable, the chat unregistered or at its limit.
    """
    display = typed_keyword(keyword)
    existing = await _subscribe(db, chat_id, "keyword", keyword_target(display), display)
    if existing is None:
        return Followed(display, True)
    return Followed(keyword_label(existing), False)


async def unfollow(db: Database, chat_id: int, keyword: str) -> list[str]:
    """/unfollow: stop following the keyword in whichever form the chat follows it. Returns the
    followed words removed, as the chat had them; [] when it followed none of them."""
    try:
        target = keyword_target(keyword)
    except SubscriptionError:
        return []
    return await _unfollow(db, chat_id, target)


async def unsubscribe_id(db: Database, chat_id: int, subscription_id: int) -> Subscription | None:
    """Remove a subscription by its id (the /unsubscribe buttons); None if it was already gone."""
    async with db.write() as session:
        row = await session.get(Subscription, subscription_id)
        if row is None or row.chat_id != chat_id:
            return None
        await session.delete(row)
        await session.flush()
        await rematch_held(session, chat_id, utcnow())
        return row


async def toggle(db: Database, chat_id: int, kind: str, target: str, display: str | None = None) -> bool:
    """Subscribe if not subscribed, else unsubscribe. Returns whether the chat is now subscribed."""
    if await unsubscribe(db, chat_id, kind, target):
        return False
    await subscribe(db, chat_id, kind, target, display)
    return True


async def subscribe_all_feeds(db: Database, chat_id: int) -> int:
    """Every feed a chat can subscribe to; returns how many were new."""
    added = 0
    for feed in await list_feeds(db):
        added += await subscribe(db, chat_id, "feed", str(feed.id))
    return added


async def unsubscribe_all(db: Database, chat_id: int) -> int:
    async with db.write() as session:
        result = await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
        await rematch_held(session, chat_id, utcnow())
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class SubscriptionItem:
    id: int
    kind: str
    target: str
    label: str
    paused: bool = False  # a feed an admin paused, or that paused itself after failing


async def describe_subscriptions(db: Database, chat_id: int) -> list[SubscriptionItem]:
    """The chat's subscriptions with readable labels (feed names, keywords as typed).

    Subscriptions to feeds that were deleted are left out; feeds first, then topics, then keywords.
    """
    subs = await list_subscriptions(db, chat_id)
    feeds = {str(f.id): f for f in await _all_feeds(db)}
    items: list[SubscriptionItem] = []
    for sub in subs:
        paused = False
        if sub.kind == "feed":
            if sub.target not in feeds:
                continue
            label, paused = feeds[sub.target].name, feeds[sub.target].status != "active"
        else:
            label = sub.display or sub.target
        items.append(SubscriptionItem(sub.id, sub.kind, sub.target, label, paused))
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(items, key=lambda item: (order.get(item.kind, 9), item.id))


async def _all_feeds(db: Database) -> list[Feed]:
    async with db.read() as session:
        return list((await session.scalars(select(Feed))).all())


# ---------------------------------------------------------------- stories


def _topic_match(topic: Topic, story: Story, feed_topics: dict[int, list[str]], terms: Positions) -> bool:
    if story.feed_id is not None and topic.name in feed_topics.get(story.feed_id, []):
        return True
    return any(matches(terms, keyword) for keyword in topic.keywords)


async def recent_stories(db: Database, *, feed_ids: Iterable[int] | None = None, limit: int) -> list[Story]:
    """Newest first, originals only (a duplicate carried by a second feed is skipped)."""
    query = select(Story).where(Story.duplicate_of.is_(None))
    if feed_ids is not None:
        query = query.where(Story.feed_id.in_(list(feed_ids)))
    query = query.order_by(Story.published_at.desc(), Story.id.desc()).limit(limit)
    async with db.read() as session:
        return list((await session.scalars(query)).all())


async def latest_stories(db: Database, chat_id: int, n: int) -> list[Story]:
    """/latest: the newest stories from the chat's subscriptions; the newest overall without any."""
    n = max(1, min(n, MAX_LATEST))
    subs = await list_subscriptions(db, chat_id)
    if not subs:
        return await recent_stories(db, limit=n)
    feed_ids = {int(s.target) for s in subs if s.kind == "feed" and s.target.isdigit()}
    topic_names = {s.target for s in subs if s.kind == "topic"}
    keywords = [s.target for s in subs if s.kind == "keyword"]
    if not topic_names and not keywords:
        return await recent_stories(db, feed_ids=feed_ids, limit=n)
    topics = [t for t in await list_topics(db) if t.name in topic_names]
    feed_topics = {f.id: f.topics for f in await _all_feeds(db)}
    found: list[Story] = []
    for story in await recent_stories(db, limit=SCAN_LIMIT):
        if story.feed_id in feed_ids:
            found.append(story)
        else:
            terms = story_terms(story)
            if any(_topic_match(t, story, feed_topics, terms) for t in topics) or any(
                matches(terms, k) for k in keywords
            ):
                found.append(story)
        if len(found) >= n:
            break
    return found


async def get_story(db: Database, story_id: int) -> Story | None:
    async with db.read() as session:
        return await session.get(Story, story_id)
