// The employee form's pure logic: form values to request bodies, client-side checks, and
// the API's field errors to the form's fields. No React here, so it is tested alone.
import type { ApiError } from "../../api/errors";
import type { components } from "../../api/schema";

export type EmployeeCreate = components["schemas"]["EmployeeCreate"];
export type EmployeeUpdate = components["schemas"]["EmployeeUpdate"];
type EmployeeOut = components["schemas"]["EmployeeOut"];

export const EMPLOYMENT_TYPES = ["full_time", "part_time", "contractor", "intern"] as const;
export const STATUSES = ["active", "on_leave", "terminated"] as const;

/** What the form holds: text as typed (dates as YYYY-MM-DD), ids or null. */
export interface EmployeeFormValues {
  first_name: string;
  last_name: string;
  email: string;
  employee_number: string;
  job_title: string;
  department_id: string | null;
  manager_id: string | null;
  hire_date: string;
  location: string;
  phone: string;
  employment_type: string;
  status: string;
  salary: string;
  salary_currency: string;
  ssn: string;
  bank_account: string;
  date_of_birth: string;
  home_address: string;
  effective_date: string;
}

export type FormField = keyof EmployeeFormValues;

export const FORM_FIELDS: readonly FormField[] = [
  "first_name",
  "last_name",
  "email",
  "employee_number",
  "job_title",
  "department_id",
  "manager_id",
  "hire_date",
  "location",
  "phone",
  "employment_type",
  "status",
  "salary",
  "salary_currency",
  "ssn",
  "bank_account",
  "date_of_birth",
  "home_address",
  "effective_date",
];

/** Fields the API requires on create (a blank one is refused before sending). */
export const REQUIRED_ON_CREATE: readonly FormField[] = [
  "first_name",
  "last_name",
  "email",
  "employee_number",
  "hire_date",
];

/** Write-only on edit: never loaded, an empty field means "keep the stored value". */
export const WRITE_ONLY: readonly FormField[] = ["ssn", "bank_account"];

/** Changes that enter the employment and salary history, where "Effective from" applies. */
export const DATED_FIELDS: readonly FormField[] = [
  "job_title",
  "department_id",
  "manager_id",
  "status",
  "salary",
  "salary_currency",
];

export function emptyValues(): EmployeeFormValues {
  return {
    first_name: "",
    last_name: "",
    email: "",
    employee_number: "",
    job_title: "",
    department_id: null,
    manager_id: null,
    hire_date: "",
    location: "",
    phone: "",
    employment_type: "full_time",
    status: "active",
    salary: "",
    salary_currency: "",
    ssn: "",
    bank_account: "",
    date_of_birth: "",
    home_address: "",
    effective_date: "",
  };
}

/** The form's values for a stored record (national ID and bank account left empty:
 * write-only on edit). */
export function valuesFromEmployee(record: EmployeeOut): EmployeeFormValues {
  const text = (value: string | null | undefined): string => value ?? "";
  return {
    first_name: text(record.first_name),
    last_name: text(record.last_name),
    email: text(record.email),
    employee_number: text(record.employee_number),
    job_title: text(record.job_title),
    department_id: record.department_id ?? null,
    manager_id: record.manager_id ?? null,
    hire_date: text(record.hire_date),
    location: text(record.location),
    phone: text(record.phone),
    employment_type: record.employment_type ?? "full_time",
    status: record.status ?? "active",
    salary: text(record.salary),
    salary_currency: text(record.salary_currency),
    ssn: "",
    bank_account: "",
    date_of_birth: text(record.date_of_birth),
    home_address: text(record.home_address),
    effective_date: "",
  };
}

/** A text field's value to send: trimmed (a salary keeps its digits exactly as typed),
 * or null when blank. The home address keeps its line breaks. */
function given(values: EmployeeFormValues, field: FormField): string | null {
  const value = values[field];
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

/** The POST body: required fields as given, blank optional ones left out. */
export function createBody(values: EmployeeFormValues): EmployeeCreate {
  const body: Record<string, string> = {};
  for (const field of FORM_FIELDS) {
    if (field === "effective_date") continue;
    const value = given(values, field);
    if (value !== null) body[field] = value;
  }
  // Required ones go even when blank, so the API names them in its 422 if the checks here
  // were skipped.
  for (const field of REQUIRED_ON_CREATE) body[field] ??= "";
  return body as unknown as EmployeeCreate;
}

/** The PATCH body: only the fields that changed; a cleared optional field becomes null;
 * a blank write-only field (national ID, bank account) means "unchanged" and is left out.
 * "Effective from" goes only with a change that enters the history. */
export function patchBody(initial: EmployeeFormValues, values: EmployeeFormValues): EmployeeUpdate {
  const body: Record<string, string | null> = {};
  for (const field of FORM_FIELDS) {
    if (field === "effective_date") continue;
    const value = given(values, field);
    if (WRITE_ONLY.includes(field)) {
      if (value !== null) body[field] = value;
      continue;
    }
    if (value !== given(initial, field)) body[field] = value;
  }
  const effective = given(values, "effective_date");
  if (effective !== null && DATED_FIELDS.some((field) => field in body)) body.effective_date = effective;
  return body;
}

export interface SelfServiceValues {
  phone: string;
  home_address: string;
  bank_account: string;
}

/** The self-service PATCH: the phone if it changed (blank clears it); the home address
 * and bank account only when something was typed (blank: unchanged, as they may not have
 * been revealed), or when a revealed value was changed. */
export function selfServiceBody(
  initial: SelfServiceValues,
  values: SelfServiceValues,
  revealed: { home_address: boolean; bank_account: boolean },
): EmployeeUpdate {
  const body: Record<string, string | null> = {};
  const phone = values.phone.trim() || null;
  if (phone !== (initial.phone.trim() || null)) body.phone = phone;
  for (const field of ["home_address", "bank_account"] as const) {
    const value = values[field].trim() || null;
    const before = initial[field].trim() || null;
    if (revealed[field] ? value !== before : value !== null) body[field] = value;
  }
  return body;
}

// --- checks on blur and before sending --------------------------------------------
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const EMPLOYEE_NUMBER = /^[A-Za-z0-9._-]+$/;
export const PHONE = /^[0-9+()./ x-]*$/;
/** Plain notation as the API takes it: digits and up to two decimals after a point. */
export const SALARY = /^\d{1,12}(\.\d{1,2})?$/;
export const CURRENCY = /^[A-Z]{3}$/;
export const DATE = /^\d{4}-\d{2}-\d{2}$/;

export type Problem =
  | "required"
  | "email"
  | "employeeNumber"
  | "phone"
  | "salary"
  | "currency"
  | "date";

/** What is wrong with one field's value (a message key), or null. */
export function checkField(field: FormField, values: EmployeeFormValues): Problem | null {
  const value = (values[field] ?? "").trim();
  // Required on create, and never to be cleared on edit.
  if (value === "") return REQUIRED_ON_CREATE.includes(field) ? "required" : null;
  switch (field) {
    case "email":
      return EMAIL.test(value) ? null : "email";
    case "employee_number":
      return EMPLOYEE_NUMBER.test(value) && value.length <= 32 ? null : "employeeNumber";
    case "phone":
      return PHONE.test(value) && value.length <= 40 ? null : "phone";
    case "salary":
      return SALARY.test(value) ? null : "salary";
    case "salary_currency":
      return CURRENCY.test(value) ? null : "currency";
    case "hire_date":
    case "date_of_birth":
    case "effective_date":
      return DATE.test(value) ? null : "date";
    default:
      return null;
  }
}

// --- the API's answers --------------------------------------------------------------
/** The form field an API field name belongs to ("salary", "body.salary", "salary.decimal"),
 * or null when the form has no such field. */
export function formFieldOf(apiField: string): FormField | null {
  const parts = apiField.split(".");
  const name = parts[0] === "body" ? parts[1] : parts[0];
  return name !== undefined && (FORM_FIELDS as readonly string[]).includes(name) ? (name as FormField) : null;
}

/** A 422's field messages for the form (form.setFieldErrors), and those for fields the
 * form does not have, to show as a message. */
export function mapFieldErrors(fields: Record<string, string>): {
  errors: Partial<Record<FormField, string>>;
  unmatched: string[];
} {
  const errors: Partial<Record<FormField, string>> = {};
  const unmatched: string[] = [];
  for (const [apiField, message] of Object.entries(fields)) {
    const field = formFieldOf(apiField);
    if (field === null) unmatched.push(`${apiField}: ${message}`);
    else errors[field] ??= message;
  }
  return { errors, unmatched };
}

/** The field a 409 is about (another employee has this email or employee number), from
 * its code ("email_taken", "employee_number_taken"), or null when it does not say. */
export function conflictField(error: Pick<ApiError, "status" | "code">): "email" | "employee_number" | null {
  if (error.status !== 409) return null;
  if (error.code === "email_taken") return "email";
  if (error.code === "employee_number_taken") return "employee_number";
  return null;
}

/** Whether the caller may read this record's national ID and bank account: hr and admin
 * every record's, anyone their own (DESIGN §4); the API decides, this only chooses
 * whether to offer "Reveal". */
export function maySeeSensitive(me: { role: string; employee_id?: string | null }, employeeId: string): boolean {
  return me.role === "hr" || me.role === "admin" || (me.employee_id ?? null) === employeeId;
}
