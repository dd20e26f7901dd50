import { describe, expect, it } from "vitest";

import {
  addMonths,
  bandChartRows,
  departmentRows,
  isMonth,
  mayUsePayBands,
  mayUseReports,
  monthsBack,
  periodQuery,
  reportOf,
  reportsFor,
  takesPeriod,
  tenureKey,
  thisMonth,
} from "./reportLogic";

describe("who sees which report", () => {
  it("mirrors the API: employees none, managers no pay bands", () => {
    expect(reportsFor("admin")).toEqual(["headcount", "turnover", "tenure", "pay-bands", "documents"]);
    expect(reportsFor("hr")).toEqual(["headcount", "turnover", "tenure", "pay-bands", "documents"]);
    expect(reportsFor("manager")).toEqual(["headcount", "turnover", "tenure", "documents"]);
    expect(reportsFor("employee")).toEqual([]);
    expect(mayUseReports("employee")).toBe(false);
    expect(mayUseReports("manager")).toBe(true);
    expect(mayUsePayBands("manager")).toBe(false);
    expect(mayUsePayBands("hr")).toBe(true);
  });

  it("opens the tab the URL names if the role has it, else the first", () => {
    expect(reportOf("turnover", "hr")).toBe("turnover");
    expect(reportOf("pay-bands", "hr")).toBe("pay-bands");
    expect(reportOf("pay-bands", "manager")).toBe("headcount");
    expect(reportOf("nonsense", "admin")).toBe("headcount");
    expect(reportOf(undefined, "manager")).toBe("headcount");
    expect(reportOf("headcount", "employee")).toBeNull();
  });

  it("asks for months only where the API takes them", () => {
    expect(takesPeriod("headcount")).toBe(true);
    expect(takesPeriod("turnover")).toBe(true);
    expect(takesPeriod("tenure")).toBe(false);
    expect(takesPeriod("pay-bands")).toBe(false);
    expect(takesPeriod("documents")).toBe(false);
  });
});

describe("months", () => {
  it("knows a month when it sees one", () => {
    expect(isMonth("2026-03")).toBe(true);
    expect(isMonth("2026-13")).toBe(false);
    expect(isMonth("2026-3")).toBe(false);
    expect(isMonth("")).toBe(false);
    expect(isMonth(undefined)).toBe(false);
  });

  it("moves across years both ways", () => {
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(addMonths("2025-12", 1)).toBe("2026-01");
    expect(addMonths("2026-03", -27)).toBe("2023-12");
    expect(addMonths("2026-03", 0)).toBe("2026-03");
  });

  it("offers this month and the ones before, newest first", () => {
    expect(monthsBack("2026-02", 4)).toEqual(["2026-02", "2026-01", "2025-12", "2025-11"]);
    expect(thisMonth(new Date(2026, 0, 31, 23, 59))).toBe("2026-01");
  });

  it("sends a period only when it makes sense (the API's default otherwise)", () => {
    expect(periodQuery(undefined, undefined)).toEqual({ from: null, to: null });
    expect(periodQuery("2025-01", "2025-12")).toEqual({ from: "2025-01", to: "2025-12" });
    expect(periodQuery("2025-01", undefined)).toEqual({ from: "2025-01", to: null });
    expect(periodQuery("2026-01", "2025-12")).toEqual({ from: null, to: "2025-12" });
    expect(periodQuery("last year", "2025-12")).toEqual({ from: null, to: "2025-12" });
  });
});

describe("tenure buckets", () => {
  it("words a bucket from its bounds", () => {
    expect(tenureKey({ min_years: 0, max_years: 1 })).toEqual({ key: "under", min: 0, max: 1 });
    expect(tenureKey({ min_years: 2, max_years: 5 })).toEqual({ key: "between", min: 2, max: 5 });
    expect(tenureKey({ min_years: 10, max_years: null })).toEqual({ key: "over", min: 10, max: null });
  });
});

describe("chart rows", () => {
  const band = {
    group: "Engineer",
    department_id: null,
    currency: "EUR",
    count: 7,
    min: "50000.00",
    p25: "55000.50",
    median: "60000.00",
    p75: "65000.00",
    max: "80000.00",
  };

  it("draws pay bands per currency, from the API's decimal strings", () => {
    const rows = bandChartRows(
      [band, { ...band, currency: "USD", group: null }, { ...band, group: "Lead", min: "70000.00" }],
      "No job title",
    );
    expect([...rows.keys()]).toEqual(["EUR", "USD"]);
    expect(rows.get("EUR")).toEqual([
      { group: "Engineer", range: [50000, 80000], middle: [55000.5, 65000], median: [60000, 60000] },
      { group: "Lead", range: [70000, 80000], middle: [55000.5, 65000], median: [60000, 60000] },
    ]);
    expect(rows.get("USD")?.[0]?.group).toBe("No job title");
  });

  it("leaves a band it cannot read out of the chart (the table still shows it)", () => {
    expect(bandChartRows([{ ...band, max: "n/a" }], "-").size).toBe(0);
  });

  it("keeps the API's order of departments and names people in none", () => {
    const rows = departmentRows(
      [
        { department_id: "a", name: "Sales", headcount: 9 },
        { department_id: null, name: null, headcount: 2 },
        { department_id: "b", name: "IT", headcount: 1 },
      ],
      "No department",
      2,
    );
    expect(rows).toEqual([
      { key: "a", department: "Sales", headcount: 9 },
      { key: "none", department: "No department", headcount: 2 },
    ]);
  });
});
