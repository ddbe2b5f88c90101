"""search: a followed keyword is stored as typed, not normalised (هجوم على غزة was «هجوم علي غزه»)

Revision ID: search_0009
Revises: search_0008

Routing analyses a keyword row's `target` each time it matches a story. The target used to be the
normalised words, and normalising loses what the analyzer reads: «على» "on" became the name «علي»
(«هجوم على غزة» needed the name; «العقوبات على إيران» matched «علي خامنئي»), 5.5 became «5 5»
(nothing), 1.5 مليار became مليار, COVID-19 two words. New rows keep a final ى and the punctuation
inside words (bot.subscribers.service.stored_keyword); this gives the rows written before the same
target, from their `display` (the words as the user typed them). A row without a display,
or whose words would analyse to nothing, keeps its target. The new target is never taken by another
row of the chat (it analyses like the old one or better, and normalising is coarser), but a clash is
checked anyway and leaves the row as it was. Downgrade leaves the targets: the older code analyses
them the same way and reads them better than its own.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from bot.search.analyzer import keyword_groups
from summarizer.normalize import fold_letters, plain_letters, strip_diacritics

revision: str = "search_0009"
down_revision: str | Sequence[str] | None = "search_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TARGET_CHARS = 300  # subscriptions.target is String(300)


def _stored(display: str) -> str:
    # As bot.subscribers.service.stored_keyword, kept here so that this revision does not change.
    plain = strip_diacritics(plain_letters(" ".join(display.split())))
    return "ى".join(fold_letters(part) for part in plain.split("ى"))


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        text("SELECT id, chat_id, target, display FROM subscriptions WHERE kind = 'keyword' ORDER BY id")
    ).all()
    taken = {(chat_id, target) for _, chat_id, target, _ in rows}
    for row_id, chat_id, target, display in rows:
        if not display:
            continue
        new = _stored(display)
        if new == target or len(new) > _TARGET_CHARS or (chat_id, new) in taken or not keyword_groups(new):
            continue
        bind.execute(
            text("UPDATE subscriptions SET target = :target WHERE id = :id"), {"target": new, "id": row_id}
        )
        taken.discard((chat_id, target))
        taken.add((chat_id, new))


def downgrade() -> None:
    pass
