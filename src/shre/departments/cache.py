"""How department statistics are cached: one namespace, dropped by every change of a
department (a move changes subtrees) and, as it follows employees' FIGURES, by every
change of an employee field the figures count. Salary aggregates are cached sealed (see
the service)."""

from __future__ import annotations

from shre.cache import Namespace
from shre.employees.cache import FIGURES
from shre.settings import Settings

STATS = "department_stats"
# In the key: entries of an older shape (before the size rule) are never read back, even
# from a Redis that processes of the previous release still share.
STATS_KEY_VERSION = 2


def namespaces(settings: Settings) -> list[Namespace]:
    """Departments' namespaces, for the app to register at start-up."""
    return [Namespace(STATS, settings.cache_ttl_department_stats, follows=(FIGURES,))]
