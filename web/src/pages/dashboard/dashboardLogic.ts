// The dashboard's pure logic: which rows fall in this month, how far to page, and what
// /readyz answered per check.

/** The first and last day (YYYY-MM-DD, inclusive) of the month of `isoDate`. */
export function monthRange(isoDate: string): { start: string; end: string } {
  const [y, m] = isoDate.split("-").map(Number);
  const year = y ?? 1970;
  const month = m ?? 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const mm = String(month).padStart(2, "0");
  return { start: `${year}-${mm}-01`, end: `${year}-${mm}-${String(last).padStart(2, "0")}` };
}

export function inRange(date: string | null | undefined, range: { start: string; end: string }): boolean {
  if (!date) return false;
  const day = date.slice(0, 10);
  return day >= range.start && day <= range.end;
}

/** How many of one page's dates (sorted newest first) fall in `range`, and whether a
 * next page may hold more: the page was full and its oldest date is not yet before the
 * month (dates after the month, e.g. a hire agreed for next month, come first). */
export function countPage(
  dates: readonly (string | null | undefined)[],
  range: { start: string; end: string },
  pageSize: number,
): { count: number; more: boolean } {
  const count = dates.filter((d) => inRange(d, range)).length;
  if (dates.length < pageSize) return { count, more: false };
  const known = dates.filter((d): d is string => Boolean(d));
  const oldest = known[known.length - 1];
  return { count, more: oldest === undefined || oldest.slice(0, 10) >= range.start };
}

/** Count the rows of this month over as many pages (newest first) as it takes. */
export async function countThisMonth<T>(
  fetchPage: (page: number) => Promise<{ items: T[] }>,
  dateOf: (row: T) => string | null | undefined,
  range: { start: string; end: string },
  pageSize: number,
  maxPages = 50,
): Promise<number> {
  let total = 0;
  for (let page = 1; page <= maxPages; page += 1) {
    const { items } = await fetchPage(page);
    const { count, more } = countPage(items.map(dateOf), range, pageSize);
    total += count;
    if (!more) break;
  }
  return total;
}

export type CheckState = "ok" | "degraded" | "down" | "unknown";

export interface Readiness {
  ready: boolean;
  checks: { name: string; state: CheckState }[];
}

const STATES: readonly string[] = ["ok", "degraded", "down"];

/** /readyz's answer (200 `{status, checks}`, or a 503 problem with `checks`) per check. */
export function readiness(status: number, body: unknown): Readiness {
  const raw =
    typeof body === "object" && body !== null && "checks" in body ? body.checks : null;
  const checks: Readiness["checks"] = [];
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      const state = typeof value === "string" && STATES.includes(value) ? (value as CheckState) : "unknown";
      checks.push({ name, state });
    }
  }
  return { ready: status >= 200 && status < 300, checks };
}

/** An insight's `link` as a path inside the app ("/reports?tab=pay"), or null when it is
 * anything else (another site, a scheme such as javascript:, a protocol-relative "//x"):
 * such a link is shown as plain text. */
export function appPath(link: string | null | undefined): string | null {
  if (typeof link !== "string") return null;
  const path = link.trim();
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return null;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return null;
  return path;
}
