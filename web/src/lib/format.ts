// Dates, numbers and money through Intl in the browser's locale (UI.md).
import i18n from "../i18n";

/** The browser's own locale (en-GB writes 1 Apr 2024) when it is of the page's language;
 * else the language itself. */
function locale(): string {
  const language = i18n.language;
  const preferred = typeof navigator === "undefined" ? [] : navigator.languages;
  return preferred.find((tag) => tag.toLowerCase().split("-")[0] === language) ?? language;
}

/** A calendar date ("2025-03-01") as the locale writes it; never shifted by time zone. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  if (y === undefined || m === undefined || d === undefined) return value;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** An instant in the user's time zone. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return value;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(at);
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** A share (0.0123) as a percentage ("1.23%"), in the locale; null as "—". */
export function formatPercent(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat(locale(), {
    style: "percent",
    minimumFractionDigits: Math.min(1, digits),
    maximumFractionDigits: digits,
  }).format(value);
}

/** A month ("2026-03") as the locale writes it: "Mar 2026" (short) or "March 2026" (long). */
export function formatMonth(period: string, style: "short" | "long" = "short"): string {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (match === null) return period;
  const [, y, m] = match;
  return new Intl.DateTimeFormat(locale(), { month: style, year: "numeric", timeZone: "UTC" }).format(
    new Date(Date.UTC(Number(y), Number(m) - 1, 1)),
  );
}

/** Money as entered (a decimal string), with the currency code of the value. */
export function formatMoney(amount: string | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  const value = Number(amount);
  if (!Number.isFinite(value)) return amount;
  if (!currency) return formatNumber(value, 2);
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(value);
  } catch {
    return `${formatNumber(value, 2)} ${currency}`;
  }
}

/** A chart axis's money tick: short ("€95K"), with the currency code of the values. */
export function formatMoneyShort(value: number, currency: string): string {
  try {
    return new Intl.NumberFormat(locale(), {
      style: "currency",
      currency,
      notation: "compact",
      minimumFractionDigits: 0,
      maximumFractionDigits: 1,
    }).format(value);
  } catch {
    return `${formatNumber(value)} ${currency}`;
  }
}

export function formatBytes(size: number): string {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(locale(), {
    style: "unit",
    unit: units[unit],
    unitDisplay: "short",
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** Today as YYYY-MM-DD in the user's zone. */
export function today(): string {
  const now = new Date();
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function addDays(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  const at = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days));
  return at.toISOString().slice(0, 10);
}

export function initials(first: string | null | undefined, last: string | null | undefined): string {
  return `${(first ?? "").charAt(0)}${(last ?? "").charAt(0)}`.toUpperCase() || "?";
}
