"""search: covering index on the story columns that ranking and filters read

Revision ID: search_0003
Revises: search_0002

Ranking joins every match to `stories` for published_at, duplicate_of, source and feed_id.
duplicate_of sits after the long `text` column, so reading it from the row walks the text's
overflow pages; this index answers the join without touching the rows.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "search_0003"
down_revision: Union[str, Sequence[str], None] = "search_0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        "ix_stories_search_meta",
        "stories",
        ["id", "published_at", "duplicate_of", "source", "feed_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_stories_search_meta", table_name="stories")
