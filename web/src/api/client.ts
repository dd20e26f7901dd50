// The one HTTP layer: openapi-fetch typed by the generated schema (`make api-types`).
// Every request carries the in-memory access token; a 401 is answered by one refresh
// and one retry; a busy server's 503 by up to two retries after the wait it asked for
// (5 s at most: a longer one is said at once);
// every other non-2xx answer becomes an ApiError (errors.ts).
import createClient, { type Middleware } from "openapi-fetch";

import { refresh, session } from "../auth/session";
import { ApiError, networkError, retryAfterSeconds, toApiError } from "./errors";
import type { paths } from "./schema";

const BUSY_RETRIES = 2;
const BUSY_WAIT_MAX_S = 5; // a longer Retry-After is not "busy"

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `response`, or when it is a busy server's 503 (Retry-After of at most 5 s: the worker
 * refused the request before doing anything, `overloaded`; or no database connection
 * was free in time; such a 503 changed nothing), what `again` answers after the wait
 * asked for, spread by up to half again so that the clients refused together do not all
 * come back at once; twice at most. A 503 that asks for longer (a backend down for a
 * while; an erasure begun whose files are left for later) goes to the page at once.
 */
export async function retryWhenBusy(
  response: Response,
  again: () => Promise<Response>,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<Response> {
  let answer = response;
  for (let attempt = 0; attempt < BUSY_RETRIES; attempt += 1) {
    const seconds = answer.status === 503 ? retryAfterSeconds(answer.headers) : null;
    if (seconds === null || seconds > BUSY_WAIT_MAX_S) break;
    await wait(seconds * 1000 * (1 + Math.random() / 2));
    answer = await again();
  }
  return answer;
}

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
    if (original === undefined) return response;
    const again = (): Promise<Response> => {
      const retry = new Request(original.clone());
      retry.headers.set("Authorization", `Bearer ${session.token ?? ""}`);
      return fetch(retry);
    };
    let answer = response;
    if (answer.status === 401) {
      if (!(await refresh())) return answer;
      answer = await again();
    }
    return retryWhenBusy(answer, again);
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
    response = await retryWhenBusy(response, attempt);
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
