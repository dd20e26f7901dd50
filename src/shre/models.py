"""Imports every domain's models so the metadata (and Alembic) sees all tables."""

from shre.audit import models as audit_models
from shre.auth import models as auth_models
from shre.cache import models as cache_models
from shre.db import Base
from shre.departments import models as department_models
from shre.documents import models as document_models
from shre.employees import models as employee_models
from shre.users import models as user_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "auth_models",
    "cache_models",
    "department_models",
    "document_models",
    "employee_models",
    "metadata",
    "user_models",
]
