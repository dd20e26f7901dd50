import "fake-indexeddb/auto";

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { refresh, resetSession, session, signIn, signOut } from "./session";

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

const calls: { url: string; init: RequestInit }[] = [];

function serve(handler: Handler): void {
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return handler(url, init);
  });
}

beforeEach(() => {
  calls.length = 0;
  resetSession();
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the session", () => {
  it("keeps the access token in memory and asks for the refresh token in the cookie only", async () => {
    serve(() => json(200, { access_token: "access-1", expires_in: 900, refresh_token: null }));
    const answer = await signIn("a@example.com", "a long pass phrase");
    expect(answer.ok).toBe(true);
    expect(session.state).toBe("signed_in");
    expect(session.token).toBe("access-1");
    const body = JSON.parse(calls[0]?.init.body as string) as Record<string, unknown>;
    expect(body).toEqual({
      email: "a@example.com",
      password: "a long pass phrase",
      refresh_token_in_body: false,
    });
    expect(calls[0]?.init.credentials).toBe("same-origin");
    expect(window.localStorage.length).toBe(0);
    expect(window.sessionStorage.length).toBe(0);
  });

  it("shares one refresh among concurrent callers", async () => {
    let refreshes = 0;
    serve(async () => {
      refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return json(200, { access_token: `access-${refreshes}`, expires_in: 900 });
    });
    const results = await Promise.all([refresh(), refresh(), refresh()]);
    expect(results).toEqual([true, true, true]);
    expect(refreshes).toBe(1);
    expect(session.token).toBe("access-1");
  });

  it("ends as 'expired' when a signed-in session can no longer be refreshed", async () => {
    serve((url) =>
      url.endsWith("/login")
        ? json(200, { access_token: "access-1", expires_in: 900 })
        : json(401, { title: "Unauthorized", status: 401, detail: "Session expired", code: "session_expired" }),
    );
    await signIn("a@example.com", "pw");
    expect(await refresh()).toBe(false);
    expect(session.state).toBe("expired");
    expect(session.token).toBeNull();
  });

  it("says a session ended when a page opens on a refused refresh token", async () => {
    serve(() => json(401, { title: "Unauthorized", status: 401, detail: "Session revoked" }));
    expect(await refresh()).toBe(false);
    expect(session.state).toBe("expired");
  });

  it("starts as 'signed_out' when there is no session to resume", async () => {
    serve(() => json(422, { title: "Unprocessable", status: 422, detail: "No refresh token" }));
    expect(await refresh()).toBe(false);
    expect(session.state).toBe("signed_out");
  });

  it("keeps the session when the network is down", async () => {
    serve((url) => {
      if (url.endsWith("/login")) return json(200, { access_token: "access-1", expires_in: 900 });
      throw new TypeError("Failed to fetch");
    });
    await signIn("a@example.com", "pw");
    expect(await refresh()).toBe(false);
    expect(session.state).toBe("signed_in");
  });

  it("refreshes a minute before the access token expires", async () => {
    vi.useFakeTimers();
    let issued = 0;
    serve(() => {
      issued += 1;
      return json(200, { access_token: `access-${issued}`, expires_in: 900 });
    });
    await signIn("a@example.com", "pw");
    await vi.advanceTimersByTimeAsync(839_000);
    expect(issued).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(issued).toBe(2);
    expect(session.token).toBe("access-2");
  });

  it("signs out on the server and forgets the token even if the server is unreachable", async () => {
    serve((url) => {
      if (url.endsWith("/login")) return json(200, { access_token: "access-1", expires_in: 900 });
      throw new TypeError("Failed to fetch");
    });
    await signIn("a@example.com", "pw");
    await signOut(); // resolves: the server is told at the next start (below)
    expect(session.token).toBeNull();
    expect(session.state).toBe("signed_out");
    expect(calls.at(-1)?.url).toBe("/api/v1/auth/logout");
  });
});

describe("a sign-out with no network", () => {
  it("is told to the server at the next start that reaches it, before any refresh", async () => {
    serve(() => json(200, { access_token: "access-1", expires_in: 900 }));
    await signIn("a@example.com", "a long pass phrase");
    serve(() => {
      throw new TypeError("Failed to fetch");
    });
    await signOut();
    expect(session.state).toBe("signed_out");

    // The app opens again, online: the cookie's session is ended, not resumed.
    resetSession();
    calls.length = 0;
    serve((url) => (url.endsWith("/logout") ? new Response(null, { status: 204 }) : json(200, { access_token: "x", expires_in: 900 })));
    expect(await refresh()).toBe(false);
    expect(calls.map((call) => call.url)).toEqual(["/api/v1/auth/logout"]);
    expect(session.state).toBe("signed_out");
    // Told once: the next start refreshes as usual.
    calls.length = 0;
    expect(await refresh()).toBe(true);
    expect(calls.map((call) => call.url)).toEqual(["/api/v1/auth/refresh"]);
  });

  it("is moot once someone signs in: their session is not ended for it", async () => {
    serve(() => {
      throw new TypeError("Failed to fetch");
    });
    await signOut();
    serve(() => json(200, { access_token: "access-2", expires_in: 900 }));
    await signIn("b@example.com", "another pass phrase");
    calls.length = 0;
    expect(await refresh()).toBe(true);
    expect(calls.map((call) => call.url)).toEqual(["/api/v1/auth/refresh"]);
  });
});
