import { describe, expect, it } from "vitest";

import { ApiError } from "../../api/errors";
import i18n from "../../i18n";
import {
  busy,
  canImport,
  errorsByColumn,
  importAnswerOf,
  importErrorText,
  importForm,
  importReducer,
  initialImport,
  shownErrors,
  type ImportAction,
  type ImportResult,
  type ImportState,
} from "./importLogic";

const t = i18n.getFixedT("en");

function result(fields: Partial<ImportResult> = {}): ImportResult {
  return {
    dry_run: true,
    created: 2,
    updated: 1,
    unchanged: 0,
    departments_created: 0,
    errors: [],
    error_count: 0,
    preview: { columns: ["employee_number", "first_name"], rows: [["E-1", "Ada"]] },
    ...fields,
  };
}

function run(actions: ImportAction[], from: ImportState = initialImport): ImportState {
  return actions.reduce(importReducer, from);
}

const file = new File(["employee_number\nE-1\n"], "people.csv", { type: "text/csv" });
const other = new File(["employee_number\nE-2\n"], "other.csv", { type: "text/csv" });

describe("the import's states", () => {
  it("checks a chosen file at once, and offers Import only after a clean dry run", () => {
    const checking = run([{ type: "choose", file }]);
    expect(checking.phase).toBe("checking");
    expect(checking.run).toBe(1);
    expect(busy(checking)).toBe(true);
    expect(canImport(checking)).toBe(false);

    const halfway = importReducer(checking, { type: "progress", run: 1, fraction: 0.5 });
    expect(halfway.progress).toBe(0.5);

    const checked = importReducer(halfway, { type: "answered", run: 1, result: result() });
    expect(checked.phase).toBe("checked");
    expect(checked.progress).toBeNull();
    expect(canImport(checked)).toBe(true);
  });

  it("keeps Import off while the dry run found errors", () => {
    const bad = result({ errors: [{ row: 3, field: "email", message: "not an email" }], error_count: 1 });
    const checked = run([{ type: "choose", file }, { type: "answered", run: 1, result: bad }]);
    expect(checked.phase).toBe("checked");
    expect(canImport(checked)).toBe(false);
    // Pressed anyway (a stale button): nothing happens.
    expect(importReducer(checked, { type: "import" })).toBe(checked);
  });

  it("ignores the answer of a file that was replaced meanwhile", () => {
    const state = run([
      { type: "choose", file },
      { type: "choose", file: other },
      { type: "answered", run: 1, result: result({ created: 99 }) },
      { type: "progress", run: 1, fraction: 0.9 },
    ]);
    expect(state.phase).toBe("checking");
    expect(state.file).toBe(other);
    expect(state.check).toBeNull();
    expect(state.progress).toBe(0);
    const answered = importReducer(state, { type: "answered", run: 2, result: result({ created: 5 }) });
    expect(answered.check?.created).toBe(5);
  });

  it("checks again when the departments option changes, and not without a file", () => {
    const none = importReducer(initialImport, { type: "departments", value: true });
    expect(none.createDepartments).toBe(true);
    expect(none.phase).toBe("idle");
    expect(none.run).toBe(0);

    const checked = run([{ type: "choose", file }, { type: "answered", run: 1, result: result() }]);
    const again = importReducer(checked, { type: "departments", value: true });
    expect(again.phase).toBe("checking");
    expect(again.run).toBe(2);
    expect(again.createDepartments).toBe(true);
    expect(again.check).toBeNull();
    expect(canImport(again)).toBe(false);
  });

  it("imports, then shows what the import did", () => {
    const checked = run([{ type: "choose", file }, { type: "answered", run: 1, result: result() }]);
    const importing = importReducer(checked, { type: "import" });
    expect(importing.phase).toBe("importing");
    expect(importing.run).toBe(2);
    expect(importing.check).not.toBeNull(); // still shown while importing
    const done = importReducer(importing, { type: "answered", run: 2, result: result({ dry_run: false }) });
    expect(done.phase).toBe("imported");
    expect(done.result?.dry_run).toBe(false);
    expect(canImport(done)).toBe(false);
    const fresh = importReducer(done, { type: "reset" });
    expect(fresh.phase).toBe("idle");
    expect(fresh.file).toBeNull();
    expect(fresh.run).toBe(3);
  });

  it("lets a failed import (the network) be tried again, but not a failed check", () => {
    const checked = run([{ type: "choose", file }, { type: "answered", run: 1, result: result() }]);
    const failed = run([{ type: "import" }, { type: "failed", run: 2, error: new ApiError({ status: 0, title: "x", detail: "y" }) }], checked);
    expect(failed.phase).toBe("failed");
    expect(failed.failedStep).toBe("import");
    expect(canImport(failed)).toBe(true);

    const badCheck = run([{ type: "choose", file }, { type: "failed", run: 1, error: new Error("boom") }]);
    expect(badCheck.failedStep).toBe("check");
    expect(canImport(badCheck)).toBe(false);
    expect(importReducer(badCheck, { type: "recheck" }).phase).toBe("checking");
  });

  it("shows the errors a refused import carries in place of the dry run's", () => {
    const checked = run([{ type: "choose", file }, { type: "answered", run: 1, result: result() }]);
    const refusal = new ApiError({
      status: 422,
      title: "Unprocessable Content",
      detail: "1 invalid cell(s): nothing was imported",
      code: "import_invalid",
      body: {
        status: 422,
        code: "import_invalid",
        errors: [{ row: 2, field: "email", message: "Another employee has this email" }],
        dry_run: false,
        created: 0,
        updated: 0,
        unchanged: 0,
        departments_created: 0,
        error_count: 1,
        preview: { columns: ["email"], rows: [["a@example.com"]] },
      },
    });
    const refused = run([{ type: "import" }, { type: "failed", run: 2, error: refusal }], checked);
    expect(refused.phase).toBe("checked");
    expect(refused.failedStep).toBe("import");
    expect(refused.check?.error_count).toBe(1);
    expect(refused.check?.errors[0]?.field).toBe("email");
    expect(canImport(refused)).toBe(false);
  });
});

describe("a refused import's answer", () => {
  it("is read from a 422 with row errors only", () => {
    const withRows = new ApiError({
      status: 422,
      title: "x",
      detail: "y",
      body: { errors: [{ row: 4, field: "row", message: "duplicate" }], error_count: 1500 },
    });
    const answer = importAnswerOf(withRows);
    expect(answer?.error_count).toBe(1500);
    expect(answer?.preview).toEqual({ columns: [], rows: [] });

    // An unreadable file's 422 names the file field, not rows.
    const unreadable = new ApiError({
      status: 422,
      title: "x",
      detail: "Unknown column: nmae",
      code: "unknown_column",
      body: { errors: [{ field: "file", location: "body", message: "Unknown column: nmae" }] },
    });
    expect(importAnswerOf(unreadable)).toBeNull();
    expect(importAnswerOf(new Error("x"))).toBeNull();
    expect(importAnswerOf(new ApiError({ status: 409, title: "x", detail: "y", body: { errors: [] } }))).toBeNull();
  });
});

describe("row errors as shown", () => {
  const errors = [
    { row: 5, field: "hire_date", message: "not a date" },
    { row: 2, field: "email", message: "not an email" },
    { row: 2, field: "department_name", message: "no such department" },
    { row: 9, field: "email", message: "duplicate" },
  ];

  it("lists them in the file's order and counts the rest", () => {
    const { rows, more } = shownErrors(result({ errors, error_count: 1204 }), 3);
    expect(rows.map((e) => `${e.row}:${e.field}`)).toEqual(["2:department_name", "2:email", "5:hire_date"]);
    expect(more).toBe(1201);
    expect(shownErrors(result({ errors, error_count: 4 })).more).toBe(0);
  });

  it("groups them by column, most rows first", () => {
    expect(errorsByColumn([...errors, { row: 9, field: "email", message: "again" }])).toEqual([
      { field: "email", rows: 2 },
      { field: "department_name", rows: 1 },
      { field: "hire_date", rows: 1 },
    ]);
  });
});

describe("the request", () => {
  it("sends the options before the file", () => {
    const form = importForm(file, { dryRun: true, createDepartments: false });
    expect([...form.keys()]).toEqual(["dry_run", "create_departments", "file"]);
    expect(form.get("dry_run")).toBe("true");
    expect(form.get("create_departments")).toBe("false");
    expect((form.get("file") as File).name).toBe("people.csv");
  });
});

describe("failures in words", () => {
  const problem = (status: number, code: string | null, detail = "detail") =>
    new ApiError({ status, title: "x", detail, code });

  it("says what to do next", () => {
    expect(importErrorText(problem(403, "hr_only"), t, "check")).toBe(
      "Only HR and administrators can import employees. Ask one of them to import the file.",
    );
    expect(importErrorText(problem(422, "unknown_column", "Unknown column: nmae"), t, "check")).toContain(
      "Unknown column: nmae — compare its header row with the template",
    );
    expect(importErrorText(problem(422, "too_many_rows", "At most 10000 rows."), t, "check")).toBe(
      "At most 10000 rows. Split the file into smaller files and import them one after the other.",
    );
    expect(importErrorText(problem(413, "file_too_large", "An import file holds at most 10 MiB"), t, "check")).toContain(
      "Split the file",
    );
    expect(importErrorText(problem(503, null), t, "import")).toContain("nothing was imported");
    expect(importErrorText(problem(0, "network"), t, "check")).toBe(
      "The server could not be reached. Check your connection and try again.",
    );
  });
});
