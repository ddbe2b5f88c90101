"""search: the name «علي» becomes searchable (re-analyses the stories that have it)

Revision ID: search_0005
Revises: search_0004

The analyzer dropped «على» (on) as a stop word after folding ى into ي, which made the name «علي»
(Ali) a stop word too: a search for «علي» found nothing. It now tells the two apart by how they are
written (bot.search.analyzer). Only stories that write «علي» index differently, so only those are
analysed again; the rest of the index stays as it is. Downgrade leaves the index as it is: the extra
terms are harmless to the older analyzer.
"""

import re
from typing import Sequence, Union

from alembic import op
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from bot.search.index import replace_story_rows_sync
from bot.search.terms import story_terms
from summarizer.normalize import strip_diacritics

revision: str = "search_0005"
down_revision: Union[str, Sequence[str], None] = "search_0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ALI = re.compile(r"(?<![\u0621-\u064A])[وف]?علي(?![\u0621-\u064A])")
_BATCH = 500


def upgrade() -> None:
    session = Session(bind=op.get_bind())
    ids = session.scalars(
        text(
            "SELECT id FROM stories WHERE duplicate_of IS NULL AND (title LIKE '%علي%' "
            "OR text LIKE '%علي%' OR CAST(summary AS TEXT) LIKE '%علي%') ORDER BY id"
        )
    ).all()
    for start in range(0, len(ids), _BATCH):
        rows = session.execute(
            text("SELECT id, title, text, summary FROM stories WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": list(ids[start : start + _BATCH])},
        ).all()
        changed = [
            (story_id, *story_terms(title, body, summary))
            for story_id, title, body, summary in rows
            if any(_ALI.search(strip_diacritics(str(part or ""))) for part in (title, body, summary))
        ]
        if changed:
            replace_story_rows_sync(session, changed)
    session.flush()


def downgrade() -> None:
    pass
