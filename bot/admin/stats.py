"""Usage and health figures for /stats, and the 14-day chart sent with them.

Days are counted in the time zone given, the reading admin's own (/settings), so "today" means their
day, not UTC's nor the server's. Timestamps are bucketed in Python so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clock import as_utc, utcnow
from bot.db.database import Database
from bot.db.models import Feed, Outbox, Story, Subscriber
from bot.delivery import outbox
from bot.i18n import number

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # imported when drawing: matplotlib is slow to import

CHART_DAYS = 14
# Subscriber.inactive_reason values that mean the chat left on purpose (/stop), not blocked us.
STOPPED_REASONS = frozenset({"stop", "stopped", "/stop", "user_stop"})


@dataclass(frozen=True)
class DayCount:
    day: date
    stories: int
    deliveries: int
    failures: int


@dataclass(frozen=True)
class Stats:
    subscribers_active: int
    subscribers_blocked: int
    subscribers_stopped: int
    feeds_active: int
    feeds_paused: int
    feeds_failing: int
    queue: int
    days: list[DayCount]  # oldest first, the last one is today
    started: date | None = None  # the instance's first day (its first feed, story or subscriber)

    @property
    def today(self) -> DayCount:
        return self.days[-1]

    def average(self, attr: str) -> float:
        """A day's average over the chart's whole days since the instance started: today is not
        over (at noon it would halve the figure), and days before the instance existed are not
        days it had nothing, and its first day was partial too. A younger instance averages today."""
        full = [d for d in self.days[:-1] if self.started is None or d.day > self.started]
        counted = full or [self.today]
        return round(sum(getattr(d, attr) for d in counted) / len(counted), 1)


async def pending_messages(db: Database) -> int:
    from bot.delivery.outbox import pending_count

    return int(await pending_count(db))


async def collect(db: Database, *, timezone: str = "UTC", days: int = CHART_DAYS) -> Stats:
    tz = ZoneInfo(timezone)
    today = utcnow().astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    async with db.read() as session:
        subscribers = (await session.execute(select(Subscriber.active, Subscriber.inactive_reason))).all()
        feed_status = {
            status: int(n)
            for status, n in (
                await session.execute(select(Feed.status, func.count()).group_by(Feed.status))
            ).all()
        }
        # By when they were published, as /feeds counts a feed's items a day: a feed added today
        # brings its whole archive, which is not today's news. A story two feeds carry is one story
        # (the second copy is stored as a duplicate of the first, for its feed's own listing).
        published = func.coalesce(Story.published_at, Story.fetched_at)
        story_times = (
            await session.scalars(select(published).where(published >= start, Story.duplicate_of.is_(None)))
        ).all()
        sent_times = (
            await session.scalars(
                # Messages that brought readers news: cards, digests, broadcasts. An edit of a card
                # already there is not one more, and alerts and replies to admins are not news.
                select(Outbox.sent_at).where(
                    Outbox.status == "sent",
                    Outbox.sent_at >= start,
                    Outbox.kind.in_((outbox.STORY, outbox.DIGEST, outbox.BROADCAST)),
                )
            )
        ).all()
        failed_times = (
            await session.scalars(
                select(Outbox.created_at).where(Outbox.status == "failed", Outbox.created_at >= start)
            )
        ).all()
        started = min(
            (
                as_utc(t)
                for t in (
                    await session.scalar(select(func.min(Feed.created_at))),
                    await session.scalar(select(func.min(Story.fetched_at))),
                    await session.scalar(select(func.min(Subscriber.created_at))),
                )
                if t is not None
            ),
            default=None,
        )
    queue = await pending_messages(db)

    def bucket(times: object) -> dict[date, int]:
        counts: dict[date, int] = {}
        for t in times:  # type: ignore[attr-defined]
            if t is None:
                continue
            d = as_utc(t).astimezone(tz).date()
            counts[d] = counts.get(d, 0) + 1
        return counts

    stories, sent, failed = bucket(story_times), bucket(sent_times), bucket(failed_times)
    series = [
        DayCount(d, stories.get(d, 0), sent.get(d, 0), failed.get(d, 0))
        for d in (first + timedelta(days=i) for i in range(days))
    ]
    active = sum(1 for is_active, _ in subscribers if is_active)
    stopped = sum(
        1 for is_active, reason in subscribers if not is_active and (reason or "").lower() in STOPPED_REASONS
    )
    return Stats(
        subscribers_active=active,
        subscribers_blocked=len(subscribers) - active - stopped,
        subscribers_stopped=stopped,
        feeds_active=int(feed_status.get("active", 0)),
        feeds_paused=int(feed_status.get("paused", 0)),
        feeds_failing=int(feed_status.get("failing", 0)),
        queue=queue,
        days=series,
        started=started.astimezone(tz).date() if started is not None else None,
    )


def render_chart(stats: Stats, lang: str = "ar") -> bytes:
    """A small PNG: stories per day (bars), deliveries (line), failures (red crosses).

    No words in the picture: matplotlib cannot shape Arabic, so the caption that goes with the
    photo explains the colours in the reader's language. Axis labels are dates and counts in the
    reader's digits (Arabic-Indic for Arabic, as in the caption; digits need no shaping).
    """
    fig = chart_figure(stats, lang)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(stats: Stats, lang: str = "ar") -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig = Figure(figsize=(6.4, 3.2), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    xs = list(range(len(stats.days)))
    ax.bar(xs, [d.stories for d in stats.days], color="#1f77b4", width=0.6)
    ax2 = ax.twinx()
    ax2.plot(xs, [d.deliveries for d in stats.days], color="#ff7f0e", marker="o", linewidth=2)
    failures = [(x, d.failures) for x, d in zip(xs, stats.days, strict=True) if d.failures]
    if failures:
        ax2.scatter(
            [x for x, _ in failures], [f for _, f in failures], color="#d62728", marker="x", s=60, zorder=3
        )
    ax.set_xticks(xs)
    ax.set_xticklabels(
        [number(f"{d.day.day}/{d.day.month}", lang) for d in stats.days], fontsize=7, rotation=45
    )
    counts = FuncFormatter(lambda value, _: number(f"{value:g}", lang))
    ax.yaxis.set_major_formatter(counts)
    ax2.yaxis.set_major_formatter(counts)
    # Counts: no ٠٫٠٥ of a message on an axis with nothing on it.
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", colors="#1f77b4", labelsize=8)
    ax2.tick_params(axis="y", colors="#ff7f0e", labelsize=8)
    ax.set_ylim(bottom=0)
    ax2.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
