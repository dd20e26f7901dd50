// Searching the offline directory: pure functions over the records in memory, so a
// search of 10,000 people takes a few milliseconds (bench/pwa.py measures it).
import type { DepartmentName, Person } from "./store";

/** Text as it is compared: lower case, accents and extra spaces gone ("Zoë" ~ "zoe"). */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

export interface Searchable {
  person: Person;
  department: string | null;
  text: string; // everything a search looks at, folded
  sortKey: string;
}

export function searchable(person: Person, departments: ReadonlyMap<string, DepartmentName>): Searchable {
  const department = departments.get(person.department_id ?? "")?.name ?? null;
  const parts = [
    `${person.first_name} ${person.last_name}`,
    `${person.last_name} ${person.first_name}`,
    person.email,
    person.employee_number,
    person.job_title ?? "",
    person.location ?? "",
    department ?? "",
  ];
  return {
    person,
    department,
    text: fold(parts.join(" \u0000 ")),
    sortKey: fold(`${person.last_name} ${person.first_name}`),
  };
}

export function byName(a: Searchable, b: Searchable): number {
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

export interface Matches {
  items: Searchable[];
  total: number;
}

/** The people whose text holds every word of the query (in any order), those whose
 * name starts with the query first, then by last name; at most `limit` of them. */
export function search(entries: readonly Searchable[], query: string, limit: number): Matches {
  const words = fold(query).split(" ").filter((word) => word !== "");
  if (words.length === 0) return { items: entries.slice(0, limit), total: entries.length };
  const start = words.join(" ");
  const first: Searchable[] = [];
  const rest: Searchable[] = [];
  for (const entry of entries) {
    if (!words.every((word) => entry.text.includes(word))) continue;
    (entry.text.startsWith(start) || entry.sortKey.startsWith(start) ? first : rest).push(entry);
  }
  const all = first.concat(rest);
  return { items: all.slice(0, limit), total: all.length };
}
