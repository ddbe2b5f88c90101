"""feed poller: entry digests, to notice a story the outlet corrected under the same guid

Revision ID: feeds_0002
Revises: feeds_0001

Entries stored before this revision have no digest: their first poll after it records one and
updates nothing (there is nothing to compare with).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feeds_0002"
down_revision: str | Sequence[str] | None = "feeds_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_entry_digests",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(length=512), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_id", "entry_key"),
    )


def downgrade() -> None:
    op.drop_table("feed_entry_digests")
