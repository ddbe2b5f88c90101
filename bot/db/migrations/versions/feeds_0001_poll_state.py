"""feed poller: poll state (RSS ttl), the routing queue, an index on stories.fetched_at

Revision ID: feeds_0001
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feeds_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_poll_state",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("ttl_seconds", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_id"),
    )
    op.create_table(
        "feed_route_queue",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id"),
    )
    op.create_index("ix_stories_fetched_at", "stories", ["fetched_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stories_fetched_at", table_name="stories")
    op.drop_table("feed_route_queue")
    op.drop_table("feed_poll_state")
