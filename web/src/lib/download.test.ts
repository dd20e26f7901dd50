import { describe, expect, it } from "vitest";

import { dispositionFilename, queryString } from "./download";

describe("dispositionFilename", () => {
  it("prefers the UTF-8 name", () => {
    expect(dispositionFilename(`attachment; filename="a.csv"; filename*=UTF-8''Gehalts%C3%BCbersicht.csv`)).toBe(
      "Gehaltsübersicht.csv",
    );
  });

  it("reads a plain name, and nothing from nothing", () => {
    expect(dispositionFilename('attachment; filename="employees.xlsx"')).toBe("employees.xlsx");
    expect(dispositionFilename(null)).toBeNull();
  });
});

describe("queryString", () => {
  it("leaves out empty values", () => {
    expect(queryString({ q: "ann", page: 2, status: null, x: undefined, y: "" })).toBe("?q=ann&page=2");
    expect(queryString({})).toBe("");
  });

  it("writes booleans as the API reads them, false included", () => {
    expect(queryString({ is_active: false, role: "hr", format: "csv" })).toBe("?is_active=false&role=hr&format=csv");
  });
});
