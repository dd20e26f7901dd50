// "Keep offline" against a real IndexedDB implementation (fake-indexeddb, in memory) and
// the platform's WebCrypto: what is stored is ciphertext bound to its document, and a
// new life of the page (a new key) cannot read what an earlier one kept.
import "fake-indexeddb/auto";

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { KeptDocument } from "./keep";

const doc: KeptDocument = {
  id: "7d0b0b58-8f7f-4b5e-9d0e-1f0f5c1f2a01",
  title: "Employment contract",
  category: "contract",
  content_type: "application/pdf",
  filename: "contract.pdf",
  size: 23,
  version: 1,
  created_at: "2026-11-02T09:00:00Z",
  expires_on: null,
};
const content = "%PDF-1.4 the contract";

/** The modules as a fresh page would load them (their in-memory key gone). */
async function freshPage() {
  vi.resetModules();
  return { keep: await import("./keep"), store: await import("./store") };
}

async function storedFiles(store: Awaited<ReturnType<typeof freshPage>>["store"]) {
  return (await store.openOffline()).getAll("files");
}

describe("documents kept offline", () => {
  beforeEach(async () => {
    const { store } = await freshPage();
    await store.wipeOffline();
  });
  afterEach(async () => {
    const { store } = await freshPage();
    await store.wipeOffline();
  });

  it("stores only ciphertext and reads it back while the page lives", async () => {
    const { keep, store } = await freshPage();
    await keep.keepOffline(doc, new Blob([content], { type: "application/pdf" }));
    const [file] = await storedFiles(store);
    expect(file?.id).toBe(doc.id);
    const bytes = new TextDecoder("latin1").decode(file?.content.data);
    const meta = new TextDecoder("latin1").decode(file?.meta.data);
    expect(bytes).not.toContain("PDF");
    expect(meta).not.toContain("contract");
    expect(await keep.keptDocuments()).toEqual([doc]);
    expect(await (await keep.keptContent(doc.id))?.text()).toBe(content);
  });

  it("binds each sealed value to its document: swapped ciphertext is refused", async () => {
    const { keep, store } = await freshPage();
    const other = { ...doc, id: "0c0f4a8e-3b7d-4c55-a9e4-5f26a8e1d9b2", title: "Payslip" };
    await keep.keepOffline(doc, new Blob([content]));
    await keep.keepOffline(other, new Blob(["another"]));
    const db = await store.openOffline();
    const first = await db.get("files", doc.id);
    const second = await db.get("files", other.id);
    if (first === undefined || second === undefined) throw new Error("not kept");
    await db.put("files", { ...second, content: first.content });
    await expect(keep.keptContent(other.id)).rejects.toThrow();
  });

  it("is gone once the page's life ends: a new key cannot read it, so it is dropped", async () => {
    const before = await freshPage();
    await before.keep.keepOffline(doc, new Blob([content]));
    const after = await freshPage();
    expect(await after.keep.keptContent(doc.id)).toBeNull();
    expect(await after.keep.keptDocuments()).toEqual([]);
    expect(await storedFiles(after.store)).toEqual([]);
  });

  it("forgets a document on request and everything on a wipe", async () => {
    const { keep, store } = await freshPage();
    await keep.keepOffline(doc, new Blob([content]));
    await keep.forgetOffline(doc.id);
    expect(await keep.keptDocuments()).toEqual([]);
    await keep.keepOffline(doc, new Blob([content]));
    await store.wipeOffline();
    expect(await store.readMark()).toBeNull();
    expect((await indexedDB.databases()).map((db) => db.name)).not.toContain(store.DB_NAME);
  });
});
