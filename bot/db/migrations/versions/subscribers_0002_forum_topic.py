"""subscribers: the forum topic a supergroup's news goes to (its admins' last change was made there)

Revision ID: subscribers_0002
Revises: subscribers_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "subscribers_0002"
down_revision: str | Sequence[str] | None = "subscribers_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("thread_id")
