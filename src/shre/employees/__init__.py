"""Employees: directory, employment and sensitive (encrypted) fields, per CONTRACT.md §4."""
