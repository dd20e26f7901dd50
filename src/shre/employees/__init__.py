"""Employees: directory, employment and sensitive (encrypted) fields, per DESIGN.md §4."""
