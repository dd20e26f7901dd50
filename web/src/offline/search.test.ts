import { describe, expect, it } from "vitest";

import { fold, search, searchable, byName } from "./search";
import type { DepartmentName, Person } from "./store";

function person(id: string, first: string, last: string, extra: Partial<Person> = {}): Person {
  return {
    id,
    employee_number: `E-${id}`,
    first_name: first,
    last_name: last,
    email: `${first}.${last}@example.com`.toLowerCase(),
    phone: null,
    job_title: null,
    department_id: null,
    manager_id: null,
    location: null,
    ...extra,
  };
}

const departments = new Map<string, DepartmentName>([["d1", { id: "d1", name: "Finance", parent_id: null }]]);
const people = [
  person("1", "Zoë", "Müller", { job_title: "Accountant", department_id: "d1" }),
  person("2", "Anna", "Smith", { location: "Berlin" }),
  person("3", "Hannah", "Annandale"),
  person("4", "Bob", "Anders", { job_title: "Engineer" }),
].map((p) => searchable(p, departments));
people.sort(byName);

describe("offline directory search", () => {
  it("folds case, accents and spaces", () => {
    expect(fold("  Zoë   MÜLLER ")).toBe("zoe muller");
  });

  it("finds by any word in any order, accents or not", () => {
    expect(search(people, "muller zoe", 10).items.map((e) => e.person.id)).toEqual(["1"]);
    expect(search(people, "finance", 10).items.map((e) => e.person.id)).toEqual(["1"]);
    expect(search(people, "berlin", 10).items.map((e) => e.person.id)).toEqual(["2"]);
    expect(search(people, "nobody", 10)).toEqual({ items: [], total: 0 });
  });

  it("puts names that start with the query first, then by last name", () => {
    // Zoë Müller only holds "an" (Finance, Accountant); the others' names start with it.
    expect(search(people, "an", 10).items.map((e) => e.person.id)).toEqual(["4", "3", "2", "1"]);
  });

  it("counts every match but returns at most the limit", () => {
    const result = search(people, "example.com", 2);
    expect(result.total).toBe(4);
    expect(result.items).toHaveLength(2);
  });

  it("lists everyone by last name for an empty query", () => {
    expect(search(people, " ", 10).items.map((e) => e.person.last_name)).toEqual(["Anders", "Annandale", "Müller", "Smith"]);
  });
});
