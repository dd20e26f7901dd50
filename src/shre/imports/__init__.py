"""Bulk import of employees from a CSV or XLSX file (`POST /imports/employees`, `shre import
employees`), its template, and `shre export employees`."""
