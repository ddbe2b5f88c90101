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

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

from bot.search.index import reanalyse_all_sync

revision: str = "search_0007"
down_revision: str | Sequence[str] | None = "search_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reanalyse_all_sync(Session(bind=op.get_bind()))


def downgrade() -> None:
    pass
