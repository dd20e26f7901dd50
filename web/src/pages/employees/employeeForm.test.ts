import { describe, expect, it } from "vitest";

import {
  checkField,
  conflictField,
  createBody,
  emptyValues,
  formFieldOf,
  mapFieldErrors,
  maySeeSensitive,
  patchBody,
  selfServiceBody,
  valuesFromEmployee,
  type EmployeeFormValues,
} from "./employeeForm";

const stored = {
  id: "e1",
  first_name: "Ada",
  last_name: "Lovelace",
  email: "ada@example.com",
  employee_number: "E-001",
  job_title: "Engineer",
  department_id: "d1",
  manager_id: "m1",
  hire_date: "2020-01-15",
  location: "London",
  phone: "+44 20 1234",
  employment_type: "full_time",
  status: "active",
  salary: "85000.50",
  salary_currency: "EUR",
  date_of_birth: "1990-12-10",
  home_address: "1 Main St\nLondon",
};

function filled(): EmployeeFormValues {
  return {
    ...emptyValues(),
    first_name: " Ada ",
    last_name: "Lovelace",
    email: "ada@example.com",
    employee_number: "E-001",
    hire_date: "2020-01-15",
  };
}

describe("createBody", () => {
  it("sends required fields trimmed and leaves blank optional ones out", () => {
    const body = createBody(filled());
    expect(body).toEqual({
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada@example.com",
      employee_number: "E-001",
      hire_date: "2020-01-15",
      employment_type: "full_time",
      status: "active",
    });
    expect(body).not.toHaveProperty("salary");
    expect(body).not.toHaveProperty("manager_id");
    expect(body).not.toHaveProperty("effective_date");
  });

  it("keeps the salary exactly as typed, as a string", () => {
    const body = createBody({ ...filled(), salary: "85000.50", salary_currency: "EUR" });
    expect(body.salary).toBe("85000.50");
    expect(typeof body.salary).toBe("string");
    expect(createBody({ ...filled(), salary: "1000.0" }).salary).toBe("1000.0");
  });

  it("sends sensitive and picked fields when given", () => {
    const body = createBody({ ...filled(), ssn: "123-45-6789", department_id: "d1", manager_id: "m1" });
    expect(body).toMatchObject({ ssn: "123-45-6789", department_id: "d1", manager_id: "m1" });
  });

  it("still names blank required fields, so the API can say which", () => {
    const body = createBody(emptyValues());
    expect(body).toMatchObject({ first_name: "", last_name: "", email: "", employee_number: "", hire_date: "" });
  });
});

describe("patchBody", () => {
  const initial = valuesFromEmployee(stored);

  it("loads a record without national ID and bank account", () => {
    expect(initial.ssn).toBe("");
    expect(initial.bank_account).toBe("");
    expect(initial.salary).toBe("85000.50");
  });

  it("is empty when nothing changed", () => {
    expect(patchBody(initial, { ...initial })).toEqual({});
  });

  it("sends only the changed fields", () => {
    expect(patchBody(initial, { ...initial, location: "Paris", phone: "+44 20 1234" })).toEqual({ location: "Paris" });
  });

  it("turns a cleared optional field into null", () => {
    expect(patchBody(initial, { ...initial, location: "", manager_id: null })).toEqual({
      location: null,
      manager_id: null,
    });
  });

  it("treats surrounding spaces as no change", () => {
    expect(patchBody(initial, { ...initial, job_title: "  Engineer " })).toEqual({});
  });

  it("keeps a changed salary as the typed string", () => {
    expect(patchBody(initial, { ...initial, salary: "90000.00" })).toEqual({ salary: "90000.00" });
  });

  it("sends national ID and bank account only when typed (empty: unchanged)", () => {
    expect(patchBody(initial, { ...initial, ssn: "", bank_account: "" })).toEqual({});
    expect(patchBody(initial, { ...initial, bank_account: "DE89 3704" })).toEqual({ bank_account: "DE89 3704" });
  });

  it("sends the effective date only with a change that enters the history", () => {
    expect(patchBody(initial, { ...initial, phone: "1", effective_date: "2025-01-01" })).toEqual({ phone: "1" });
    expect(patchBody(initial, { ...initial, job_title: "Lead", effective_date: "2025-01-01" })).toEqual({
      job_title: "Lead",
      effective_date: "2025-01-01",
    });
    expect(patchBody(initial, { ...initial, salary: "1.5" })).toEqual({ salary: "1.5" });
  });
});

describe("selfServiceBody", () => {
  const initial = { phone: "123", home_address: "", bank_account: "" };
  const hiddenBoth = { home_address: false, bank_account: false };

  it("sends the phone when it changed, null when cleared", () => {
    expect(selfServiceBody(initial, { ...initial, phone: "456" }, hiddenBoth)).toEqual({ phone: "456" });
    expect(selfServiceBody(initial, { ...initial, phone: " " }, hiddenBoth)).toEqual({ phone: null });
  });

  it("leaves unrevealed address and account out when empty", () => {
    expect(selfServiceBody(initial, initial, hiddenBoth)).toEqual({});
    expect(selfServiceBody(initial, { ...initial, bank_account: "NL91" }, hiddenBoth)).toEqual({ bank_account: "NL91" });
  });

  it("clears a revealed value emptied on purpose", () => {
    const shown = { ...initial, home_address: "1 Main St" };
    expect(
      selfServiceBody(shown, { ...shown, home_address: "" }, { home_address: true, bank_account: false }),
    ).toEqual({ home_address: null });
  });
});

describe("API field errors to form fields", () => {
  it("maps plain, body-prefixed and nested names", () => {
    expect(formFieldOf("salary")).toBe("salary");
    expect(formFieldOf("body.email")).toBe("email");
    expect(formFieldOf("salary.decimal")).toBe("salary");
    expect(formFieldOf("manager_id")).toBe("manager_id");
    expect(formFieldOf("nonsense")).toBeNull();
  });

  it("splits a 422's fields into form errors and the rest", () => {
    const { errors, unmatched } = mapFieldErrors({
      salary: "must be a decimal number",
      "body.effective_date": "invalid date",
      termination_date: "must not be before hire_date",
    });
    expect(errors).toEqual({ salary: "must be a decimal number", effective_date: "invalid date" });
    expect(unmatched).toEqual(["termination_date: must not be before hire_date"]);
  });

  it("puts a 409 beside the field its code names", () => {
    expect(conflictField({ status: 409, code: "email_taken" })).toBe("email");
    expect(conflictField({ status: 409, code: "employee_number_taken" })).toBe("employee_number");
    expect(conflictField({ status: 409, code: "duplicate" })).toBeNull();
    expect(conflictField({ status: 422, code: "email_taken" })).toBeNull();
  });
});

describe("checkField", () => {
  it("requires the create fields", () => {
    expect(checkField("first_name", emptyValues())).toBe("required");
    expect(checkField("location", emptyValues())).toBeNull();
  });

  it("checks simple formats", () => {
    const values = filled();
    expect(checkField("email", { ...values, email: "nope" })).toBe("email");
    expect(checkField("employee_number", { ...values, employee_number: "E 1" })).toBe("employeeNumber");
    expect(checkField("salary", { ...values, salary: "85,000" })).toBe("salary");
    expect(checkField("salary", { ...values, salary: "85000.505" })).toBe("salary");
    expect(checkField("salary", { ...values, salary: "85000.5" })).toBeNull();
    expect(checkField("salary_currency", { ...values, salary_currency: "eu" })).toBe("currency");
    expect(checkField("phone", { ...values, phone: "+49 (30) 123-4" })).toBeNull();
    expect(checkField("phone", { ...values, phone: "call me" })).toBe("phone");
  });
});

describe("maySeeSensitive", () => {
  it("offers Reveal to hr, admin and the person themself only", () => {
    expect(maySeeSensitive({ role: "hr", employee_id: null }, "e1")).toBe(true);
    expect(maySeeSensitive({ role: "admin" }, "e1")).toBe(true);
    expect(maySeeSensitive({ role: "employee", employee_id: "e1" }, "e1")).toBe(true);
    expect(maySeeSensitive({ role: "manager", employee_id: "m1" }, "e1")).toBe(false);
    expect(maySeeSensitive({ role: "employee", employee_id: null }, "e1")).toBe(false);
  });
});
