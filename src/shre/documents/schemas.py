from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shre.documents.models import Document
from shre.kit.text import no_control_chars

Category = Literal[
    "contract",
    "identity",
    "payslip",
    "tax",
    "certificate",
    "performance",
    "medical",
    "policy",
    "other",
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(no_control_chars),
]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    AfterValidator(no_control_chars),
]
MAX_TAGS = 20


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_distinct)]


class UploadFields(BaseModel):
    """The form fields of `POST /documents` (they come before the `file` part)."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    employee_id: uuid.UUID | None = None
    title: Title | None = None
    expires_on: date | None = None
    tags: Tags = Field(default_factory=list)


class DocumentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    category: Category | None = None
    tags: Tags | None = None
    expires_on: date | None = None


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    employee_id: uuid.UUID | None
    title: str
    category: str
    filename: str
    content_type: str
    size: int
    sha256: str
    version: int
    expires_on: date | None
    tags: list[str]
    uploaded_by: uuid.UUID | None
    created_at: datetime
    # What the processing job found in the current version (null until it ran, or when
    # the classifier is off): a category and its probability, the expiry date the text
    # states. The uploader's `category` stands until someone changes it.
    processed: bool
    suggested_category: str | None
    category_confidence: float | None
    suggested_expires_on: date | None
    # When hr or an admin last set or confirmed the category.
    category_reviewed_at: datetime | None


def document_out(document: Document) -> DocumentOut:
    """A document as the API shows it (its current version's file)."""
    return DocumentOut(
        id=document.id,
        employee_id=document.employee_id,
        title=document.title,
        category=document.category,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        version=document.current_version,
        expires_on=document.expires_on,
        tags=list(document.tags or []),
        uploaded_by=document.uploaded_by,
        created_at=document.created_at,
        processed=document.processed_version == document.current_version,
        suggested_category=document.suggested_category,
        category_confidence=document.category_confidence,
        suggested_expires_on=document.suggested_expires_on,
        category_reviewed_at=document.category_reviewed_at,
    )


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID | None
    created_at: datetime


class DownloadUrlOut(BaseModel):
    url: str
    expires_at: datetime
