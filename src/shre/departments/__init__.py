"""Departments: the organisation's units, nested through `parent_id`."""
