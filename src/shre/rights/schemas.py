from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shre.employees.schemas import LegalHoldOut
from shre.kit.text import no_control_chars

# hr's words on why: never a value of the record (it stays after an erasure).
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(no_control_chars),
]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why (1-500 characters); name no value of the person")


class RightsStateOut(BaseModel):
    """An employee's legal hold and erasure state."""

    employee_id: uuid.UUID
    legal_hold: LegalHoldOut | None
    erasure_requested_at: datetime | None = Field(
        description="The erasure began (key destroyed, record pseudonymised)"
    )
    erased_at: datetime | None = Field(description="The erasure is complete")
    erasure_reason: str | None


class ErasureOut(RightsStateOut):
    state: Literal["erased", "pending"]
    documents_deleted: int = Field(description="Document records removed by this request")
    objects_deleted: int = Field(description="Stored objects deleted by this request")
    models_deleted: int = Field(description="Retrained classifier models deleted")
