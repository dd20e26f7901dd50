// A busy server's 503 (Retry-After of at most 5 s) is tried again after the wait it
// asked for, twice at most; anything else is left as it is.
import { describe, expect, it } from "vitest";

import { retryWhenBusy } from "./client";

function answer(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}

function script(...answers: Response[]) {
  const waits: number[] = [];
  let calls = 0;
  return {
    waits,
    calls: () => calls,
    again: () => {
      calls += 1;
      const next = answers.shift();
      if (next === undefined) throw new Error("asked once too often");
      return Promise.resolve(next);
    },
    wait: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

describe("retryWhenBusy", () => {
  it("asks again after Retry-After and returns the answer that came", async () => {
    const s = script(answer(200));
    const got = await retryWhenBusy(answer(503, { "Retry-After": "1" }), s.again, s.wait);
    expect(got.status).toBe(200);
    expect(s.calls()).toBe(1);
    expect(s.waits).toHaveLength(1);
    expect(s.waits[0]).toBeGreaterThanOrEqual(1000);
    expect(s.waits[0]).toBeLessThanOrEqual(1500);
  });

  it("gives up after two retries and returns the last 503", async () => {
    const busy = () => answer(503, { "Retry-After": "2" });
    const s = script(busy(), busy(), answer(200));
    const got = await retryWhenBusy(busy(), s.again, s.wait);
    expect(got.status).toBe(503);
    expect(s.calls()).toBe(2);
  });

  it("gives a 503 that asks for more than 5 s to the page at once", async () => {
    // Not busy but down for a while (a storage backend, an erasure to finish later):
    // the page says so now rather than after retries that would fail the same way.
    for (const seconds of ["6", "60", "3600"]) {
      const first = answer(503, { "Retry-After": seconds });
      const s = script(answer(200));
      const got = await retryWhenBusy(first, s.again, s.wait);
      expect(got).toBe(first);
      expect(s.calls()).toBe(0);
    }
  });

  it("retries a 503 that asks for 5 s", async () => {
    const s = script(answer(200));
    const got = await retryWhenBusy(answer(503, { "Retry-After": "5" }), s.again, s.wait);
    expect(got.status).toBe(200);
    expect(s.waits[0]).toBeGreaterThanOrEqual(5000);
    expect(s.waits[0]).toBeLessThanOrEqual(7500);
  });

  it("leaves other answers alone, a 503 without Retry-After too", async () => {
    for (const first of [answer(200), answer(500), answer(429, { "Retry-After": "1" }), answer(503)]) {
      const s = script();
      const got = await retryWhenBusy(first, s.again, s.wait);
      expect(got).toBe(first);
      expect(s.calls()).toBe(0);
    }
  });
});
