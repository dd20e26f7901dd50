"""Small factories for the documents tests: uploads through the API, employees, and real
files made here (a hand-written PDF, a DOCX from python-docx, a minimal XLSX)."""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from shre.api.runtime import Runtime
from shre.audit.models import AuditEvent
from tests.support.accounts import Account

DOCS = "/api/v1/documents"
EMPLOYEES = "/api/v1/employees"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_TYPE = "text/plain; charset=utf-8"


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    *,
    filename: str = "notes.txt",
    category: str = "other",
    employee_id: Any = None,
    **fields: Any,
) -> httpx.Response:
    data: dict[str, Any] = {"category": category, **fields}
    if employee_id is not None:
        data["employee_id"] = str(employee_id)
    files = {"file": (filename, content, "application/octet-stream")}
    return await client.post(DOCS, data=data, files=files, headers=headers)


async def uploaded(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, **kwargs: Any
) -> dict[str, Any]:
    response = await upload(client, headers, content, **kwargs)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_version(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    document_id: Any,
    content: bytes,
    filename: str = "notes-v2.txt",
) -> httpx.Response:
    files = {"file": (filename, content, "application/octet-stream")}
    return await client.post(f"{DOCS}/{document_id}/versions", files=files, headers=headers)


async def content(
    client: httpx.AsyncClient, headers: dict[str, str], document_id: Any, **params: Any
) -> httpx.Response:
    extra = params.pop("request_headers", {})
    return await client.get(
        f"{DOCS}/{document_id}/content", params=params, headers={**headers, **extra}
    )


async def new_employee(
    client: httpx.AsyncClient, admin: Account, name: str, manager_id: Any = None
) -> str:
    body = {
        "employee_number": f"E-{name}-{uuid.uuid4().hex[:6]}",
        "first_name": name,
        "last_name": "Tester",
        "email": f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com",
        "hire_date": "2020-01-01",
        "manager_id": None if manager_id is None else str(manager_id),
    }
    response = await client.post(EMPLOYEES, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def row_counts(runtime: Runtime) -> tuple[int, int]:
    """(documents, document_versions) rows."""
    async with runtime.engine.connect() as conn:
        docs = (await conn.execute(text("SELECT count(*) FROM documents"))).scalar_one()
        versions = (await conn.execute(text("SELECT count(*) FROM document_versions"))).scalar_one()
    return int(docs), int(versions)


async def audit_counts(runtime: Runtime) -> Counter[str]:
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
            )
        ).all()
    return Counter({action: int(n) for action, n in rows})


def files_under(root: Path) -> list[Path]:
    """Every file below the upload directory (temporary ones included)."""
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def png(width: int = 24, height: int = 16) -> bytes:
    """A small, valid PNG (a blue rectangle)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\x20\x60\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (numbered from 1; the first the catalog), written by
    hand: the header, each object, the xref table of their offsets and the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def pdf_with_pages(*pages: list[str]) -> bytes:
    """A PDF of these pages, each showing its lines in Helvetica (Latin-1 text)."""

    def shown(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    count = len(pages)
    fonts = 3 + 2 * count  # the font object's number, after the pages and their contents
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + " ".join(f"{3 + 2 * i} 0 R" for i in range(count)).encode()
        + b"] /Count "
        + str(count).encode()
        + b" >>",
    ]
    for i, lines in enumerate(pages):
        text = " T* ".join(f"({shown(line)}) Tj" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 720 Td {text} ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R"
            f" /Resources << /Font << /F1 {fonts} 0 R >> >> >>".encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return _pdf_file(objects)


def pdf_with_text(words: str) -> bytes:
    """A one-page PDF showing `words` in Helvetica, written by hand (xref offsets and all)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({words}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _pdf_file(objects)


def cyclic_pdf() -> bytes:
    """A PDF whose page tree holds itself (a parser that follows it never ends)."""
    return _pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1 1] >>",
        ]
    )


def docx_with_text(*paragraphs: str) -> bytes:
    from docx import Document as WordDocument

    document = WordDocument()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_with_text(*cells: str) -> bytes:
    """A minimal workbook: content types, the workbook, one sheet, shared strings."""
    strings = "".join(f"<si><t>{c}</t></si>" for c in cells)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        '.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "_rels/.rels": "<Relationships/>",
        "xl/workbook.xml": "<workbook><sheets><sheet name='S' sheetId='1'/></sheets></workbook>",
        "xl/worksheets/sheet1.xml": "<worksheet><sheetData/></worksheet>",
        "xl/sharedStrings.xml": f"<sst>{strings}</sst>",
    }
    return _zip(parts)


def with_macros(docx: bytes) -> bytes:
    """A DOCX with a VBA project added (a .docm renamed)."""
    buffer = io.BytesIO(docx)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return buffer.getvalue()


def plain_zip() -> bytes:
    return _zip({"readme.txt": "not an office document", "data/a.csv": "a,b\n1,2\n"})


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200) + b"PE\x00\x00"
