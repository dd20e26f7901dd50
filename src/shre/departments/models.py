from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, Timestamps, UUIDPrimaryKey


class Department(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, default=None
    )
    description: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


# Names are unique regardless of case ("Sales" and "sales" are one department).
Index("uq_departments_name_lower", func.lower(Department.name), unique=True)
