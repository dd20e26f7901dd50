"""What every route stands on: the runtime (the backends, built once), the typed
dependencies routers take (the caller, the session and its unit of work, the audit
trail) and the request middleware. It knows the infrastructure, the policy and the
audit log, never a domain: the caller is authenticated through `Runtime.authenticate`,
which the app's assembly (`shre.app`) fills in."""
