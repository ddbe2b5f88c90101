"""Read-only views of the feeds for /feeds, /feed and `akhbar feeds list`: health and usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.feeds import find_feed
from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.db.models import Feed, Story, Subscriber, Subscription

# "Items per day" is averaged over this window, by publication time: the first poll of a new feed
# stores its whole backlog at once, which would inflate a count by fetch time.
RATE_WINDOW_DAYS = 7
# Less history than this and a feed's rate is not given (FeedRow.new): a few hours' items are no day.
MIN_HISTORY = timedelta(days=1)


@dataclass(frozen=True)
class FeedRow:
    id: int
    name: str
    url: str
    status: str
    origin: str
    last_success_at: datetime | None
    consecutive_errors: int
    items_per_day: float
    subscribers: int
    # Under a day of history (added today, its items all from today): `items_per_day` is then the
    # count so far, a lower bound, and /feeds says "new" rather than a rate.
    new: bool = False


@dataclass(frozen=True)
class FeedsPage:
    rows: list[FeedRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class FeedDetail:
    row: FeedRow
    site_url: str | None
    interval: float
    last_checked_at: datetime | None
    next_check_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    created_at: datetime | None
    stories_total: int
    latest_titles: list[str]


async def list_feeds(db: Database, *, page: int = 0, per_page: int = 10) -> FeedsPage:
    async with db.read() as session:
        total = int(await session.scalar(select(func.count()).select_from(Feed)) or 0)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        feeds = list(
            (
                await session.scalars(select(Feed).order_by(Feed.id).offset(page * per_page).limit(per_page))
            ).all()
        )
        rows = await _rows(session, feeds)
    return FeedsPage(rows=rows, total=total, page=page, pages=pages)


async def all_feeds(db: Database) -> list[FeedRow]:
    async with db.read() as session:
        feeds = list((await session.scalars(select(Feed).order_by(Feed.id))).all())
        return await _rows(session, feeds)


async def feed_detail(db: Database, ref: str) -> FeedDetail | None:
    async with db.read() as session:
        feed = await find_feed(session, ref)
        if feed is None:
            return None
        (row,) = await _rows(session, [feed])
        stories_total = int(
            await session.scalar(select(func.count()).select_from(Story).where(Story.feed_id == feed.id)) or 0
        )
        titles = list(
            (
                await session.scalars(
                    select(Story.title)
                    .where(Story.feed_id == feed.id)
                    .order_by(Story.published_at.desc(), Story.id.desc())
                    .limit(3)
                )
            ).all()
        )
    return FeedDetail(
        row=row,
        site_url=feed.site_url,
        interval=feed.interval,
        last_checked_at=_utc(feed.last_checked_at),
        next_check_at=_utc(feed.next_check_at),
        last_error=feed.last_error,
        last_error_at=_utc(feed.last_error_at),
        created_at=_utc(feed.created_at),
        stories_total=stories_total,
        latest_titles=titles,
    )


async def _rows(session: AsyncSession, feeds: list[Feed]) -> list[FeedRow]:
    if not feeds:
        return []
    ids = [f.id for f in feeds]
    now = utcnow()
    since = now - timedelta(days=RATE_WINDOW_DAYS)
    recent = {
        feed_id: (int(n), oldest)
        for feed_id, n, oldest in (
            await session.execute(
                select(Story.feed_id, func.count(), func.min(Story.published_at))
                .where(Story.feed_id.in_(ids), Story.published_at >= since)
                .group_by(Story.feed_id)
            )
        ).all()
    }
    subs = _pairs(
        await session.execute(
            select(Subscription.target, func.count())
            .join(Subscriber, Subscriber.chat_id == Subscription.chat_id)
            .where(
                Subscription.kind == "feed",
                Subscription.target.in_([str(i) for i in ids]),
                Subscriber.active.is_(True),
            )
            .group_by(Subscription.target)
        )
    )
    rows = []
    for f in feeds:
        count, oldest = recent.get(f.id, (0, None))
        history = _history(f, oldest, since, now)
        days = max(history, MIN_HISTORY).total_seconds() / 86400
        rows.append(
            FeedRow(
                id=f.id,
                name=f.name,
                url=f.url,
                status=f.status,
                origin=f.origin,
                last_success_at=_utc(f.last_success_at),
                consecutive_errors=f.consecutive_errors or 0,
                items_per_day=round(count / days, 1),
                subscribers=int(subs.get(str(f.id), 0)),
                new=history < MIN_HISTORY,
            )
        )
    return rows


def _history(feed: Feed, oldest: datetime | None, since: datetime, now: datetime) -> timedelta:
    """How much of the rate window the feed's items were seen for: since it was added, or since its
    oldest item in the window when the first poll brought a backlog (a feed added an hour ago whose
    items span three days has three days of history). Dividing a new feed's count by the whole
    window understated its rate up to sevenfold."""
    start = _utc(feed.created_at) or since
    if oldest is not None:
        start = min(start, as_utc(oldest))
    return now - max(start, since)


def _pairs(result: Any) -> dict[Any, int]:
    # Not dict(result): a Result has .keys() (its column names), so dict() would read it as a mapping.
    return {key: int(n) for key, n in result.all()}


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None
