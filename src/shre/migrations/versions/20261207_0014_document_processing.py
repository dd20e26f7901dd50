"""document processing: what the background job found in a document's file

After an upload (or a change of category) a job reads the file, indexes its words and
suggests a category and an expiry date (`shre.documents.tasks`). `processed_version` is
the version it last finished (NULL: not yet; existing documents are processed by the
catch-up task). `category_reviewed_at`/`_by`: when hr or an admin last set or confirmed
the category, which makes the document a labelled example for the classifier.

Revision ID: 20261207_0014
Revises: 20261207_0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0014"
down_revision: str | None = "20261207_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    sa.Column("processed_version", sa.Integer(), nullable=True),
    sa.Column("suggested_category", sa.String(length=16), nullable=True),
    sa.Column("category_confidence", sa.Float(), nullable=True),
    sa.Column("suggested_expires_on", sa.Date(), nullable=True),
    sa.Column("category_reviewed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("category_reviewed_by", sa.Uuid(), nullable=True),
)


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (nullable, no default: no copy of the table).
    for column in _COLUMNS:
        op.add_column("documents", column)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column.name)
