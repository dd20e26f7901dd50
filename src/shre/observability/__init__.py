"""Logs (structlog, ECS-style JSON) and, later, metrics and error tracking."""
