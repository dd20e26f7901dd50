export const CATEGORIES = [
  "contract",
  "identity",
  "payslip",
  "tax",
  "certificate",
  "performance",
  "medical",
  "policy",
  "other",
] as const;

export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: string | null | undefined): value is Category {
  return (CATEGORIES as readonly (string | null | undefined)[]).includes(value);
}

/** Days from `today` (YYYY-MM-DD) to `date` (YYYY-MM-DD): negative when it has passed. */
export function daysUntil(date: string, today: string): number {
  const at = (iso: string): number => {
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
    return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
  };
  return Math.round((at(date) - at(today)) / 86_400_000);
}

/** The expiry state a list shows beside the date: expired, soon (within `soonDays`), or fine. */
export function expiryState(
  expiresOn: string | null | undefined,
  today: string,
  soonDays = 30,
): { state: "none" | "expired" | "today" | "soon" | "later"; days: number | null } {
  if (!expiresOn) return { state: "none", days: null };
  const days = daysUntil(expiresOn, today);
  if (days < 0) return { state: "expired", days };
  if (days === 0) return { state: "today", days };
  if (days <= soonDays) return { state: "soon", days };
  return { state: "later", days };
}
