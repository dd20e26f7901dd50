import { describe, expect, it } from "vitest";

import { appPath, countPage, countThisMonth, monthRange, readiness } from "./dashboardLogic";

describe("monthRange", () => {
  it("gives the first and last day, leap years included", () => {
    expect(monthRange("2024-02-10")).toEqual({ start: "2024-02-01", end: "2024-02-29" });
    expect(monthRange("2026-12-05")).toEqual({ start: "2026-12-01", end: "2026-12-31" });
  });
});

describe("countPage", () => {
  const dec = monthRange("2026-12-05");
  it("counts the month's dates and stops on a short page", () => {
    expect(countPage(["2026-12-20", "2026-12-01", "2026-11-30"], dec, 100)).toEqual({ count: 2, more: false });
  });
  it("pages further when a full page ends inside the month", () => {
    expect(countPage(["2027-01-03", "2026-12-02", "2026-12-01"], dec, 3)).toEqual({ count: 2, more: true });
  });
  it("stops when a full page reaches the month before", () => {
    expect(countPage(["2026-12-02", "2026-12-01", "2026-11-01"], dec, 3)).toEqual({ count: 2, more: false });
  });
  it("pages further over dates after the month (future hires)", () => {
    expect(countPage(["2027-02-01", "2027-01-01"], dec, 2)).toEqual({ count: 0, more: true });
  });
  it("ignores missing dates", () => {
    expect(countPage([null, "2026-12-31", undefined], dec, 10)).toEqual({ count: 1, more: false });
  });
});

describe("countThisMonth", () => {
  it("walks pages until the month is over", async () => {
    const pages = [["2027-01-02", "2026-12-30"], ["2026-12-15", "2026-12-01"], ["2026-11-30", "2026-11-02"], ["x"]];
    const asked: number[] = [];
    const count = await countThisMonth(
      (page) => {
        asked.push(page);
        return Promise.resolve({ items: (pages[page - 1] ?? []).map((d) => ({ d })) });
      },
      (row) => row.d,
      monthRange("2026-12-05"),
      2,
    );
    expect(count).toBe(3);
    expect(asked).toEqual([1, 2, 3]);
  });
});

describe("readiness", () => {
  it("maps a ready answer", () => {
    expect(readiness(200, { status: "ok", checks: { database: "ok", storage: "ok", cache: "degraded" } })).toEqual({
      ready: true,
      checks: [
        { name: "database", state: "ok" },
        { name: "storage", state: "ok" },
        { name: "cache", state: "degraded" },
      ],
    });
  });
  it("maps a 503 problem with checks, unknown states kept as unknown", () => {
    expect(readiness(503, { status: 503, title: "x", checks: { database: "down", storage: "weird" } })).toEqual({
      ready: false,
      checks: [
        { name: "database", state: "down" },
        { name: "storage", state: "unknown" },
      ],
    });
  });
  it("survives a body without checks", () => {
    expect(readiness(503, null)).toEqual({ ready: false, checks: [] });
  });
});

describe("appPath", () => {
  it("keeps a path inside the app", () => {
    expect(appPath("/reports?tab=pay&group_by=job_title")).toBe("/reports?tab=pay&group_by=job_title");
    expect(appPath(" /reports?tab=documents ")).toBe("/reports?tab=documents");
  });
  it("refuses anything that could leave the app", () => {
    expect(appPath("https://example.com/")).toBeNull();
    expect(appPath("//example.com/x")).toBeNull();
    expect(appPath("/\\example.com")).toBeNull();
    expect(appPath("javascript:alert(1)")).toBeNull();
    expect(appPath("/reports\njavascript:x")).toBeNull();
    expect(appPath("reports")).toBeNull();
    expect(appPath("")).toBeNull();
    expect(appPath(null)).toBeNull();
  });
});
