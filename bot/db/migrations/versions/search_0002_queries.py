"""search: /search queries kept server-side for the page buttons

Revision ID: search_0002
Revises: search_0001
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "search_0002"
down_revision: Union[str, Sequence[str], None] = "search_0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "search_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_search_queries_used_at", "search_queries", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_search_queries_used_at", table_name="search_queries")
    op.drop_table("search_queries")
