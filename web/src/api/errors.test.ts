import { describe, expect, it } from "vitest";

import { ApiError, networkError, retryAfterSeconds, toApiError } from "./errors";

function answer(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, statusText: "Status text", headers });
}

describe("toApiError", () => {
  it("takes the problem's detail, code and the body fields' messages", () => {
    const error = toApiError(answer(422), {
      type: "about:blank",
      title: "Unprocessable Entity",
      status: 422,
      detail: "Invalid input: email, salary",
      code: "validation_error",
      errors: [
        { field: "email", location: "body", message: "value is not a valid email address", type: "x" },
        { field: "salary", location: "body", message: "at most 2 decimal places", type: "x" },
        { field: "salary", location: "body", message: "a second reason", type: "x" },
        { field: "page", location: "query", message: "too big", type: "x" },
        { field: 3, message: "not a field name" },
        "nonsense",
      ],
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_error");
    expect(error.message).toBe("Invalid input: email, salary");
    expect(error.fields).toEqual({
      email: "value is not a valid email address",
      salary: "at most 2 decimal places",
    });
  });

  it("falls back to the status text when the body is not a problem", () => {
    const error = toApiError(answer(502), "<html>bad gateway</html>");
    expect(error.message).toBe("Status text");
    expect(error.code).toBeNull();
    expect(error.fields).toEqual({});
  });

  it("reads Retry-After in seconds or as a date", () => {
    expect(toApiError(answer(429, { "Retry-After": "540" }), null).retryAfter).toBe(540);
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const seconds = retryAfterSeconds(new Headers({ "Retry-After": inTwoMinutes }));
    expect(seconds).toBeGreaterThan(100);
    expect(seconds).toBeLessThanOrEqual(120);
    expect(retryAfterSeconds(new Headers({ "Retry-After": "soon" }))).toBeNull();
    expect(retryAfterSeconds(new Headers())).toBeNull();
  });

  it("says a request without an answer is a network error", () => {
    const error = networkError(new TypeError("Failed to fetch"));
    expect(error.status).toBe(0);
    expect(error.code).toBe("network");
  });
});
