/// <reference lib="webworker" />
// The service worker (built by vite-plugin-pwa's injectManifest into sw.js). It precaches
// the app shell and the hashed assets and caches no API response: the offline directory
// is the app's own (IndexedDB, src/offline). Pages come from the network (index.html
// carries a fresh style nonce each time), and from the precached shell only when the
// network fails or does not answer in time.
import { cleanupOutdatedCaches, PrecacheController, PrecacheFallbackPlugin, PrecacheRoute } from "workbox-precaching";
import { registerRoute } from "workbox-routing";
import { NetworkOnly } from "workbox-strategies";

import { RESTORE_PRECACHE, SKIP_WAITING } from "./offline/messages";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

// The server's own paths: never answered with the app's shell.
const SERVER_PATHS = /^\/(api|docs|openapi\.json|healthz|readyz|metrics)(\/|$)/;
// A page the network has not answered by then comes from the precache (a connection
// that hangs rather than fails, as on a train).
const PAGE_TIMEOUT_SECONDS = 4;

const precache = new PrecacheController();
precache.addToCacheList(self.__WB_MANIFEST);
self.addEventListener("install", (event) => void precache.install(event));
self.addEventListener("activate", (event) => void precache.activate(event));
cleanupOutdatedCaches();
registerRoute(new PrecacheRoute(precache));
registerRoute(
  ({ request, url }) => request.mode === "navigate" && !SERVER_PATHS.test(url.pathname),
  new NetworkOnly({
    networkTimeoutSeconds: PAGE_TIMEOUT_SECONDS,
    plugins: [new PrecacheFallbackPlugin({ fallbackURL: "index.html", precacheController: precache })],
  }),
);

/** Fill the precache again after a sign-out wiped every cache, so the next session can
 * start offline too (Workbox itself repairs it only for entries with an integrity). */
async function restorePrecache(): Promise<void> {
  const cache = await self.caches.open(precache.strategy.cacheName);
  const held = new Set((await cache.keys()).map((request) => request.url));
  for (const [url, key] of precache.getURLsToCacheKeys()) {
    if (held.has(key)) continue;
    const response = await fetch(url, { cache: "no-cache", credentials: "same-origin" });
    if (response.ok) await cache.put(key, response);
  }
}

self.addEventListener("message", (event) => {
  const type = (event.data as { type?: unknown } | null)?.type;
  // "Reload to update": the waiting version takes over (workbox-window sends this).
  if (type === SKIP_WAITING) void self.skipWaiting();
  if (type === RESTORE_PRECACHE) event.waitUntil(restorePrecache());
});
