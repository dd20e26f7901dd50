// Documents kept offline ("Keep offline" on a document the user opened): metadata and
// content stored in IndexedDB as AES-256-GCM ciphertext under a key that lives only in
// this page's memory (WebCrypto, not extractable), never written anywhere. When the app
// is closed the key is gone and what was kept cannot be read: it is removed the next
// time the app looks. So a kept document survives a lost connection, never a closed
// app, a sign-out or another user on the phone.
import type { DocumentRecord } from "../lib/queries";
import { onWipe, openExisting, openOffline, type Sealed } from "./store";

// What is kept of a document's details (sealed with its bytes).
const KEPT_FIELDS = [
  "id",
  "title",
  "category",
  "content_type",
  "filename",
  "size",
  "version",
  "created_at",
  "expires_on",
] as const;

export type KeptDocument = Pick<DocumentRecord, (typeof KEPT_FIELDS)[number]>;

let key: Promise<CryptoKey> | null = null;
const listeners = new Set<() => void>();

onWipe(() => {
  key = null;
});

function changed(): void {
  for (const listener of listeners) listener();
}

export function onKeptChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** This page's key; the first use in a page's life also drops what an earlier life kept
 * (its key is gone, so it is ciphertext nobody can read). */
function sessionKey(): Promise<CryptoKey> {
  key ??= (async () => {
    await (await openOffline()).clear("files");
    return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  })();
  return key;
}

async function seal(plain: BufferSource, id: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  // The document's id as associated data: a sealed value cannot pass for another's.
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(id) },
    await sessionKey(),
    plain,
  );
  return { iv, data };
}

async function open(sealed: Sealed, id: string): Promise<ArrayBuffer> {
  return crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv, additionalData: new TextEncoder().encode(id) },
    await sessionKey(),
    sealed.data,
  );
}

export async function keepOffline(doc: KeptDocument, content: Blob): Promise<void> {
  const meta = Object.fromEntries(KEPT_FIELDS.map((field) => [field, doc[field]]));
  const sealed = {
    id: doc.id,
    meta: await seal(new TextEncoder().encode(JSON.stringify(meta)), `${doc.id}:meta`),
    content: await seal(await content.arrayBuffer(), `${doc.id}:content`),
  };
  await (await openOffline()).put("files", sealed);
  changed();
}

export async function forgetOffline(id: string): Promise<void> {
  await (await openOffline()).delete("files", id);
  changed();
}

/** What this page's life kept, readable; nothing once the app was closed in between. */
export async function keptDocuments(): Promise<KeptDocument[]> {
  const db = await openExisting();
  if (db === null) return [];
  await sessionKey();
  const files = await db.getAll("files");
  const kept = await Promise.all(
    files.map(async (file) => JSON.parse(new TextDecoder().decode(await open(file.meta, `${file.id}:meta`))) as KeptDocument),
  );
  return kept.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

/** A kept document's content, or null when it is not kept (or no longer readable). */
export async function keptContent(id: string): Promise<Blob | null> {
  const db = await openExisting();
  if (key === null || db === null) return null;
  const file = await db.get("files", id);
  if (file === undefined) return null;
  const meta = JSON.parse(new TextDecoder().decode(await open(file.meta, `${id}:meta`))) as KeptDocument;
  return new Blob([await open(file.content, `${id}:content`)], { type: meta.content_type });
}
