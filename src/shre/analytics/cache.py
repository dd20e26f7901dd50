"""How analytics are cached: the organisation's figures (headcount, turnover, pay bands)
in FIGURES, which follows department statistics (so every change of a department and
every change of an employee field they count drops it); document compliance in
COMPLIANCE, which also follows documents. A manager's figures depend on their reporting
line: computed afresh, never cached (see the service)."""

from __future__ import annotations

from shre.cache import Namespace
from shre.departments.cache import STATS
from shre.documents.cache import DOCUMENTS
from shre.settings import Settings

FIGURES = "analytics"
COMPLIANCE = "analytics_documents"


def namespaces(settings: Settings) -> list[Namespace]:
    """Analytics' namespaces, for the app to register at start-up."""
    return [
        Namespace(FIGURES, settings.cache_ttl_department_stats, follows=(STATS,)),
        Namespace(COMPLIANCE, settings.cache_ttl_documents, follows=(STATS, DOCUMENTS)),
    ]
