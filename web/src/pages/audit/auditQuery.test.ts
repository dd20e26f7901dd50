import { describe, expect, it } from "vitest";

import { auditQuery, localToIso } from "./auditQuery";

describe("localToIso", () => {
  it("reads a datetime-local value in the user's zone", () => {
    const iso = localToIso("2026-12-01T09:30");
    expect(iso).toBe(new Date(2026, 11, 1, 9, 30).toISOString());
    expect(iso?.endsWith("Z")).toBe(true);
  });
  it("refuses what is not a datetime-local value", () => {
    expect(localToIso("")).toBeNull();
    expect(localToIso(undefined)).toBeNull();
    expect(localToIso("yesterday")).toBeNull();
    expect(localToIso("2026-12-01")).toBeNull();
  });
});

describe("auditQuery", () => {
  it("maps every filter and leaves out the empty ones", () => {
    expect(
      auditQuery({
        page: 2,
        pageSize: 50,
        sort: "-at",
        filters: { actor_id: "u1", action: " Auth.* ", target_type: "", target_id: " e1 ", since: "2026-12-01T00:00" },
      }),
    ).toEqual({
      page: 2,
      page_size: 50,
      sort: "-at",
      actor_id: "u1",
      action: "auth.*",
      target_type: null,
      target_id: "e1",
      since: new Date(2026, 11, 1).toISOString(),
      until: null,
    });
  });
});
