// Data subject rights on a person's page: which actions to offer (for polish only: the
// API decides who may and when, and refuses the rest), and a refusal in words.
import type { TFunction } from "i18next";

import { ApiError } from "../../api/errors";
import type { Role } from "../../auth/AuthContext";
import { download } from "../../lib/download";
import type { Employee } from "../../lib/queries";
import { writeErrorText } from "./employeeParts";

type RightsFields = Pick<Employee, "status" | "legal_hold" | "erasure_requested_at" | "erased_at">;

/** The erasure began (key destroyed, record pseudonymised) or is done. */
export function isErased(record: RightsFields): boolean {
  return Boolean(record.erasure_requested_at) || Boolean(record.erased_at);
}

export interface RightsActions {
  export: boolean;
  placeHold: boolean;
  /** Change the reason of the hold that is on. */
  editHold: boolean;
  releaseHold: boolean;
  erase: boolean;
  /** An erasure a storage backend interrupted: ask again to finish it. */
  finishErasure: boolean;
}

/** What hr and admin are offered for this record; nobody else is offered any. */
export function rightsActions(record: RightsFields, role: Role): RightsActions {
  const staff = role === "hr" || role === "admin";
  const erased = isErased(record);
  const held = record.legal_hold !== null && record.legal_hold !== undefined;
  return {
    export: staff && !erased,
    placeHold: staff && !erased && !held,
    editHold: staff && held,
    releaseHold: staff && held,
    erase: staff && !erased && !held && record.status === "terminated",
    finishErasure: staff && Boolean(record.erasure_requested_at) && !record.erased_at,
  };
}

/** Why a hold, its release, an export or an erasure was refused, with what to do next. */
export function rightsErrorText(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return t("employees.rights.error.forbidden");
    if (error.status === 409 && error.code === "legal_hold") return t("employees.rights.error.legalHold");
    if (error.status === 409 && error.code === "not_terminated") return t("employees.rights.error.notTerminated");
    if (error.status === 409 && error.code === "erasure_begun") return t("employees.rights.error.erasureBegun");
    if (error.status === 503 && error.code === "erasure_incomplete") return t("employees.rights.error.incomplete");
    if (error.status === 503) return t("employees.rights.error.unavailable");
  }
  return writeErrorText(error, t);
}

/** Everything held about the person as a ZIP, named as the server names it. */
export function exportPersonalData(id: string): Promise<void> {
  return download(`/api/v1/employees/${encodeURIComponent(id)}/export`, `employee-${id}.zip`);
}
