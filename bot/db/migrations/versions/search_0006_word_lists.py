"""search: words in their own right, short names, place adjectives, name spellings (re-analyses every story)

Revision ID: search_0006
Revises: search_0005

The analyzer no longer reads a proclitic off a word in its own right (بحرية is not ب + حرية,
وزارة not و + زارة, فلاديمير not ف + لاديمير), bridges the adjectives of short place names
(اليمنية → يمن، المصري → مصر، الحلبي → حلب), folds spelling variants of one name (ترمب → ترامب، الأميركية →
امريكي) and Persian letters (ڤ → ف). Almost every story has one of these words, so every story is
analysed again: the whole ANT corpus (25,822 stories) in SQLite took about a minute (32 s of CPU),
once, when the bot starts on the upgraded code. Downgrade
leaves the index as it is: the older analyzer finds most stories through it, and a reindex
(`akhbar search --reindex`) rebuilds it exactly.
"""

from typing import Sequence, Union

from alembic import op
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from bot.search.index import replace_story_rows_sync
from bot.search.terms import story_terms

revision: str = "search_0006"
down_revision: Union[str, Sequence[str], None] = "search_0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    session = Session(bind=bind)
    ids = session.scalars(text("SELECT id FROM stories WHERE duplicate_of IS NULL ORDER BY id")).all()
    for start in range(0, len(ids), _BATCH):
        rows = session.execute(
            text("SELECT id, title, text, summary FROM stories WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": list(ids[start : start + _BATCH])},
        ).all()
        terms = [(story_id, *story_terms(title, body, summary)) for story_id, title, body, summary in rows]
        replace_story_rows_sync(session, terms)
    session.flush()
    if bind.dialect.name == "sqlite" and ids:
        # Merge the segments the rewrite left behind, as reindex_all does.
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


def downgrade() -> None:
    pass
