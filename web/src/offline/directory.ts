// The offline directory as the pages read it: the whole copy in memory once (10,000
// people load in well under a second), searched by search.ts; one person and a
// manager's reports straight from IndexedDB.
import { onWipe, openExisting, readMark, type DepartmentName, type OfflineDB, type Person } from "./store";
import { byName, search, searchable, type Matches, type Searchable } from "./search";
import { onDirectoryChange } from "./sync";

let loaded: Promise<Searchable[]> | null = null;
let named: Promise<Map<string, DepartmentName>> | null = null;
const forget = () => {
  loaded = null;
  named = null;
};
onDirectoryChange(forget);
onWipe(forget);

async function load(): Promise<Searchable[]> {
  const started = performance.now();
  const db = await openExisting();
  const [people, departments] =
    db === null ? [[], new Map<string, DepartmentName>()] : await Promise.all([db.getAll("people"), departmentNames(db)]);
  const entries = people.map((person) => searchable(person, departments));
  entries.sort(byName);
  performance.measure("shre:directory-load", { start: started, end: performance.now(), detail: entries.length });
  return entries;
}

/** The departments' names (a few dozen rows), read once. */
function departmentNames(db: OfflineDB): Promise<Map<string, DepartmentName>> {
  named ??= db.getAll("departments").then(
    (names) => new Map(names.map((name) => [name.id, name])),
    (error: unknown) => {
      named = null;
      throw error;
    },
  );
  return named;
}

function directory(): Promise<Searchable[]> {
  loaded ??= load().catch((error: unknown) => {
    loaded = null;
    throw error;
  });
  return loaded;
}

/** Everyone in the copy, or null when there is no copy (never saved, or wiped). */
export async function savedDirectory(): Promise<Searchable[] | null> {
  if ((await readMark()) === null) return null;
  return directory();
}

/** Search the copy; the time each search takes is a User Timing measure
 * ("shre:directory-search"), read by bench/pwa.py. */
export function searchDirectory(entries: readonly Searchable[], query: string, limit: number): Matches {
  const started = performance.now();
  const result = search(entries, query, limit);
  performance.measure("shre:directory-search", { start: started, end: performance.now() });
  return result;
}

export interface Card {
  person: Searchable;
  manager: Searchable | null;
  reports: Searchable[];
}

/** A person with their manager and their direct reports, or null when not in the copy. */
export async function personCard(id: string): Promise<Card | null> {
  const db = await openExisting();
  if (db === null) return null;
  const [found, reports] = await Promise.all([db.get("people", id), db.getAllFromIndex("people", "manager", id)]);
  if (found === undefined) return null;
  // The names only: a card needs not the whole copy in memory.
  const departments = await departmentNames(db);
  const manager = found.manager_id == null ? undefined : await db.get("people", found.manager_id);
  const asEntry = (person: Person) => searchable(person, departments);
  return {
    person: asEntry(found),
    manager: manager === undefined ? null : asEntry(manager),
    reports: reports.map(asEntry).sort(byName),
  };
}
