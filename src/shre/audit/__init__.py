"""The tamper-evident audit log: who did what to which record, hash-chained.

    await audit.record("employee.update", target_type="employee", target_id=emp.id,
                       fields=["salary", "job_title"])          # in the caller's transaction
    await audit.record_read("employee.read_sensitive", target_type="employee",
                            target_id=emp.id, fields=["ssn"])    # committed now, fail closed

In a request, take the `Audit` dependency (`shre.api.deps`); outside one, use
`AuditTrail.system(session, runtime.sessionmaker)`. Only field names are recorded, never
values. A sessionmaker's sessions record events once `attach` gave them the chain.
"""

from shre.audit.chain import AuditChain, AuditUnavailable, canonical, event_hash
from shre.audit.prune import AuditChainBroken, PruneReport, prune
from shre.audit.seal import AuditSealer
from shre.audit.trail import (
    OUTCOMES,
    SYSTEM_ROLE,
    AuditContext,
    AuditTrail,
    attach,
    request_context,
)
from shre.audit.verify import VerifyReport, verify_chain

__all__ = [
    "OUTCOMES",
    "SYSTEM_ROLE",
    "AuditChain",
    "AuditChainBroken",
    "AuditContext",
    "AuditSealer",
    "AuditTrail",
    "AuditUnavailable",
    "PruneReport",
    "VerifyReport",
    "attach",
    "canonical",
    "event_hash",
    "prune",
    "request_context",
    "verify_chain",
]
