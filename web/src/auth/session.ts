// The signed-in session, per CONTRACT.md §4 "Browser sign-in": the access token lives in
// this module's memory only; the refresh token lives in an HttpOnly cookie the page
// never sees. Refreshes are serialised across tabs with the Web Locks API (each refresh
// spends the cookie's token; two at once would look like a replayed token and end the
// session), and tabs tell each other of a sign-out over a BroadcastChannel.

import { deleteDB, openDB } from "idb";

export type SessionState = "unknown" | "signed_in" | "signed_out" | "expired";

type Listener = (state: SessionState) => void;

const AUTH = "/api/v1/auth";
const LOCK = "shre-refresh";
// Refresh this long before the access token expires.
const MARGIN_SECONDS = 60;
// A sign-in call not answered by then has failed (a network that hangs, not only one
// that fails: a refresh waiting for ever would hold every later one).
const TIMEOUT_MS = 15_000;

// A sign-out the server never heard of (no network): the refresh cookie is HttpOnly, so
// only the server can end that session. Its note is an empty IndexedDB database (a flag,
// no token); the next start that reaches the server signs out there first.
const PENDING_SIGN_OUT = "shre-sign-out-pending";

async function notePendingSignOut(): Promise<void> {
  (await openDB(PENDING_SIGN_OUT, 1)).close();
}

let forgetting: Promise<void> = Promise.resolve();

async function pendingSignOut(): Promise<boolean> {
  await forgetting;
  if (typeof indexedDB === "undefined" || typeof indexedDB.databases !== "function") return false;
  return (await indexedDB.databases()).some((db) => db.name === PENDING_SIGN_OUT);
}

async function forgetPendingSignOut(): Promise<void> {
  if (typeof indexedDB !== "undefined") await deleteDB(PENDING_SIGN_OUT);
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
}

let accessToken: string | null = null;
let expiresAt = 0;
let state: SessionState = "unknown";
let timer: ReturnType<typeof setTimeout> | null = null;
let inFlight: Promise<boolean> | null = null;
let byUser = false; // the last sign-out was the user's (here or in another tab)
const listeners = new Set<Listener>();
const channel: BroadcastChannel | null =
  typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("shre-session");

function setState(next: SessionState): void {
  if (next === state) return;
  state = next;
  for (const listener of listeners) listener(next);
}

function clear(next: SessionState): void {
  accessToken = null;
  expiresAt = 0;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  setState(next);
}

function accept(answer: TokenAnswer): void {
  byUser = false;
  accessToken = answer.access_token;
  expiresAt = Date.now() + answer.expires_in * 1000;
  if (timer !== null) clearTimeout(timer);
  const wait = Math.max(5, answer.expires_in - MARGIN_SECONDS) * 1000;
  timer = setTimeout(() => void refresh(), wait);
  setState("signed_in");
}

channel?.addEventListener("message", (event: MessageEvent<unknown>) => {
  if (event.data === "signed_out") {
    byUser = true;
    clear("signed_out");
  }
});

export const session = {
  get state(): SessionState {
    return state;
  },
  get token(): string | null {
    return accessToken !== null && Date.now() < expiresAt ? accessToken : null;
  },
  /** Signed out on purpose: the next sign-in starts afresh, not where this one was. */
  get signedOutByUser(): boolean {
    return byUser;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  // Where the browser has no Web Locks (old ones), tabs may collide; the page still works.
  const locks: LockManager | null | undefined =
    typeof navigator === "undefined" ? undefined : navigator.locks;
  return locks ? locks.request(LOCK, work) : work();
}

async function post(path: string, body?: unknown): Promise<Response> {
  return fetch(`${AUTH}${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

/** Read an answer to its end (one left unread holds its connection). */
async function drain(response: Response): Promise<void> {
  try {
    await response.arrayBuffer();
  } catch {
    // nothing to read
  }
}

/** Sign in; the answer's refresh token goes to the cookie only. Throws the response
 * when it is not 2xx (the caller maps it to words). */
export async function signIn(email: string, password: string): Promise<Response> {
  const response = await post("/login", { email, password, refresh_token_in_body: false });
  if (response.ok) {
    accept((await response.json()) as TokenAnswer);
    // The cookie now holds this session: an earlier one's pending sign-out is moot.
    forgetting = forgetPendingSignOut().catch(() => undefined);
  }
  return response;
}

/** A new access token from the cookie's refresh token (one tab at a time); false when
 * the session has ended (the state then says "expired", or "signed_out" if there was
 * none to begin with). Concurrent callers in one tab share one refresh. */
export function refresh(): Promise<boolean> {
  inFlight ??= withLock(async () => {
    try {
      if (await pendingSignOut()) {
        await drain(await post("/logout"));
        await forgetPendingSignOut();
        byUser = true;
        clear("signed_out");
        return false;
      }
      const response = await post("/refresh");
      if (response.ok) {
        accept((await response.json()) as TokenAnswer);
        return true;
      }
      await drain(response);
      // 401: a refresh token came and was refused (expired, revoked, replayed), so there
      // was a session and it has ended; otherwise there was none to resume.
      clear(state === "signed_in" || response.status === 401 ? "expired" : "signed_out");
      return false;
    } catch {
      // Offline: keep the state; a later request tries again.
      return false;
    }
  }).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** Revoke the session on the server, forget the token here and in every tab. Offline,
 * the server is told at the next start that reaches it. */
export async function signOut(): Promise<void> {
  try {
    await withLock(async () => {
      await drain(await post("/logout"));
    });
  } catch {
    await notePendingSignOut().catch(() => undefined);
  } finally {
    byUser = true;
    clear("signed_out");
    channel?.postMessage("signed_out");
  }
}

/** For tests: forget everything without a request. */
export function resetSession(): void {
  clear("unknown");
}
