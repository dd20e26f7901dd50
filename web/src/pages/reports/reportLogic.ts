// The Reports page's pure logic: who sees which report, the months a filter offers, and
// the API's answers as chart rows (the figures themselves are the API's, never computed
// here).
import type { Role } from "../../auth/AuthContext";
import type { PayBand, TenureBucket } from "./reportApi";

export const REPORTS = ["headcount", "turnover", "tenure", "pay-bands", "documents"] as const;
export type Report = (typeof REPORTS)[number];

/** Analytics are for admin, hr and managers (their own reporting line); employees get
 * 403 on every one of them (DESIGN §4, the analytics row). */
export function mayUseReports(role: Role): boolean {
  return role === "admin" || role === "hr" || role === "manager";
}

/** Pay bands are for admin and hr only. */
export function mayUsePayBands(role: Role): boolean {
  return role === "admin" || role === "hr";
}

export function reportsFor(role: Role): Report[] {
  if (!mayUseReports(role)) return [];
  return REPORTS.filter((report) => report !== "pay-bands" || mayUsePayBands(role));
}

/** The report a `tab` parameter names, if this role has it; else the first one. */
export function reportOf(tab: string | undefined, role: Role): Report | null {
  const reports = reportsFor(role);
  return reports.find((report) => report === tab) ?? reports[0] ?? null;
}

/** Which filters a report takes. */
export function takesPeriod(report: Report): boolean {
  return report === "headcount" || report === "turnover";
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: string | null | undefined): value is string {
  return typeof value === "string" && MONTH.test(value);
}

/** This month (YYYY-MM) in the user's zone. */
export function thisMonth(now: Date = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

/** `period` moved by `months` (negative: back). */
export function addMonths(period: string, months: number): string {
  const [y, m] = period.split("-").map(Number);
  const index = (y ?? 1970) * 12 + (m ?? 1) - 1 + months;
  return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** The months a period filter offers, newest first: `last` and the `count - 1` before. */
export function monthsBack(last: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addMonths(last, -i));
}

/** The period the filter asks for: empty when a month is missing or malformed (the
 * API's default then), and `from` left out when it would fall after `to`. */
export function periodQuery(from: string | undefined, to: string | undefined): { from: string | null; to: string | null } {
  const last = isMonth(to) ? to : null;
  let first = isMonth(from) ? from : null;
  if (first !== null && last !== null && first > last) first = null;
  return { from: first, to: last };
}

/** A tenure bucket's words, from its bounds (the API's `label` is English): which
 * translation key and which numbers. */
export function tenureKey(bucket: Pick<TenureBucket, "min_years" | "max_years">): {
  key: "under" | "between" | "over";
  min: number;
  max: number | null;
} {
  if (bucket.max_years === null) return { key: "over", min: bucket.min_years, max: null };
  if (bucket.min_years === 0) return { key: "under", min: 0, max: bucket.max_years };
  return { key: "between", min: bucket.min_years, max: bucket.max_years };
}

export interface BandRow {
  group: string;
  /** [lowest, highest] and [25th, 75th percentile] as bars; the median as a mark. */
  range: [number, number];
  middle: [number, number];
  median: [number, number];
}

/** Pay bands as chart rows, one chart per currency (amounts of different currencies are
 * never drawn on one axis); currencies in the order they first appear. `noGroup` names
 * a group the API leaves unnamed (no job title, no department). */
export function bandChartRows(bands: readonly PayBand[], noGroup: string): Map<string, BandRow[]> {
  const out = new Map<string, BandRow[]>();
  for (const band of bands) {
    const [min, p25, median, p75, max] = [band.min, band.p25, band.median, band.p75, band.max].map(Number);
    if (![min, p25, median, p75, max].every((v) => v !== undefined && Number.isFinite(v))) continue;
    const rows = out.get(band.currency) ?? [];
    rows.push({
      group: band.group ?? noGroup,
      range: [min as number, max as number],
      middle: [p25 as number, p75 as number],
      median: [median as number, median as number],
    });
    out.set(band.currency, rows);
  }
  return out;
}

/** Headcount per department for a chart, as the API orders it (largest first), at most
 * `limit` of them; `null` (people in no department) named `noDepartment`. */
export function departmentRows(
  rows: readonly { department_id: string | null; name: string | null; headcount: number }[],
  noDepartment: string,
  limit = Infinity,
): { key: string; department: string; headcount: number }[] {
  return rows.slice(0, limit).map((row) => ({
    key: row.department_id ?? "none",
    department: row.name ?? noDepartment,
    headcount: row.headcount,
  }));
}
