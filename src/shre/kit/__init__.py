"""Shared plumbing used by every domain: errors, database types, paging, HTTP helpers."""
