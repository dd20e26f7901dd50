import { describe, expect, it } from "vitest";

import { daysUntil, expiryState, isCategory } from "./categories";
import { uploadForm } from "./UploadModal";

describe("expiryState", () => {
  it("tells expired, today, soon and later apart", () => {
    expect(expiryState(null, "2025-03-10")).toEqual({ state: "none", days: null });
    expect(expiryState("2025-03-09", "2025-03-10")).toEqual({ state: "expired", days: -1 });
    expect(expiryState("2025-03-10", "2025-03-10")).toEqual({ state: "today", days: 0 });
    expect(expiryState("2025-04-09", "2025-03-10")).toEqual({ state: "soon", days: 30 });
    expect(expiryState("2025-04-10", "2025-03-10")).toEqual({ state: "later", days: 31 });
  });

  it("counts days across a DST change and a leap day", () => {
    expect(daysUntil("2024-03-31", "2024-02-28")).toBe(32);
  });
});

describe("uploadForm", () => {
  it("puts the fields before the file and leaves out empty ones", () => {
    const file = new File(["%PDF-1.4"], "contract.pdf", { type: "application/pdf" });
    const form = uploadForm({ category: "contract", title: "  ", expires_on: "", employee_id: null }, file);
    expect([...form.keys()]).toEqual(["category", "file"]);
    const full = uploadForm(
      { category: "identity", title: " Passport ", expires_on: "2030-01-01", employee_id: "e1" },
      file,
    );
    expect([...full.keys()]).toEqual(["employee_id", "category", "title", "expires_on", "file"]);
    expect(full.get("title")).toBe("Passport");
  });
});

describe("isCategory", () => {
  it("accepts only the nine categories", () => {
    expect(isCategory("payslip")).toBe(true);
    expect(isCategory("salary")).toBe(false);
    expect(isCategory(null)).toBe(false);
  });
});
