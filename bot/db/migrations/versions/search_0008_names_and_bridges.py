"""search: ألمانيا not ال + مانيا, فرنسا meets الفرنسية, اليمنى not اليمني, قطرة not قطر (re-analyses every story)

Revision ID: search_0008
Revises: search_0007

The analyzer reads the ال of a few words as their own letters (al_words.txt: ألمانيا was ال + مانيا
and met «ساديو ماني», never الألمانية; إلكتروني، ألعاب، آلاف، إلغاء), folds countries written with a
final ا onto their adjective (variants.txt: فرنسا، كندا، سويسرا، هولندا، آسيا ...) and keeps
الأرجنتين and الإمارات whole so that their adjectives meet them, reads «اليمنى» "right (side)" off its
written ى (alef_maqsura.txt) instead of as «اليمني» "Yemeni", keeps قطرة، مُصرّة، حلبة، دورية whole
(ta_marbuta.txt: they were قطر، مصر، حلب and the league's دوري), and bridges الصحية to صحة,
النفطية to النفط, مباريات to مباراة. Stories with any of these index differently, so every story is
analysed again, as search_0007 did: half a minute on the whole ANT corpus in SQLite (25,822
stories), once, when the bot starts on the upgraded code. Downgrade leaves the index as it is: the
older analyzer finds most stories through it, and a reindex (`akhbar search --reindex`) rebuilds it
exactly.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.orm import Session

from bot.search.index import reanalyse_all_sync

revision: str = "search_0008"
down_revision: str | Sequence[str] | None = "search_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reanalyse_all_sync(Session(bind=op.get_bind()))


def downgrade() -> None:
    pass
