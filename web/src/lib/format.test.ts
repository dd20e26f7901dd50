import i18n from "i18next";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import {
  addDays,
  formatBytes,
  formatDate,
  formatMoney,
  formatMoneyShort,
  formatMonth,
  formatPercent,
  initials,
} from "./format";

beforeAll(async () => {
  await i18n.init({ lng: "en", resources: {} });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("formatting in the browser's locale", () => {
  it("writes a date as the browser's locale does, never shifted by time zone", () => {
    vi.stubGlobal("navigator", { languages: ["en-GB", "en"] });
    expect(formatDate("2024-04-01")).toBe("1 Apr 2024");
    vi.stubGlobal("navigator", { languages: ["en-US"] });
    expect(formatDate("2024-04-01")).toBe("Apr 1, 2024");
    expect(formatDate(null)).toBe("—");
  });

  it("keeps the currency of the value", () => {
    vi.stubGlobal("navigator", { languages: ["en-GB"] });
    expect(formatMoney("61250.50", "EUR")).toBe("€61,250.50");
    expect(formatMoney("1000", "CHF")).toContain("1,000.00");
    expect(formatMoney("12.5", "NOT A CODE")).toBe("12.5 NOT A CODE");
    expect(formatMoney(null, "EUR")).toBe("—");
  });

  it("counts days across months and sizes in units", () => {
    expect(addDays("2024-02-28", 2)).toBe("2024-03-01");
    expect(formatBytes(512)).toContain("512");
    expect(formatBytes(3 * 1024 * 1024)).toContain("3");
    expect(initials("ines", "lindqvist")).toBe("IL");
    expect(initials(null, undefined)).toBe("?");
  });

  it("writes rates as percentages and months by name, in the locale", () => {
    vi.stubGlobal("navigator", { languages: ["en-GB"] });
    expect(formatPercent(0.0123)).toBe("1.23%");
    expect(formatPercent(0.0055)).toBe("0.55%");
    expect(formatPercent(0)).toBe("0.0%");
    expect(formatPercent(0.1)).toBe("10.0%");
    expect(formatPercent(null)).toBe("—");
    expect(formatMonth("2026-03")).toBe("Mar 2026");
    expect(formatMonth("2026-12", "long")).toBe("December 2026");
    expect(formatMonth("not a month")).toBe("not a month");
    expect(formatMoneyShort(95000, "EUR")).toMatch(/^€95k$/i);
    expect(formatMoneyShort(97500, "EUR")).toMatch(/^€97\.5k$/i);
    expect(formatMoneyShort(1, "NOT A CODE")).toBe("1 NOT A CODE");
  });

  it("follows German when the page is German", async () => {
    vi.stubGlobal("navigator", { languages: ["de-DE"] });
    await i18n.changeLanguage("de");
    try {
      expect(formatPercent(0.0123)).toBe("1,23\u00a0%");
      expect(formatMonth("2026-03", "long")).toBe("März 2026");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
