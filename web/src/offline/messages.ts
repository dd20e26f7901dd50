// What the page and the service worker (src/sw.ts) say to each other.
export const SKIP_WAITING = "SKIP_WAITING"; // workbox-window's messageSkipWaiting()
export const RESTORE_PRECACHE = "RESTORE_PRECACHE";
