"""shre: employee data & document management for HR teams."""

__version__ = "0.1.0"
