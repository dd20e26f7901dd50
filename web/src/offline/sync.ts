// Keeping the offline directory current: after sign-in, GET /api/v1/directory in pages
// (the first time everyone, later only what changed since the bookmark, with leavers as
// removals), each page written in one IndexedDB transaction with its bookmark, so an
// interrupted sync goes on where it stopped. Progress is a small external store.
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/errors";
import { directoryFields, onWipe, openOffline, readMark, wipeOffline, type DepartmentName, type OfflineDB } from "./store";

export interface Viewer {
  userId: string;
  employeeId: string | null;
}

export interface SyncStatus {
  running: boolean;
  done: number; // changes applied by this sync
  total: number | null; // done + remaining, once the first page says
  syncedAt: number | null; // the last complete sync (epoch ms)
  error: unknown;
}

const PAGE_SIZE = 1000;
const DEPARTMENT_PAGE = 500;

let status: SyncStatus = { running: false, done: 0, total: null, syncedAt: null, error: null };
const statusListeners = new Set<() => void>();
const changeListeners = new Set<() => void>();
let generation = 0; // a wipe starts a new one: a sync of the old one stops writing
let running: Promise<void> | null = null;

function publish(next: Partial<SyncStatus>): void {
  status = { ...status, ...next };
  for (const listener of statusListeners) listener();
}

onWipe(() => {
  generation += 1;
  publish({ running: false, done: 0, total: null, syncedAt: null, error: null });
});

export const syncStatus = {
  get: (): SyncStatus => status,
  subscribe: (listener: () => void): (() => void) => {
    statusListeners.add(listener);
    return () => statusListeners.delete(listener);
  },
};

/** Called after a sync changed the copy. */
export function onDirectoryChange(listener: () => void): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

/** Bring the copy up to date for this user (one sync at a time; callers share it). */
export function syncDirectory(viewer: Viewer): Promise<void> {
  running ??= run(viewer).finally(() => {
    running = null;
  });
  return running;
}

async function run(viewer: Viewer): Promise<void> {
  let mark = await readMark();
  // Someone else's copy (their session ended without a sign-out here): not this user's.
  if (mark !== null && mark.owner !== viewer.userId) {
    await wipeOffline();
    mark = null;
    for (const listener of changeListeners) listener();
  }
  const mine = generation;
  const current = () => mine === generation;
  const started = performance.now();
  publish({ running: true, done: 0, total: null, error: null, syncedAt: mark?.syncedAt ?? null });
  try {
    const db = await openOffline();
    let cursor = mark?.cursor ?? null;
    let syncedAt = mark?.syncedAt ?? null;
    let done = 0;
    let changed = false;
    for (;;) {
      let page;
      try {
        page = unwrap(
          await api.GET("/api/v1/directory", {
            params: { query: { limit: PAGE_SIZE, ...(cursor === null ? {} : { since: cursor }) } },
          }),
        );
      } catch (error) {
        // A bookmark the server no longer takes: start over from nothing.
        if (error instanceof ApiError && error.code === "invalid_cursor" && cursor !== null) {
          await db.clear("people");
          cursor = null;
          changed = true;
          continue;
        }
        throw error;
      }
      if (!current()) return;
      cursor = page.cursor;
      if (page.complete) syncedAt = Date.now();
      const tx = db.transaction(["people", "meta"], "readwrite");
      const people = tx.objectStore("people");
      const writes: Promise<unknown>[] = [];
      for (const item of page.items) writes.push(people.put(directoryFields(item)));
      for (const id of page.removed) writes.push(people.delete(id));
      writes.push(
        tx.objectStore("meta").put(
          { owner: viewer.userId, employeeId: viewer.employeeId, cursor, complete: page.complete, syncedAt },
          "sync",
        ),
      );
      await Promise.all([...writes, tx.done]);
      if (!current()) return;
      const applied = page.items.length + page.removed.length;
      changed ||= applied > 0;
      done += applied;
      publish({ done, total: done + page.remaining });
      if (page.complete) break;
    }
    // A renamed department changes what the pages show (and search) too.
    changed = (await syncDepartments(db)) || changed;
    if (!current()) return;
    // Read by bench/pwa.py: how long this sync took, from its start to the last write.
    performance.measure("shre:directory-sync", { start: started, end: performance.now(), detail: done });
    publish({ running: false, syncedAt });
    if (changed) for (const listener of changeListeners) listener();
  } catch (error) {
    if (current()) publish({ running: false, error });
  }
}

/** The departments' names (few; all of them each time): whether they changed. */
async function syncDepartments(db: OfflineDB): Promise<boolean> {
  const names = [];
  for (let page = 1; ; page += 1) {
    const answer = unwrap(await api.GET("/api/v1/departments", { params: { query: { page, page_size: DEPARTMENT_PAGE } } }));
    names.push(...answer.items.map(({ id, name, parent_id }) => ({ id, name, parent_id })));
    if (page * DEPARTMENT_PAGE >= answer.total) break;
  }
  const byId = (a: DepartmentName, b: DepartmentName) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const held = JSON.stringify((await db.getAll("departments")).sort(byId));
  if (held === JSON.stringify(names.sort(byId))) return false;
  const tx = db.transaction("departments", "readwrite");
  await Promise.all([tx.store.clear(), ...names.map((name) => tx.store.put(name)), tx.done]);
  return true;
}
