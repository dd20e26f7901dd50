import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/errors";
import { en } from "../../i18n/en";
import { de } from "../../i18n/de";
import {
  direction,
  isRiskFactor,
  plainName,
  RISK_FACTORS,
  riskByEmployee,
  riskLevel,
  riskRefusal,
  topFactors,
} from "./attrition";

describe("riskLevel", () => {
  it("is low below 15 %, medium below 35 %, high from there", () => {
    expect(riskLevel(0)).toBe("low");
    expect(riskLevel(0.1499)).toBe("low");
    expect(riskLevel(0.15)).toBe("medium");
    expect(riskLevel(0.3499)).toBe("medium");
    expect(riskLevel(0.35)).toBe("high");
    expect(riskLevel(1)).toBe("high");
  });
});

describe("direction", () => {
  it("tells a push up from a push down, and a negligible one from both", () => {
    expect(direction(0.8)).toBe("raises");
    expect(direction(-0.4)).toBe("lowers");
    expect(direction(0.01)).toBe("neutral");
    expect(direction(-0.049)).toBe("neutral");
    expect(direction(Number.NaN)).toBe("neutral");
  });
});

describe("topFactors", () => {
  const factors = [
    { name: "tenure_years", effect: -0.2 },
    { name: "months_since_last_raise", effect: 1.1 },
    { name: "no_review_12m", effect: 0.02 },
    { name: "team_turnover_12m", effect: -0.9 },
    { name: "salary_position", effect: 0.3 },
  ];

  it("keeps the three largest effects either way, largest first, with their direction", () => {
    expect(topFactors(factors)).toEqual([
      { name: "months_since_last_raise", known: true, direction: "raises" },
      { name: "team_turnover_12m", known: true, direction: "lowers" },
      { name: "salary_position", known: true, direction: "raises" },
    ]);
  });

  it("does not rely on the API's order and leaves the input as it was", () => {
    const copy = [...factors];
    topFactors(factors, 2);
    expect(factors).toEqual(copy);
    expect(topFactors([], 3)).toEqual([]);
  });

  it("marks a factor the app has no label for", () => {
    expect(topFactors([{ name: "commute_km", effect: 0.5 }])).toEqual([
      { name: "commute_km", known: false, direction: "raises" },
    ]);
    expect(plainName("commute_km")).toBe("Commute km");
  });
});

describe("factor labels", () => {
  it("exist in English and German for every factor the model uses", () => {
    for (const name of RISK_FACTORS) {
      expect(isRiskFactor(name)).toBe(true);
      expect(en.employees.risk.factor[name]).toBeTruthy();
      expect(de.employees.risk.factor[name]).toBeTruthy();
    }
    expect(isRiskFactor("salary")).toBe(false);
  });
});

describe("riskByEmployee", () => {
  it("maps each scored employee to their risk", () => {
    const map = riskByEmployee([
      { employee_id: "e1", risk: 0.42, factors: [] },
      { employee_id: "e2", risk: 0.05, factors: [] },
    ]);
    expect(map.get("e1")).toBe(0.42);
    expect(map.get("e3")).toBeUndefined();
  });
});

describe("riskRefusal", () => {
  const problem = (status: number, code: string | null) =>
    new ApiError({ status, title: "t", detail: "d", code });

  it("reads a model in training, too little history and a refusal", () => {
    expect(riskRefusal(problem(409, "attrition_not_ready"))).toBe("not_ready");
    expect(riskRefusal(problem(422, "too_little_history"))).toBe("too_little_history");
    expect(riskRefusal(problem(403, "attrition_forbidden"))).toBe("forbidden");
  });

  it("leaves every other failure to the error message", () => {
    expect(riskRefusal(problem(500, null))).toBeNull();
    expect(riskRefusal(problem(0, "network"))).toBeNull();
    expect(riskRefusal(new Error("boom"))).toBeNull();
  });
});
