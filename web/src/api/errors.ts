// Every error the API answers is an RFC 9457 problem (CONTRACT.md §4); this turns one,
// or a failed request, into an ApiError the pages show beside a field or as a message.

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly title: string;
  /** Messages by field name (body fields only: "salary", "manager_id", …). */
  readonly fields: Record<string, string>;
  /** Seconds the server asked to wait (429 Retry-After), when it said. */
  readonly retryAfter: number | null;
  /** The problem's parsed body (an import's 422 carries its answer in it), if any. */
  readonly body: unknown;

  constructor(init: {
    status: number;
    title: string;
    detail: string;
    code?: string | null;
    fields?: Record<string, string>;
    retryAfter?: number | null;
    body?: unknown;
  }) {
    super(init.detail);
    this.name = "ApiError";
    this.status = init.status;
    this.title = init.title;
    this.code = init.code ?? null;
    this.fields = init.fields ?? {};
    this.retryAfter = init.retryAfter ?? null;
    this.body = init.body ?? null;
  }
}

interface ProblemBody {
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  errors?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldErrors(errors: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(errors)) return out;
  for (const item of errors as unknown[]) {
    if (!isRecord(item)) continue;
    const { field, message, location } = item;
    if (typeof field !== "string" || typeof message !== "string") continue;
    if (location !== undefined && location !== "body") continue;
    out[field] ??= message; // the first reason per field
  }
  return out;
}

export function retryAfterSeconds(headers: Headers): number | null {
  const value = headers.get("Retry-After");
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The ApiError of an answer that was not 2xx; `body` is its parsed JSON, if any. */
export function toApiError(response: Response, body: unknown): ApiError {
  const problem: ProblemBody = isRecord(body) ? body : {};
  const title =
    typeof problem.title === "string" && problem.title ? problem.title : response.statusText;
  const detail = typeof problem.detail === "string" && problem.detail ? problem.detail : title;
  return new ApiError({
    status: response.status,
    title: title || `HTTP ${response.status}`,
    detail: detail || `HTTP ${response.status}`,
    code: typeof problem.code === "string" ? problem.code : null,
    fields: fieldErrors(problem.errors),
    retryAfter: retryAfterSeconds(response.headers),
    body,
  });
}

/** A request that never got an answer (offline, server down). */
export function networkError(cause: unknown): ApiError {
  const error = new ApiError({
    status: 0,
    title: "Network error",
    detail: "The server could not be reached. Check your connection and try again.",
    code: "network",
  });
  error.cause = cause;
  return error;
}
