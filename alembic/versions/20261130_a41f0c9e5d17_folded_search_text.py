"""folded search text: accent-insensitive search and the name sort

Revision ID: a41f0c9e5d17
Revises: 9d3e5b7c1a42
Create Date: 2026-11-30 03:20:00

`verification_session.search_text` was "name email reference" lower-cased, so
"muller" did not find Müller and a name sort put Élodie after Zoë. It is now
folded (lower case without accents, services/sessions/links.fold) and the
search folds its query the same way. Existing rows are folded here, in
batches. The name sort orders by the folded text: a new index
(application_id, search_text, created_at, id) serves it on both databases.
"""
import unicodedata
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'a41f0c9e5d17'
down_revision: Union[str, Sequence[str], None] = '9d3e5b7c1a42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe",
                          "ı": "i", "ħ": "h", "ŧ": "t"})


def _fold(text: str) -> str:
    """services/sessions/links.fold as of this revision (a migration never imports the app's code)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)[:800]


def _refold(fold) -> None:
    conn = op.get_bind()
    vs = sa.table("verification_session", sa.column("id", sa.Integer), sa.column("user_name", sa.String),
                  sa.column("user_email", sa.String), sa.column("reference", sa.String),
                  sa.column("search_text", sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(vs.c.id, vs.c.user_name, vs.c.user_email, vs.c.reference)
                            .where(vs.c.id > last).order_by(vs.c.id).limit(2000)).all()
        if not rows:
            break
        conn.execute(vs.update().where(vs.c.id == sa.bindparam("rid")).values(search_text=sa.bindparam("text")),
                     [{"rid": r.id, "text": fold(f"{r.user_name} {r.user_email} {r.reference or ''}")}
                      for r in rows])
        last = rows[-1].id


def upgrade() -> None:
    _refold(_fold)
    op.create_index('ix_vs_app_sort_text', 'verification_session',
                    ['application_id', 'search_text', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_vs_app_sort_text', table_name='verification_session')
    _refold(lambda text: text.lower())
