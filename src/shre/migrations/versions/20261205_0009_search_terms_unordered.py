"""the SQLite search index keeps each document's words sorted, not in the order they came
in (a sentence could be read back from `document_search.terms`)

PostgreSQL needs nothing: a tsvector keeps its lexemes sorted and distinct, and the
positions were stripped from the start. On SQLite every row is rewritten as its distinct
words in sorted order (what `shre.documents.search.terms` now stores), with
`secure_delete` on so the pages that held the old text are overwritten, and the FTS5
index is merged into one segment, which drops the old positions.

Revision ID: 20261205_0009
Revises: 20261205_0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_0009"
down_revision: str | None = "20261205_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.execute(sa.text("PRAGMA secure_delete = ON"))
    last = -1
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT rowid, terms FROM document_search WHERE rowid > :last"
                " ORDER BY rowid LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        for rowid, terms in rows:
            unordered = " ".join(sorted(set(str(terms or "").split())))
            if unordered != terms:
                bind.execute(
                    sa.text("UPDATE document_search SET terms = :terms WHERE rowid = :rowid"),
                    {"terms": unordered, "rowid": rowid},
                )
        last = rows[-1][0]
    bind.execute(sa.text("INSERT INTO document_search (document_search) VALUES ('optimize')"))


def downgrade() -> None:
    # Nothing to undo: the words are the same, only their order is gone (and cannot be
    # brought back); the older code reads sorted terms as well.
    pass
