import i18n from "i18next";
import { beforeAll, describe, expect, it } from "vitest";

import { ApiError } from "../api/errors";
import { en } from "../i18n/en";
import { describeError } from "./ErrorMessage";

beforeAll(async () => {
  await i18n.init({ lng: "en", resources: { en: { translation: en } } });
});

function error(status: number, retryAfter: number | null = null): ApiError {
  return new ApiError({ status, title: "t", detail: `detail ${status}`, retryAfter });
}

describe("describeError", () => {
  const t = i18n.t.bind(i18n);

  it("says when to try again after throttling, in minutes", () => {
    expect(describeError(error(429, 840), t)).toBe("Too many attempts. Try again in 14 minutes.");
    expect(describeError(error(429, 30), t)).toBe("Too many attempts. Try again in a minute.");
    expect(describeError(error(429), t)).toBe("Too many attempts. Try again in a minute.");
  });

  it("explains a stale edit and a lost connection in words", () => {
    expect(describeError(error(412), t)).toContain("Someone else changed this record");
    expect(describeError(error(0), t)).toContain("could not be reached");
  });

  it("shows the server's own words otherwise", () => {
    expect(describeError(error(409), t)).toBe("detail 409");
    expect(describeError(new Error("boom"), t)).toBe("boom");
  });
});
