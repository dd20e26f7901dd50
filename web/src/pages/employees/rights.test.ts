import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/errors";
import i18n from "../../i18n";
import { isErased, rightsActions, rightsErrorText } from "./rights";

const t = i18n.getFixedT("en");
const hold = { reason: "Case 2026-14", since: "2026-12-01T09:00:00Z", by: null };

describe("the rights actions offered", () => {
  it("offers hr and admin the export and a hold; erasure only to a former employee without a hold", () => {
    const active = { status: "active" as const, legal_hold: null };
    expect(rightsActions(active, "hr")).toEqual({
      export: true,
      placeHold: true,
      editHold: false,
      releaseHold: false,
      erase: false,
      finishErasure: false,
    });
    const former = { status: "terminated" as const, legal_hold: null };
    expect(rightsActions(former, "admin").erase).toBe(true);
    const held = { status: "terminated" as const, legal_hold: hold };
    expect(rightsActions(held, "admin")).toMatchObject({
      placeHold: false,
      editHold: true,
      releaseHold: true,
      erase: false,
    });
  });

  it("offers managers and employees nothing", () => {
    const former = { status: "terminated" as const, legal_hold: hold };
    for (const role of ["manager", "employee"] as const) {
      expect(Object.values(rightsActions(former, role)).some(Boolean)).toBe(false);
    }
  });

  it("offers nothing but finishing on an erased record", () => {
    const pending = { status: "terminated" as const, legal_hold: null, erasure_requested_at: "2026-12-01T09:00:00Z" };
    expect(isErased(pending)).toBe(true);
    expect(rightsActions(pending, "hr")).toEqual({
      export: false,
      placeHold: false,
      editHold: false,
      releaseHold: false,
      erase: false,
      finishErasure: true,
    });
    const done = { ...pending, erased_at: "2026-12-01T09:00:05Z" };
    expect(rightsActions(done, "hr").finishErasure).toBe(false);
    expect(isErased({ status: "terminated", legal_hold: null })).toBe(false);
  });
});

describe("refusals in words", () => {
  const problem = (status: number, code: string | null) => new ApiError({ status, title: "x", detail: "detail", code });

  it("says why and what to do next", () => {
    expect(rightsErrorText(problem(409, "legal_hold"), t)).toContain("Release the hold first");
    expect(rightsErrorText(problem(409, "not_terminated"), t)).toContain("Terminate the employee first");
    expect(rightsErrorText(problem(409, "erasure_begun"), t)).toContain("already begun");
    expect(rightsErrorText(problem(503, "erasure_incomplete"), t)).toContain("Finish erasure");
    expect(rightsErrorText(problem(503, null), t)).toContain("nothing was changed");
    expect(rightsErrorText(problem(403, "hr_only"), t)).toBe("Only HR and administrators handle data subject requests.");
    expect(rightsErrorText(problem(404, "employee_not_found"), t)).toBe("detail");
  });
});
