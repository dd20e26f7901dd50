from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    """One event. `fields` names the fields read or changed (never their values);
    `target_ids` lists the records one event covers (a list page); `seq` orders the chain."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    client_ip: str | None
    request_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    target_ids: list[uuid.UUID]
    fields: list[str]
    outcome: str


class VerifyOut(BaseModel):
    """The chain's check. `first_bad_event_id` is null when the fault is not one event
    (a forged checkpoint or head, the newest events removed); `reason` says which."""

    model_config = ConfigDict(from_attributes=True)

    ok: bool
    checked: int
    first_bad_event_id: uuid.UUID | None
    first_bad_seq: int | None
    reason: str | None
    head_seq: int
    # The verified head: record it outside the database to detect a later rollback.
    head_hash: str | None
    checkpoint_seq: int | None
