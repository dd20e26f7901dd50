import { describe, expect, it } from "vitest";

import { safeNext } from "./LoginPage";

describe("safeNext", () => {
  it("keeps a path of this app", () => {
    expect(safeNext("/employees?page=2")).toBe("/employees?page=2");
  });

  it("never sends the user to another site", () => {
    for (const next of [null, "", "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      expect(safeNext(next)).toBe("/");
    }
  });
});
