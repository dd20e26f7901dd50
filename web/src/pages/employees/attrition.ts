// Attrition risk's pure logic: the level of a probability, the factors worth showing and
// their direction, and what a refusal of /analytics/attrition-risk means for the page.
import { ApiError } from "../../api/errors";
import type { components } from "../../api/schema";

export type AttritionRisk = components["schemas"]["AttritionRisk"];
export type AttritionItem = components["schemas"]["AttritionItem"];
export type AttritionFactor = components["schemas"]["AttritionFactor"];

export type RiskLevel = "low" | "medium" | "high";

/** low below 15 %, medium below 35 %, high from there. */
export function riskLevel(risk: number): RiskLevel {
  if (risk < 0.15) return "low";
  if (risk < 0.35) return "medium";
  return "high";
}

/** The factors the model explains its scores with (each has a label in the i18n files). */
export const RISK_FACTORS = [
  "tenure_years",
  "months_since_last_raise",
  "months_since_promotion",
  "salary_position",
  "manager_changes_24m",
  "team_turnover_12m",
  "no_review_12m",
] as const;

export type RiskFactor = (typeof RISK_FACTORS)[number];

export function isRiskFactor(name: string): name is RiskFactor {
  return (RISK_FACTORS as readonly string[]).includes(name);
}

export type Direction = "raises" | "lowers" | "neutral";

/** A push on the log-odds this small hardly moves the risk (and its sign means little). */
const NEGLIGIBLE = 0.05;

export function direction(effect: number): Direction {
  if (!Number.isFinite(effect) || Math.abs(effect) < NEGLIGIBLE) return "neutral";
  return effect > 0 ? "raises" : "lowers";
}

export interface FactorWording {
  /** The factor's name as the API sent it (for an unknown one, the label is made from it). */
  name: string;
  known: boolean;
  direction: Direction;
}

/** The `count` factors with the largest effect, either way, each with its direction. */
export function topFactors(factors: readonly AttritionFactor[], count = 3): FactorWording[] {
  return [...factors]
    .filter((factor) => Number.isFinite(factor.effect))
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect))
    .slice(0, count)
    .map((factor) => ({ name: factor.name, known: isRiskFactor(factor.name), direction: direction(factor.effect) }));
}

/** "months_since_last_raise" as words, for a factor the app has no label for yet. */
export function plainName(name: string): string {
  const words = name.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Each scored employee's risk, by id. */
export function riskByEmployee(items: readonly AttritionItem[]): Map<string, number> {
  return new Map(items.map((item) => [item.employee_id, item.risk]));
}

/** Why the risk cannot be shown: the model is being trained (409: ask again soon), the
 * history is too small (422, the reason in the message), not for this user (403); null
 * for any other failure (shown as an error). */
export type RiskRefusal = "not_ready" | "too_little_history" | "forbidden";

export function riskRefusal(error: unknown): RiskRefusal | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 409) return "not_ready";
  if (error.status === 422) return "too_little_history";
  if (error.status === 403) return "forbidden";
  return null;
}
