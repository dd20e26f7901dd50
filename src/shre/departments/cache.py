"""How department statistics are cached: STATS, dropped by every change of a department
(a move changes subtrees) and, as it follows employees' FIGURES, by every change of an
employee field the figures count. Salary aggregates are cached sealed (see the service).
A manager's figures count their reporting line: STATS_BY_LINE, per department and
manager, follows STATS and the reporting lines too (a new manager_id, a new employee)."""

from __future__ import annotations

from shre.cache import Namespace
from shre.employees.cache import FIGURES, REPORTING_LINE
from shre.settings import Settings

STATS = "department_stats"
STATS_BY_LINE = "department_stats_line"
# In the key: entries of an older shape (before the size rule) are never read back, even
# from a Redis that processes of the previous release still share.
STATS_KEY_VERSION = 2


def namespaces(settings: Settings) -> list[Namespace]:
    """Departments' namespaces, for the app to register at start-up."""
    ttl = settings.cache_ttl_department_stats
    return [
        Namespace(STATS, ttl, follows=(FIGURES,)),
        Namespace(STATS_BY_LINE, ttl, follows=(STATS, REPORTING_LINE)),
    ]
