// The one HTTP layer: openapi-fetch typed by the generated schema (`make api-types`).
// Every request carries the in-memory access token; a 401 is answered by one refresh
// and one retry; every non-2xx answer becomes an ApiError (errors.ts).
import createClient, { type Middleware } from "openapi-fetch";

import { refresh, session } from "../auth/session";
import { ApiError, networkError, toApiError } from "./errors";
import type { paths } from "./schema";

const retryable = new Map<string, Request>();

const auth: Middleware = {
  onRequest({ request, id }) {
    const token = session.token;
    if (token !== null) request.headers.set("Authorization", `Bearer ${token}`);
    retryable.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = retryable.get(id);
    retryable.delete(id);
    if (response.status !== 401 || original === undefined) return response;
    if (!(await refresh())) return response;
    const retry = new Request(original);
    retry.headers.set("Authorization", `Bearer ${session.token ?? ""}`);
    return fetch(retry);
  },
  onError({ error, id }) {
    retryable.delete(id);
    return networkError(error);
  },
};

// Pages read JSON; files (exports, document content) go through authorisedFetch.
export const api = createClient<paths, "application/json">({ baseUrl: window.location.origin });
api.use(auth);

/** The data of an openapi-fetch answer, or its ApiError thrown. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  if (result.response.ok) return undefined as T; // 204
  throw toApiError(result.response, result.error);
}

/** A raw authorised request (files, exports, uploads with progress use their own). */
export async function authorisedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const attempt = (): Promise<Response> => {
    const headers = new Headers(init.headers);
    const token = session.token;
    if (token !== null) headers.set("Authorization", `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  };
  let response: Response;
  try {
    response = await attempt();
    if (response.status === 401 && (await refresh())) response = await attempt();
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) {
    throw toApiError(response, await jsonOrNull(response));
  }
  return response;
}

/** The body as JSON, or null when it is not (an empty or non-JSON error answer). */
export async function jsonOrNull(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch {
    return null;
  }
}

export { ApiError };
