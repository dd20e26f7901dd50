"""How documents' metadata is cached: one namespace for the records and the lists, dropped
by every upload, change, deletion or key rotation of a document, and — as it follows the
reporting line (a manager's list is their reports' documents) — by every change of who
reports to whom. Cached rows never carry the document's own wrapped data key (read
fresh when needed)."""

from __future__ import annotations

from shre.cache import Namespace
from shre.cache.rows import RowCodec
from shre.documents.models import Document
from shre.employees.cache import REPORTING_LINE
from shre.settings import Settings

DOCUMENTS = "documents"
DOCUMENT_ROWS = RowCodec(Document, leave_out=frozenset({"dek_wrapped"}))


def namespaces(settings: Settings) -> list[Namespace]:
    """Documents' namespaces, for the app to register at start-up."""
    return [Namespace(DOCUMENTS, settings.cache_ttl_documents, follows=(REPORTING_LINE,))]
