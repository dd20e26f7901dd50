// The users page's pure logic: the password rules as the API states them
// (src/shre/auth/passwords.py; the API still decides), and its refusals in words.
import type { TFunction } from "i18next";

import { ApiError } from "../../api/errors";
import { describeError } from "../../components/ErrorMessage";

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** The comparison spelling the API uses: case, width and accents folded, trimmed. */
export function fold(text: string): string {
  const folded = text.normalize("NFKC").toLowerCase().replace(/ß/g, "ss").normalize("NFKD").replace(/\p{M}/gu, "");
  return folded.replace(/\u0131/g, "i").normalize("NFKC").toLowerCase().trim();
}

export type PasswordRule = "length" | "notEmail" | "variety";

/** Each rule and whether `password` keeps it. */
export function passwordRules(password: string, email: string): { rule: PasswordRule; ok: boolean }[] {
  const chars = Array.from(password); // code points, as the API counts
  const folded = fold(password);
  const address = fold(email);
  const local = address.split("@", 1)[0] ?? "";
  const names = [local, local.split("+", 1)[0] ?? ""];
  const containsEmail =
    (address !== "" && folded.includes(address)) || names.some((name) => name.length >= 3 && folded.includes(name));
  return [
    { rule: "length", ok: chars.length >= MIN_PASSWORD_LENGTH && chars.length <= MAX_PASSWORD_LENGTH },
    { rule: "notEmail", ok: !containsEmail },
    { rule: "variety", ok: new Set(chars).size >= 4 },
  ];
}

/** The first broken rule's key, for a field error on blur (null: all kept). */
export function passwordError(password: string, email: string): PasswordRule | null {
  return passwordRules(password, email).find((r) => !r.ok)?.rule ?? null;
}

/** An API refusal of a user change in words; the last-admin rule explained. */
export function userErrorMessage(error: unknown, t: TFunction): string {
  if (error instanceof ApiError && error.status === 409) {
    if (error.code === "last_admin") return t("users.error.lastAdmin");
    if (error.code === "email_taken") return t("users.error.emailTaken");
    if (error.code === "employee_linked") return t("users.error.employeeLinked");
  }
  return describeError(error, t);
}

/** Messages to show beside the form's fields (422 field errors, and the 409s that are
 * about one field); empty when the error is not about a field. */
export function userFieldErrors(error: unknown, t: TFunction): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  if (error.status === 409 && (error.code === "email_taken" || error.code === "duplicate")) {
    return { email: t("users.error.emailTaken") };
  }
  if (error.status === 409 && error.code === "employee_linked") {
    return { employee_id: t("users.error.employeeLinked") };
  }
  if (error.status === 422) return { ...error.fields };
  return {};
}
