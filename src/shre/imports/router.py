"""`/imports`: bulk import of employees and its template (hr, admin)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/imports", tags=["imports"])
