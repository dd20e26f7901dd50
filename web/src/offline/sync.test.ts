// The directory's sync against a stubbed server (fetch) and a real IndexedDB
// implementation (fake-indexeddb): what it writes and when it says the copy changed.
import "fake-indexeddb/auto";

import { beforeEach, describe, expect, it, vi } from "vitest";

import { openOffline, wipeOffline } from "./store";

const viewer = { userId: "u1", employeeId: null };
let departmentName = "Finance";
const person = {
  id: "p1",
  employee_number: "E-1",
  first_name: "Ada",
  last_name: "Lovelace",
  email: "ada@example.com",
  phone: null,
  job_title: null,
  department_id: "d1",
  manager_id: null,
  location: null,
};
let people: (typeof person)[] = [];

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

// The API client keeps the fetch it found when created: the stub comes first.
vi.stubGlobal("fetch", (input: Request) => server(input));
const { onDirectoryChange, syncDirectory } = await import("./sync");

beforeEach(async () => {
  await wipeOffline();
  people = [person];
  departmentName = "Finance";
});

function server(input: Request): Response {
  const path = new URL(input.url).pathname;
  if (path === "/api/v1/directory") {
    const page = { items: people, removed: [], cursor: "c1", complete: true, remaining: 0 };
    people = []; // the next sync: nothing new
    return json(page);
  }
  if (path === "/api/v1/departments") {
    return json({ items: [{ id: "d1", name: departmentName, parent_id: null }], total: 1, page: 1, page_size: 500 });
  }
  return new Response(null, { status: 404 });
}

describe("the directory's sync", () => {
  it("writes the people and the departments' names, and says the copy changed", async () => {
    const changed = vi.fn();
    const stop = onDirectoryChange(changed);
    await syncDirectory(viewer);
    stop();
    const db = await openOffline();
    expect(await db.getAll("people")).toEqual([person]);
    expect(await db.getAll("departments")).toEqual([{ id: "d1", name: "Finance", parent_id: null }]);
    expect(changed).toHaveBeenCalledOnce();
  });

  it("says nothing changed when nothing did, and that it changed when only a department was renamed", async () => {
    await syncDirectory(viewer);
    const changed = vi.fn();
    const stop = onDirectoryChange(changed);
    await syncDirectory(viewer);
    expect(changed).not.toHaveBeenCalled();
    departmentName = "Accounts";
    await syncDirectory(viewer);
    stop();
    expect(changed).toHaveBeenCalledOnce();
    expect((await (await openOffline()).get("departments", "d1"))?.name).toBe("Accounts");
  });
});
