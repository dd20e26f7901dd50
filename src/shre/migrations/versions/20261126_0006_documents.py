"""documents, their versions (which storage backend holds each file), and the full-text
index of their contents (PostgreSQL: tsvector + GIN; SQLite: an FTS5 table)

The index table is not part of the ORM metadata (its shape differs per database); see
shre.documents.search.

Revision ID: 20261126_0006
Revises: 20261126_0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261126_0006"
down_revision: str | None = "20261126_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
CATEGORIES = (
    "contract",
    "identity",
    "payslip",
    "tax",
    "certificate",
    "performance",
    "medical",
    "policy",
    "other",
)
SEARCH_STATES = ("indexed", "excluded", "empty", "too_large", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("key_slots", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("search_state", sa.String(length=16), nullable=False),
        sa.Column("dek_wrapped", sa.Text(), nullable=True),
        sa.Column("dek_key_id", sa.String(length=8), nullable=True),
        sa.Column("deleted_at", TZ, nullable=True),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(_in("category", CATEGORIES), name=op.f("ck_documents_category")),
        sa.CheckConstraint(
            _in("search_state", SEARCH_STATES), name=op.f("ck_documents_search_state")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_documents_employee_id_employees"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    for column in ("category", "expires_on", "dek_key_id", "deleted_at"):
        op.create_index(op.f(f"ix_documents_{column}"), "documents", [column])
    op.create_index("ix_documents_employee_id_category", "documents", ["employee_id", "category"])
    op.create_index("ix_documents_created_at_id", "documents", ["created_at", "id"])

    op.create_table(
        "document_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(length=255), nullable=False),
        sa.Column("storage_backend", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "storage_backend IN ('local', 's3')",
            name=op.f("ck_document_versions_storage_backend"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_document_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_versions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint(
            "document_id", "version", name=op.f("uq_document_versions_document_id_version")
        ),
        sa.UniqueConstraint("object_key", name=op.f("uq_document_versions_object_key")),
    )
    op.create_index(op.f("ix_document_versions_document_id"), "document_versions", ["document_id"])
    op.create_index(
        op.f("ix_document_versions_storage_backend"), "document_versions", ["storage_backend"]
    )

    if op.get_bind().dialect.name == "postgresql":
        # The set of words of a document's current version (positions stripped), never
        # its text; 'simple': no language-specific stemming, like SQLite's tokenizer.
        op.execute(
            "CREATE TABLE document_search ("
            " document_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,"
            " terms tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_document_search_terms ON document_search USING gin (terms)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE document_search USING fts5("
            "document_id UNINDEXED, terms, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS document_search")
    op.drop_table("document_versions")
    op.drop_table("documents")
