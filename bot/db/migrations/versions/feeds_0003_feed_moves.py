"""feed poller: feeds that moved (permanent redirects), and the URLs they had before

Revision ID: feeds_0003
Revises: feeds_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feeds_0003"
down_revision: str | Sequence[str] | None = "feeds_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_poll_state") as batch:
        batch.add_column(sa.Column("moved_to", sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column("moved_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "feed_url_aliases",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_index("ix_feed_url_aliases_feed_id", "feed_url_aliases", ["feed_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_url_aliases_feed_id", table_name="feed_url_aliases")
    op.drop_table("feed_url_aliases")
    with op.batch_alter_table("feed_poll_state") as batch:
        batch.drop_column("moved_count")
        batch.drop_column("moved_to")
