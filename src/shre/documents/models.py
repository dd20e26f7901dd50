from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, Timestamps, UUIDPrimaryKey, utcnow
from shre.policy import DOCUMENT_CATEGORIES

BACKENDS = ("local", "s3")
# What the full-text index knows of a document's current version.
SEARCH_STATES = ("indexed", "excluded", "empty", "too_large", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Document(UUIDPrimaryKey, Timestamps, Base):
    """A document and, denormalised for lists, its current version's file facts
    (filename, content type, size, checksum, uploader). Every version's file is a
    `DocumentVersion`. Files of an employee's document are encrypted (local storage) under
    that employee's data key; a document of no employee has its own data key, wrapped by
    the master key in `dek_wrapped`. `deleted_at` marks a soft delete: the files stay for
    DOCUMENT_RETENTION_DAYS, then `shre documents purge` removes them and the rows."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_in("category", DOCUMENT_CATEGORIES), name="category"),
        CheckConstraint(_in("search_state", SEARCH_STATES), name="search_state"),
        Index("ix_documents_employee_id_category", "employee_id", "category"),
        # Document compliance (analytics): the live documents' employee, category and
        # expiry in an index alone (PostgreSQL: an index-only scan).
        Index(
            "ix_documents_live",
            "employee_id",
            "category",
            postgresql_include=["expires_on"],
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_documents_created_at_id", "created_at", "id"),
    )

    employee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("employees.id", ondelete="RESTRICT"), default=None
    )
    title: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(16), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True, default=None)
    # the current version
    current_version: Mapped[int] = mapped_column(default=1)
    # Object keys handed out (`v{slot}` in the key): every upload reserves the next one
    # in a transaction of its own before it streams, so two concurrent uploads of a new
    # version never write to the same object. Versions number 1, 2, 3 ... regardless.
    key_slots: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    search_state: Mapped[str] = mapped_column(String(16), default="excluded")
    # What the processing job found (shre.documents.tasks): the version it last finished,
    # the category and expiry date the file's text suggests, and how sure the classifier
    # was. Written by the job alone, without a new lock_version: the ETag guards what a
    # PATCH changes, and the job changes none of it.
    processed_version: Mapped[int | None] = mapped_column(default=None)
    suggested_category: Mapped[str | None] = mapped_column(String(16), default=None)
    category_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    suggested_expires_on: Mapped[date | None] = mapped_column(Date, default=None)
    # When hr or an admin last set or confirmed the category (a labelled example).
    category_reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    category_reviewed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # the data key of a document of no employee (employees' documents use theirs)
    dek_wrapped: Mapped[str | None] = mapped_column(Text, default=None)
    dek_key_id: Mapped[str | None] = mapped_column(String(8), index=True, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # optimistic locking and the ETag; bumped by every change, a new version included
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class DocumentVersion(UUIDPrimaryKey, Base):
    """One uploaded file of a document. `storage_backend` says where the object lives:
    `shre storage migrate` moves it and switches this column once the copy is verified."""

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "version"),
        CheckConstraint(_in("storage_backend", BACKENDS), name="storage_backend"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    object_key: Mapped[str] = mapped_column(String(255), unique=True)
    storage_backend: Mapped[str] = mapped_column(String(8), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSent(Base):
    """A daily reminder of expiring documents that went out: to whom (`user:<id>` for hr,
    `employee:<id>` for an employee's own) and on which day, so that a retried job does
    not send it twice."""

    __tablename__ = "reminders_sent"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), primary_key=True)
    documents: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentVector(Base):
    """A document's embedding for semantic search (`shre.documents.vectors`): its current
    version's text as the embedding model saw it, L2-normalised float32 bytes. Indexed
    categories only, like the words of the full-text index."""

    __tablename__ = "document_vectors"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int]
    model: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ClassifierModel(UUIDPrimaryKey, Base):
    """A document classifier retrained on the organisation's reviewed categories
    (`shre.documents.training`): the skops bytes sealed under a subkey of the master key
    (its TF-IDF vocabulary holds words of the organisation's documents), the SHA-256 of
    the bytes the loader checks, and how it measured. At most one is active; none active:
    the model the installation ships."""

    __tablename__ = "classifier_models"
    __table_args__ = (
        Index(
            "ux_classifier_models_active",
            "active",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )

    version: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    # Reviewed documents it learnt from, and the newest review among them.
    labels: Mapped[int]
    labelled_until: Mapped[datetime]
    # Its measures (macro-F1s, documents per category: no text), and why it was or was
    # not made the active model.
    metrics: Mapped[dict[str, object]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(200))
