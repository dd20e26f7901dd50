// The import page's logic, apart from React: what it is doing (checking the file with a
// dry run, importing it), which answer belongs to the file and options on screen (a
// newer choice makes older answers stale), when Import may be pressed, the row errors
// as shown, and a failure in words with what to do next.
import type { TFunction } from "i18next";

import { ApiError } from "../../api/errors";
import type { components } from "../../api/schema";
import { describeUploadError, upload, type UploadOptions } from "../../lib/upload";

export type ImportResult = components["schemas"]["ImportResult"];
export type RowError = components["schemas"]["RowError"];

export const IMPORT_URL = "/api/v1/imports/employees";
/** Row errors listed on screen; the rest are counted ("and N more"). */
export const SHOWN_ERRORS = 100;
/** Columns whose values the preview hides until asked (encrypted fields of the API). */
export const SENSITIVE_COLUMNS: ReadonlySet<string> = new Set([
  "salary",
  "salary_currency",
  "ssn",
  "bank_account",
  "date_of_birth",
  "home_address",
]);

export type Phase = "idle" | "checking" | "checked" | "importing" | "imported" | "failed";

export interface ImportState {
  file: File | null;
  createDepartments: boolean;
  phase: Phase;
  /** The number of the request under way (or last sent): answers of older ones are ignored. */
  run: number;
  /** The fraction of the file sent while a request runs (1: the server is working). */
  progress: number | null;
  /** The last dry run's answer for this file and these options (or the refused import's). */
  check: ImportResult | null;
  /** The import's answer, once it is done. */
  result: ImportResult | null;
  /** A request that failed as a whole, and which one. */
  error: unknown;
  failedStep: "check" | "import" | null;
}

export type ImportAction =
  | { type: "choose"; file: File }
  | { type: "departments"; value: boolean }
  | { type: "recheck" }
  | { type: "import" }
  | { type: "progress"; run: number; fraction: number }
  | { type: "answered"; run: number; result: ImportResult }
  | { type: "failed"; run: number; error: unknown }
  | { type: "reset" };

export const initialImport: ImportState = {
  file: null,
  createDepartments: false,
  phase: "idle",
  run: 0,
  progress: null,
  check: null,
  result: null,
  error: null,
  failedStep: null,
};

function startCheck(state: ImportState, file: File | null): ImportState {
  if (file === null) return { ...state, phase: "idle" };
  return {
    ...state,
    file,
    phase: "checking",
    run: state.run + 1,
    progress: 0,
    check: null,
    result: null,
    error: null,
    failedStep: null,
  };
}

/** Import may be pressed: the dry run of this very file and options found no error (or
 * the import itself failed as a whole, e.g. the network, and may be tried again). */
export function canImport(state: ImportState): boolean {
  const ready = state.phase === "checked" || (state.phase === "failed" && state.failedStep === "import");
  return ready && state.file !== null && state.check !== null && state.check.error_count === 0;
}

export function busy(state: ImportState): boolean {
  return state.phase === "checking" || state.phase === "importing";
}

export function importReducer(state: ImportState, action: ImportAction): ImportState {
  switch (action.type) {
    case "choose":
      return startCheck(state, action.file);
    case "departments": {
      const next = { ...state, createDepartments: action.value };
      // The answer depends on the option: the file is checked again with it.
      return state.file !== null && state.phase !== "imported" ? startCheck(next, state.file) : next;
    }
    case "recheck":
      return startCheck(state, state.file);
    case "import":
      if (!canImport(state)) return state;
      return { ...state, phase: "importing", run: state.run + 1, progress: 0, error: null, failedStep: null };
    case "progress":
      if (action.run !== state.run || !busy(state)) return state;
      return { ...state, progress: Math.max(0, Math.min(1, action.fraction)) };
    case "answered":
      if (action.run !== state.run || !busy(state)) return state;
      return state.phase === "checking"
        ? { ...state, phase: "checked", progress: null, check: action.result }
        : { ...state, phase: "imported", progress: null, result: action.result };
    case "failed": {
      if (action.run !== state.run || !busy(state)) return state;
      const step = state.phase === "checking" ? "check" : "import";
      // A refused import (rows turned invalid since the dry run) carries its answer: its
      // errors replace the dry run's, and Import stays off until the file is fixed.
      const refused = step === "import" ? importAnswerOf(action.error) : null;
      if (refused !== null) {
        return { ...state, phase: "checked", progress: null, check: refused, error: action.error, failedStep: "import" };
      }
      return { ...state, phase: "failed", progress: null, error: action.error, failedStep: step };
    }
    case "reset":
      return { ...initialImport, run: state.run + 1 };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRowError(value: unknown): value is RowError {
  return (
    isRecord(value) &&
    typeof value.row === "number" &&
    typeof value.field === "string" &&
    typeof value.message === "string"
  );
}

/** The import's answer a refused import (422 `import_invalid`) carries, if this is one. */
export function importAnswerOf(error: unknown): ImportResult | null {
  if (!(error instanceof ApiError) || error.status !== 422 || !isRecord(error.body)) return null;
  const body = error.body;
  if (!Array.isArray(body.errors) || !body.errors.every(isRowError)) return null;
  const count = (key: string) => (typeof body[key] === "number" ? body[key] : 0);
  const preview = isRecord(body.preview) && Array.isArray(body.preview.columns) && Array.isArray(body.preview.rows)
    ? (body.preview as ImportResult["preview"])
    : { columns: [], rows: [] };
  return {
    dry_run: false,
    created: count("created"),
    updated: count("updated"),
    unchanged: count("unchanged"),
    departments_created: count("departments_created"),
    errors: body.errors,
    error_count: Math.max(count("error_count"), body.errors.length),
    preview,
  };
}

/** The row errors to list, in the file's order (row, then column), and how many more there
 * are: the server lists at most its first 1000 and counts them all, this page shows fewer. */
export function shownErrors(result: ImportResult, cap: number = SHOWN_ERRORS): { rows: RowError[]; more: number } {
  const sorted = [...result.errors].sort((a, b) => a.row - b.row || a.field.localeCompare(b.field));
  const rows = sorted.slice(0, cap);
  return { rows, more: Math.max(0, Math.max(result.error_count, result.errors.length) - rows.length) };
}

/** The columns with errors and how many rows each, most first (of the errors listed). */
export function errorsByColumn(errors: readonly RowError[]): { field: string; rows: number }[] {
  const rows = new Map<string, Set<number>>();
  for (const error of errors) {
    const seen = rows.get(error.field) ?? new Set<number>();
    seen.add(error.row);
    rows.set(error.field, seen);
  }
  return [...rows.entries()]
    .map(([field, seen]) => ({ field, rows: seen.size }))
    .sort((a, b) => b.rows - a.rows || a.field.localeCompare(b.field));
}

/** The multipart body: the options first, the file last (as every upload of the app). */
export function importForm(file: File, options: { dryRun: boolean; createDepartments: boolean }): FormData {
  const form = new FormData();
  form.append("dry_run", String(options.dryRun));
  form.append("create_departments", String(options.createDepartments));
  form.append("file", file, file.name);
  return form;
}

/** Send the file: a dry run or the import, with upload progress. */
export function sendImport(
  file: File,
  options: { dryRun: boolean; createDepartments: boolean },
  progress: UploadOptions,
): Promise<ImportResult> {
  return upload<ImportResult>(IMPORT_URL, importForm(file, options), progress);
}

/** Why a check or an import failed as a whole, in words, with what to do next. */
export function importErrorText(error: unknown, t: TFunction, step: "check" | "import"): string {
  if (error instanceof ApiError) {
    switch (error.status) {
      case 403:
        return t("imports.error.forbidden");
      case 409:
        return t("imports.error.conflict");
      case 413:
        return `${describeUploadError(error, t)} ${t("imports.error.splitFile")}`;
      case 415:
        return t("imports.error.type");
      case 422:
        if (error.code === "import_invalid") return t("imports.error.invalidRows");
        if (error.code === "too_many_rows") return `${error.message} ${t("imports.error.splitFile")}`;
        return t("imports.error.unreadable", { detail: error.message });
      case 503:
        return step === "import" ? t("imports.error.unavailableImport") : t("imports.error.unavailable");
      default:
        break;
    }
  }
  return describeUploadError(error, t);
}
