"""search: names written joined or apart are one name (عبدالله / عبد الله, نصرالله, أبوظبي) (re-analyses every story)

Revision ID: search_0010
Revises: search_0009

The analyzer now reads عبد + ال… (عبدالله، عبدالعزيز، عبدالفتاح), عبدربه, a name ending in الله
(نصرالله، فتحالله) and أبوظبي as their two words, as the stories that write them apart do. ANT
writes both forms about as often («عبد الله الثاني» 79 stories, «عبدالله الثاني» 50; «أبو ظبي» 35,
«أبوظبي» 222), and each spelling found only its own stories. Stories with a joined name index
differently, so every story is analysed again, as search_0008 did (half a minute on the whole ANT
corpus in SQLite, once, when the bot starts on the upgraded code). Downgrade leaves the index as it
is: a reindex (`akhbar search --reindex`) rebuilds it exactly.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

from bot.search.index import reanalyse_all_sync

revision: str = "search_0010"
down_revision: str | Sequence[str] | None = "search_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reanalyse_all_sync(Session(bind=op.get_bind()))


def downgrade() -> None:
    pass
