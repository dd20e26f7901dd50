// The phone's offline copy (IndexedDB through idb): the staff directory (directory fields
// only, DESIGN §5), the departments' names, the sync's bookmark, and the documents the
// user chose to keep offline (encrypted, keep.ts). Wiped on sign-out and when the session
// ends (wipeOffline), together with every cache of the origin.
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from "idb";

import type { components } from "../api/schema";

export type Person = components["schemas"]["DirectoryEntry"];

export interface DepartmentName {
  id: string;
  name: string;
  parent_id: string | null;
}

/** Where the directory's sync stands, and whose copy this is. */
export interface SyncMark {
  owner: string; // the signed-in user's id
  employeeId: string | null; // their own record, for "my team"
  cursor: string | null;
  complete: boolean;
  syncedAt: number | null; // epoch ms of the last complete sync
}

/** A kept document: metadata and content, each AES-GCM under the session's key. */
export interface SealedFile {
  id: string;
  meta: Sealed;
  content: Sealed;
}

export interface Sealed {
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

interface OfflineSchema extends DBSchema {
  people: { key: string; value: Person; indexes: { manager: string } };
  departments: { key: string; value: DepartmentName };
  meta: { key: "sync"; value: SyncMark };
  files: { key: string; value: SealedFile };
}

export type OfflineDB = IDBPDatabase<OfflineSchema>;

export const DB_NAME = "shre-offline";

// The directory fields a record keeps: a copy names them, so nothing else can slip in.
const FIELDS = [
  "id",
  "employee_number",
  "first_name",
  "last_name",
  "email",
  "phone",
  "job_title",
  "department_id",
  "manager_id",
  "location",
] as const satisfies readonly (keyof Person)[];

export function directoryFields(entry: Person): Person {
  const copy: Record<string, unknown> = {};
  for (const field of FIELDS) copy[field] = entry[field] ?? null;
  return copy as unknown as Person;
}

let connection: Promise<OfflineDB> | null = null;
const wipeListeners = new Set<() => void>();

/** The copy for writing (the sync, "Keep offline"): created when missing. */
export function openOffline(): Promise<OfflineDB> {
  connection ??= openDB<OfflineSchema>(DB_NAME, 1, {
    upgrade(db) {
      const people = db.createObjectStore("people", { keyPath: "id" });
      people.createIndex("manager", "manager_id");
      db.createObjectStore("departments", { keyPath: "id" });
      db.createObjectStore("meta");
      db.createObjectStore("files", { keyPath: "id" });
    },
    // Another tab deletes the database (its sign-out): let it.
    blocking() {
      void close();
    },
  });
  return connection;
}

async function close(): Promise<void> {
  const open = connection;
  connection = null;
  if (open !== null) (await open.catch(() => null))?.close();
}

/** Called when the copy is wiped (the in-memory views drop what they hold). */
export function onWipe(listener: () => void): () => void {
  wipeListeners.add(listener);
  return () => wipeListeners.delete(listener);
}

/** Forget everything this origin keeps for the user: the offline database and every
 * cache (the service worker's precache is restored at the next sign-in). */
export async function wipeOffline(): Promise<void> {
  for (const listener of wipeListeners) listener();
  await close();
  await deleteDB(DB_NAME);
  if (typeof caches !== "undefined") {
    for (const name of await caches.keys()) await caches.delete(name);
  }
}

/** The copy for reading: null when there is none (asking never creates it, so a wiped
 * copy stays wiped whatever a page still on screen asks). */
export async function openExisting(): Promise<OfflineDB | null> {
  if (connection === null && typeof indexedDB.databases === "function") {
    const held = await indexedDB.databases();
    if (!held.some((db) => db.name === DB_NAME)) return null;
  }
  return openOffline();
}

/** The sync's bookmark, or null when there is no copy (never synced, or wiped). */
export async function readMark(): Promise<SyncMark | null> {
  return (await (await openExisting())?.get("meta", "sync")) ?? null;
}
