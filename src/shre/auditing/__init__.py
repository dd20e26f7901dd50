"""Reading the audit log over the API, for those the policy lets (`may_read_audit`):
the events (filtered, paged, exported) and a verification of the chain. The log itself
— appending, sealing, verifying, pruning — is `shre.audit`, below every domain."""
