"""subscribers: whether another outlet's story on an event the chat has a card of joins that card
(bot.delivery.grouping); on for every chat, as for new ones

Revision ID: subscribers_0001
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "subscribers_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("group_events", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("group_events")
