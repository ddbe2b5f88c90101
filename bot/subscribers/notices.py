"""Messages the bot sends a subscriber on its own initiative, not as a reply: a feed they followed
was removed by an admin. Queued in the outbox, so they go out at Telegram's pace and survive a restart.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.db.database import Database
from bot.db.models import Subscriber, Subscription
from bot.subscribers.texts import say


async def feed_subscribers(session: AsyncSession, feed_id: int) -> list[tuple[int, str]]:
    """(chat id, language) of the active chats subscribed to the feed, read in the caller's
    transaction (bot.admin.feeds.remove_feed reads them just before it deletes the subscriptions)."""
    rows = (
        await session.execute(
            select(Subscriber.chat_id, Subscriber.language)
            .join(Subscription, Subscription.chat_id == Subscriber.chat_id)
            .where(
                Subscription.kind == "feed",
                Subscription.target == str(feed_id),
                Subscriber.active.is_(True),
            )
        )
    ).all()
    return [(int(chat), "en" if language == "en" else "ar") for chat, language in rows]


async def tell_feed_removed(db: Database, feed_id: int, name: str, chats: list[tuple[int, str]]) -> int:
    """One notice per chat, in its language. Returns the rows queued."""
    from bot.delivery.outbox import TEXT, insert_rows, notify, payload

    # The time too: SQLite may give a later feed the id of a removed one (the highest id is reused).
    key = f"feed_removed:{feed_id}:{utcnow().timestamp():.0f}"
    rows = [
        {
            "chat_id": chat,
            "kind": TEXT,
            "dedup_key": key,
            "payload": payload(say("feed_removed", lang, name=name)),
        }
        for chat, lang in chats
    ]
    if not rows:
        return 0
    async with db.write() as session:
        created = await insert_rows(session, rows)
    notify(db)
    return created
