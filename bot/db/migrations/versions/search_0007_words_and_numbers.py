"""search: «علي» apart from «عليهم», رياضة apart from الرياض, F-16 and 1.2 as one term (re-analyses every story)

Revision ID: search_0007
Revises: search_0006

The analyzer drops prepositions with a pronoun as function words (عليهم was علي + هم and was found
by the name «علي»; لديهم، إليهم), keeps whole the words of ta_marbuta.txt whose ة is part of the
word (رياضة "sport" was the term of الرياض "Riyadh"; جامعة، الجمعة) and meets their plurals and
adjectives with them, keeps a name of letters and a number as one term besides its parts (F-16,
S-400, COVID-19, إس 400), and a decimal or a grouped number (1.2, ١٫٢، 1,200); the normalisation
reads Arabic presentation forms (text copied from PDFs) as the letters they show. Stories with any
of these index differently, which is most of them, so every story is analysed again, as
search_0006 did: half a minute on the whole ANT corpus in SQLite (25,822 stories, 30 s of CPU),
once, when the bot starts on the upgraded code. Downgrade leaves the index as it is: the older
analyzer finds most stories through it, and a reindex (`akhbar search --reindex`) rebuilds it
exactly.
"""

from typing import Sequence, Union

from alembic import op
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from bot.search.index import replace_story_rows_sync
from bot.search.terms import story_terms

revision: str = "search_0007"
down_revision: Union[str, Sequence[str], None] = "search_0006"
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
