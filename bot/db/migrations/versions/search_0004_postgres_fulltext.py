"""search: PostgreSQL full-text index over the analysed terms (no change on SQLite)

Revision ID: search_0004
Revises: search_0003

On PostgreSQL, search used to scan the terms with LIKE: every query read every story's terms and
ranked without relevance or recency. A stored tsvector of the same analysed terms (title terms
weighted A, body terms B) with a GIN index lets search find its matches through the index and rank
them by ts_rank, as FTS5 and bm25 do on SQLite. The 'simple' configuration only lower-cases, and
the terms are already analysed (bot.search.analyzer), so the lexemes are the terms themselves.
"""

from typing import Sequence, Union

from alembic import op

revision: str = "search_0004"
down_revision: Union[str, Sequence[str], None] = "search_0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE search_fts ADD COLUMN document tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, body_terms), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_search_fts_document ON search_fts USING gin (document)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_fts_document")
    op.execute("ALTER TABLE search_fts DROP COLUMN IF EXISTS document")
