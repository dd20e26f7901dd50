import type { TFunction } from "i18next";
import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/errors";
import { fold, passwordError, passwordRules, userErrorMessage, userFieldErrors } from "./userLogic";

const t = ((key: string) => key) as unknown as TFunction;

describe("passwordRules", () => {
  it("accepts a long, varied password", () => {
    expect(passwordError("correct horse battery", "jane@example.com")).toBeNull();
  });
  it("wants at least 12 characters", () => {
    expect(passwordError("Short1!x", "jane@example.com")).toBe("length");
    expect(passwordError("abcdefghijk", "x@y.z")).toBe("length");
    expect(passwordError("abcdefghijkl", "x@y.z")).toBeNull();
  });
  it("refuses the email or its user name, whatever the case or accents", () => {
    expect(passwordError("xxJANE@EXAMPLE.COM12", "jane@example.com")).toBe("notEmail");
    expect(passwordError("my-jäne-password", "jane+hr@example.com")).toBe("notEmail");
    // a user name under 3 letters is not a rule
    expect(passwordRules("jo-long-password", "jo@example.com").find((r) => r.rule === "notEmail")?.ok).toBe(true);
  });
  it("wants more than three different characters", () => {
    expect(passwordError("abcabcabcabc", "x@y.z")).toBe("variety");
  });
  it("folds like the API", () => {
    expect(fold("  Straße ")).toBe("strasse");
    expect(fold("ÉCOLE")).toBe("ecole");
  });
});

describe("user errors", () => {
  const conflict = (code: string) => new ApiError({ status: 409, title: "Conflict", detail: "d", code });
  it("explains the last-admin refusal", () => {
    expect(userErrorMessage(conflict("last_admin"), t)).toBe("users.error.lastAdmin");
  });
  it("puts a duplicate email beside Email", () => {
    expect(userFieldErrors(conflict("email_taken"), t)).toEqual({ email: "users.error.emailTaken" });
  });
  it("puts 422 messages beside their fields", () => {
    const invalid = new ApiError({
      status: 422,
      title: "Invalid",
      detail: "d",
      fields: { password: "must be at least 12 characters" },
    });
    expect(userFieldErrors(invalid, t)).toEqual({ password: "must be at least 12 characters" });
  });
  it("has no field for other errors", () => {
    expect(userFieldErrors(conflict("last_admin"), t)).toEqual({});
    expect(userFieldErrors(new Error("x"), t)).toEqual({});
  });
});
