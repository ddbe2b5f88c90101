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

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

from bot.search.index import reanalyse_all_sync

revision: str = "search_0006"
down_revision: str | Sequence[str] | None = "search_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reanalyse_all_sync(Session(bind=op.get_bind()))


def downgrade() -> None:
    pass
