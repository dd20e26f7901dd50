"""`/employees/{id}/export`, `/erase` and `/legal-hold` (hr, admin)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/employees", tags=["rights"])
