import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/errors";
import { daysUntil, expiryState, isCategory } from "./categories";
import { documentsQuery, isSemanticOff, searchMode } from "./documentsQuery";
import type { DocumentRecord } from "../../lib/queries";
import { suggestedFor } from "./Suggestions";
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

describe("suggestedFor", () => {
  const base: DocumentRecord = {
    id: "d1",
    employee_id: null,
    title: "Scan",
    category: "other",
    filename: "scan.pdf",
    content_type: "application/pdf",
    size: 10,
    sha256: "0".repeat(64),
    version: 1,
    expires_on: null,
    tags: [],
    uploaded_by: null,
    created_at: "2026-12-07T00:00:00Z",
    processed: true,
    suggested_category: "payslip",
    category_confidence: 0.916,
    suggested_expires_on: null,
    category_reviewed_at: null,
  };

  it("waits while the file is being read", () => {
    expect(suggestedFor({ ...base, processed: false })).toEqual({ checking: true, category: null, expiry: null });
  });

  it("offers another category with its confidence in whole percent", () => {
    expect(suggestedFor(base).category).toEqual({ value: "payslip", percent: 92, differs: true });
  });

  it("asks to confirm a matching category only until someone did", () => {
    const same = { ...base, category: "payslip" };
    expect(suggestedFor(same).category).toEqual({ value: "payslip", percent: 92, differs: false });
    expect(suggestedFor({ ...same, category_reviewed_at: "2026-12-07T01:00:00Z" }).category).toBeNull();
  });

  it("offers nothing it does not know", () => {
    expect(suggestedFor({ ...base, suggested_category: null, category_confidence: null }).category).toBeNull();
    expect(suggestedFor({ ...base, suggested_category: "unknown" }).category).toBeNull();
  });

  it("offers a stated expiry date only while the document has none", () => {
    const stated = { ...base, suggested_expires_on: "2028-03-13" };
    expect(suggestedFor(stated).expiry).toBe("2028-03-13");
    expect(suggestedFor({ ...stated, expires_on: "2027-01-01" }).expiry).toBeNull();
  });
});

describe("searchMode", () => {
  it("is meaning only when the URL says so", () => {
    expect(searchMode({ mode: "meaning" })).toBe("meaning");
    expect(searchMode({ mode: "words" })).toBe("words");
    expect(searchMode({ mode: "vibes" })).toBe("words");
    expect(searchMode({})).toBe("words");
  });
});

describe("documentsQuery", () => {
  const list = {
    page: 2,
    pageSize: 50,
    sort: "title",
    filters: { q: " parental leave ", category: "policy", expiring: "30", employee_id: "e1", mode: "meaning" },
  };

  it("sends the words as q, with the sort and every filter", () => {
    expect(documentsQuery(list, "words", "2026-12-07")).toEqual({
      page: 2,
      page_size: 50,
      sort: "title",
      q: "parental leave",
      semantic: null,
      employee_id: "e1",
      category: "policy",
      expiring_before: "2027-01-06",
    });
  });

  it("sends the text as semantic instead, without a sort (the ranking is the order)", () => {
    expect(documentsQuery(list, "meaning", "2026-12-07")).toEqual({
      page: 2,
      page_size: 50,
      sort: null,
      q: null,
      semantic: "parental leave",
      employee_id: "e1",
      category: "policy",
      expiring_before: "2027-01-06",
    });
  });

  it("leaves out an empty search and unknown filter values", () => {
    const empty = { page: 1, pageSize: 25, sort: "-created_at", filters: { q: "  ", category: "salary", expiring: "7" } };
    for (const mode of ["words", "meaning"] as const) {
      const query = documentsQuery(empty, mode, "2026-12-07");
      expect(query.q).toBeNull();
      expect(query.semantic).toBeNull();
      expect(query.category).toBeNull();
      expect(query.expiring_before).toBeNull();
    }
    expect(documentsQuery(empty, "words", "2026-12-07").sort).toBe("-created_at");
  });
});

describe("isSemanticOff", () => {
  it("recognises only the server's semantic_search_off", () => {
    const problem = (status: number, code: string | null) => new ApiError({ status, title: "t", detail: "d", code });
    expect(isSemanticOff(problem(422, "semantic_search_off"))).toBe(true);
    expect(isSemanticOff(problem(422, "validation_error"))).toBe(false);
    expect(isSemanticOff(problem(500, "semantic_search_off"))).toBe(false);
    expect(isSemanticOff(new Error("semantic_search_off"))).toBe(false);
  });
});
