"""search: invisible characters inside a word no longer cut it in two (re-analyses the stories that hold one)

Revision ID: search_0011
Revises: search_0010

Normalisation now drops what shows nothing: a soft hyphen a CMS hyphenates with («الحكو&shy;مة»),
the zero-width (non-)joiners a Persian keyboard types inside words, direction marks, the BOM. Clean
text had them removed already; titles kept them, so «الحكومة» in such a title was indexed as two
halves and neither /search nor a follower of the word found it. Only the stories whose title or
text holds one are analysed again. Downgrade leaves the index as it is: a reindex
(`akhbar search --reindex`) rebuilds it exactly.
"""

import re
from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

from bot.search.index import reanalyse_all_sync
from summarizer.normalize import INVISIBLE

revision: str = "search_0011"
down_revision: str | Sequence[str] | None = "search_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def upgrade() -> None:
    reanalyse_all_sync(
        Session(bind=op.get_bind()),
        only=lambda title, text: bool(_INVISIBLE.search(title) or _INVISIBLE.search(text)),
    )


def downgrade() -> None:
    pass
