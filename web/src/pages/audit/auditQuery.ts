// The audit log's filters as they sit in the URL, and the API query they become.

export const AUDIT_FILTERS = ["actor_id", "action", "target_type", "target_id", "since", "until"] as const;

/** A datetime-local value ("2026-12-01T09:30", the user's zone) as an ISO instant. */
export function localToIso(value: string | undefined | null): string | null {
  if (!value) return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const at = new Date(value); // no offset: local time
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

export interface AuditQuery {
  page: number;
  page_size: number;
  sort: string | null;
  actor_id: string | null;
  action: string | null;
  target_type: string | null;
  target_id: string | null;
  since: string | null;
  until: string | null;
}

/** The API query of the list state: empty filters left out, times as UTC instants. */
export function auditQuery(list: {
  page: number;
  pageSize: number;
  sort: string | null;
  filters: Record<string, string>;
}): AuditQuery {
  const text = (key: string): string | null => list.filters[key]?.trim() || null;
  return {
    page: list.page,
    page_size: list.pageSize,
    sort: list.sort,
    actor_id: text("actor_id"),
    action: text("action")?.toLowerCase() ?? null,
    target_type: text("target_type"),
    target_id: text("target_id"),
    since: localToIso(list.filters.since),
    until: localToIso(list.filters.until),
  };
}

/** Actions the app records (the filter also takes any other, or `domain.*`). */
export const KNOWN_ACTIONS = [
  "auth.*",
  "auth.login",
  "auth.login_failed",
  "auth.login_throttled",
  "auth.logout",
  "auth.refresh_reuse",
  "employee.*",
  "employee.create",
  "employee.update",
  "employee.terminate",
  "employee.read_sensitive",
  "employee.export",
  "employee.import",
  "employee.erase",
  "document.*",
  "document.upload",
  "document.update",
  "document.version_add",
  "document.download",
  "document.delete",
  "document.purge",
  "document.export",
  "department.*",
  "department.create",
  "department.update",
  "department.delete",
  "department.read_salary_stats",
  "department.export",
  "user.*",
  "user.create",
  "user.update",
  "user.delete",
  "user.export",
  "keys.*",
  "keys.rotate",
  "keys.shred",
  "audit.*",
  "audit.export",
  "audit.prune",
] as const;

export const TARGET_TYPES = ["employee", "user", "document", "department", "master_key", "audit_checkpoint", "audit_event"] as const;
