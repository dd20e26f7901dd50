from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, Field, StringConstraints

from shre.api.deps import Audit, CurrentUser, DbSession, ETagsDep, IfMatch, RuntimeDep, reading
from shre.api.runtime import Runtime
from shre.cache import reads_cache
from shre.documents.cache import DOCUMENTS
from shre.documents.errors import Gone
from shre.documents.keys import DocumentKeys
from shre.documents.models import Document
from shre.documents.multipart import FormReader
from shre.documents.repository import Filters
from shre.documents.schemas import (
    Category,
    DocumentOut,
    DocumentUpdate,
    DownloadUrlOut,
    VersionOut,
    document_out,
)
from shre.documents.service import DocumentContext, DocumentService, Download
from shre.documents.uploads import DocumentUploader
from shre.kit.errors import Forbidden
from shre.kit.export import FILE_RESPONSES, FormatParam, list_file
from shre.kit.http import ETags
from shre.kit.openapi import BINARY, multipart_body
from shre.kit.pagination import Page
from shre.kit.query import PagedQuery, documented, query
from shre.kit.text import SearchText, no_control_chars
from shre.policy import DOCUMENT_CATEGORIES
from shre.storage import (
    PRESIGN_DEFAULT_SECONDS,
    PRESIGN_MAX_SECONDS,
    SignedUrlExpired,
    SignedUrlInvalid,
    StorageSet,
    content_disposition,
)

router = APIRouter(prefix="/documents", tags=["documents"])
links = APIRouter(prefix="/storage/local", tags=["documents"])
DOCUMENT = "document"  # the kind of record, for its ETags
RangeHeader = Annotated[str | None, Header(alias="Range", description="bytes=START-END")]
MiB = 1024 * 1024

UPLOAD_BODY: Final = multipart_body(
    {
        "employee_id": {"type": "string", "format": "uuid"},
        "category": {"type": "string", "enum": list(DOCUMENT_CATEGORIES)},
        "title": {"type": "string", "maxLength": 255},
        "expires_on": {"type": "string", "format": "date"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "file": BINARY,
    },
    ["category", "file"],
    description="The fields first, then `file` (streamed to storage as it arrives).",
    encoding={"tags": {"style": "form", "explode": True}},
)
VERSION_BODY: Final = multipart_body({"file": BINARY}, ["file"])


async def storages(request: Request) -> StorageSet:
    found: StorageSet = request.app.state.runtime.storages
    return found


def _context(runtime: Runtime, stores: StorageSet) -> DocumentContext:
    return DocumentContext(
        stores=stores,
        keys=DocumentKeys(runtime.keyring),
        sessionmaker=runtime.sessionmaker,
        cache=runtime.cache.if_serving(),  # down: the database's path throughout
        max_upload_bytes=runtime.settings.max_upload_mb * MiB,
        queue=runtime.queue,
        ai=runtime.settings.shre_ai,
    )


async def _service(
    session: DbSession,
    runtime: RuntimeDep,
    audit: Audit,
    stores: Annotated[StorageSet, Depends(storages)],
) -> DocumentService:
    return DocumentService(session, _context(runtime, stores), audit)


Service = Annotated[DocumentService, Depends(_service)]


async def _reader(request: Request) -> DocumentService:
    """The service for the metadata reads: a session that only reads, no `yield`."""
    session, audit = reading(request)
    return DocumentService(
        session, _context(request.app.state.runtime, request.app.state.runtime.storages), audit
    )


Reader = Annotated[DocumentService, Depends(_reader)]


SemanticText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(no_control_chars),
]


class DocumentQuery(PagedQuery):
    q: SearchText | None = Field(None, description="Words in the title, filename or contents")
    semantic: SemanticText | None = Field(
        None,
        description="Rank by meaning: the documents whose contents are closest to this "
        "text first (with SHRE_AI; documents of the indexed categories only); `sort` does "
        "not apply",
    )
    category: Category | None = None
    employee_id: uuid.UUID | None = None
    expiring_before: date | None = Field(
        None, description="Only documents that expire before this date"
    )
    format: FormatParam = None

    def filters(self) -> Filters:
        return Filters(
            q=self.q or None,
            semantic=self.semantic or None,
            category=self.category,
            employee_id=self.employee_id,
            expiring_before=self.expiring_before,
        )


def _tagged(response: Response, etags: ETags, document: Document) -> DocumentOut:
    response.headers["ETag"] = etags.for_version(DOCUMENT, document.id, document.lock_version)
    return document_out(document)


def _located(request: Request, response: Response, document: Document) -> DocumentOut:
    _tagged(response, request.app.state.runtime.etags, document)
    response.headers["Location"] = f"/api/v1/documents/{document.id}"
    return document_out(document)


def stream(download: Download) -> StreamingResponse:
    row = download.version
    stream = download.stream
    headers = {
        "Content-Length": str(stream.length),
        "Content-Disposition": content_disposition(row.filename, download.disposition),
        "Accept-Ranges": "bytes",
        "ETag": f'"{row.sha256}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    code = status.HTTP_200_OK
    if download.partial:
        code = status.HTTP_206_PARTIAL_CONTENT
        headers["Content-Range"] = stream.content_range
    return StreamingResponse(
        download.body(), status_code=code, media_type=row.content_type, headers=headers
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    openapi_extra=UPLOAD_BODY,
    responses={413: {"description": "Too large"}, 415: {"description": "Type not allowed"}},
)
async def upload(
    request: Request, principal: CurrentUser, service: Service, response: Response
) -> DocumentOut:
    """Upload a document: multipart fields `employee_id?`, `category`, `title?`,
    `expires_on?`, `tags?` (repeated or comma-separated), then `file`."""
    form = FormReader(request.stream(), request.headers.get("content-type"))
    document = await DocumentUploader(service).create(principal, form)
    return _located(request, response, document)


@router.get(
    "",
    response_model=Page[DocumentOut],
    openapi_extra=documented(DocumentQuery),
    responses=FILE_RESPONSES,
)
@reads_cache(DOCUMENTS)
async def list_documents(
    request: Request,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[DocumentQuery, Depends(query(DocumentQuery))],
) -> Page[DocumentOut] | Response:
    """The documents the caller may read. With `format`, every matching one as a CSV or
    XLSX file of their metadata (`page` and `page_size` do not apply)."""
    if params.format is not None:
        return await list_file(request, "documents", principal, service, params, params.format)
    rows, total = await service.page(principal, params.paging, params.filters())
    return Page(
        items=[document_out(r) for r in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/{document_id}", response_model=DocumentOut)
@reads_cache(DOCUMENTS)
async def get_document(
    document_id: uuid.UUID,
    principal: CurrentUser,
    service: Reader,
    response: Response,
    etags: ETagsDep,
) -> DocumentOut:
    document = await service.visible(principal, document_id)
    return _tagged(response, etags, document)


@router.patch(
    "/{document_id}", response_model=DocumentOut, responses={412: {"description": "Stale"}}
)
async def update_document(
    document_id: uuid.UUID,
    body: DocumentUpdate,
    principal: CurrentUser,
    service: Service,
    response: Response,
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> DocumentOut:
    """Change title, category, tags or expires_on (send the ETag in If-Match)."""
    precondition = etags.precondition(if_match, DOCUMENT, document_id)
    document = await service.update(principal, document_id, body, precondition)
    return _tagged(response, etags, document)


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(
    document_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> Response:
    """Soft delete: gone from the API at once; files purged after the retention period."""
    await service.delete(
        principal, document_id, etags.precondition(if_match, DOCUMENT, document_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{document_id}/versions")
async def list_versions(
    document_id: uuid.UUID, principal: CurrentUser, service: Service
) -> list[VersionOut]:
    return [VersionOut.model_validate(v) for v in await service.versions(principal, document_id)]


@router.post(
    "/{document_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    openapi_extra=VERSION_BODY,
)
async def add_version(
    document_id: uuid.UUID,
    request: Request,
    principal: CurrentUser,
    service: Service,
    response: Response,
) -> DocumentOut:
    """Upload a new version (multipart `file`); earlier versions stay downloadable."""
    form = FormReader(request.stream(), request.headers.get("content-type"))
    document = await DocumentUploader(service).add_version(principal, document_id, form)
    return _located(request, response, document)


@router.get(
    "/{document_id}/content",
    response_class=StreamingResponse,
    responses={206: {"description": "A byte range"}, 416: {"description": "Bad range"}},
)
async def download(
    document_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    version: Annotated[int | None, Query(ge=1, le=1_000_000_000)] = None,
    range_header: RangeHeader = None,
) -> StreamingResponse:
    """The file (or a byte range of it), streamed; `version` for an earlier one."""
    return stream(await service.open_content(principal, document_id, version, range_header))


@router.get("/{document_id}/download-url")
async def download_url(
    document_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    request: Request,
    expires_in: Annotated[int, Query(ge=1, le=PRESIGN_MAX_SECONDS)] = PRESIGN_DEFAULT_SECONDS,
    version: Annotated[int | None, Query(ge=1, le=1_000_000_000)] = None,
) -> DownloadUrlOut:
    """A link that downloads the file without a token, valid `expires_in` seconds."""
    url, expires_at = await service.download_url(principal, document_id, version, expires_in)
    if url.startswith("/"):
        url = str(request.base_url).rstrip("/") + url
    return DownloadUrlOut(url=url, expires_at=expires_at)


@links.get(
    "/{token}",
    response_class=StreamingResponse,
    responses={403: {"description": "Invalid link"}, 410: {"description": "Expired link"}},
)
async def signed_download(
    token: str,
    service: Service,
    stores: Annotated[StorageSet, Depends(storages)],
    range_header: RangeHeader = None,
) -> StreamingResponse:
    """A download link made by `download-url` on local storage (no bearer token: the
    link's signature and expiry are the authorisation)."""
    try:
        link = stores.get("local").open_signed_url(token)
    except SignedUrlExpired:
        raise Gone("This download link has expired", code="link_expired") from None
    except SignedUrlInvalid:
        raise Forbidden("This download link is not valid", code="link_invalid") from None
    return stream(await service.open_link(link.key, link.disposition, range_header))
