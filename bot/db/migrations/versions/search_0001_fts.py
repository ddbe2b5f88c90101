"""search: the keyword index (FTS5 on SQLite, a plain terms table elsewhere)

Revision ID: search_0001
Revises: 0001

Stories already stored are indexed here, so an upgraded database is searchable at once.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "search_0001"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Terms are analysed in Python (bot.search.analyzer) and stored space-separated, so the
        # FTS5 tokenizer only has to split on spaces; unicode61 keeps Arabic letters intact.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title_terms, body_terms, tokenize = 'unicode61 remove_diacritics 0')"
        )
        # Deleting a story removes it from the index: nothing to remember in Python.
        op.execute(
            "CREATE TRIGGER search_fts_story_deleted AFTER DELETE ON stories "
            "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END"
        )
    else:
        op.create_table(
            "search_fts",
            sa.Column(
                "rowid",
                sa.Integer(),
                sa.ForeignKey("stories.id", ondelete="CASCADE"),
                primary_key=True,
                autoincrement=False,
            ),
            sa.Column("title_terms", sa.Text(), nullable=False, server_default=""),
            sa.Column("body_terms", sa.Text(), nullable=False, server_default=""),
        )
    _index_existing(bind)


def _index_existing(bind: sa.engine.Connection) -> None:
    from bot.search.terms import story_terms

    rows = bind.execute(
        sa.text("SELECT id, title, text, summary FROM stories WHERE duplicate_of IS NULL")
    ).fetchall()
    for row in rows:
        title_terms, body_terms = story_terms(row.title, row.text, row.summary)
        bind.execute(
            sa.text("INSERT INTO search_fts (rowid, title_terms, body_terms) VALUES (:id, :t, :b)"),
            {"id": row.id, "t": title_terms, "b": body_terms},
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_fts_story_deleted")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.drop_table("search_fts")
