// The offline copy in React: the sync's progress, starting and repeating the sync for
// the signed-in user, and queries over the copy that run with the network off.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";

import { onKeptChange } from "./keep";
import { onDirectoryChange, syncDirectory, syncStatus, type SyncStatus, type Viewer } from "./sync";

// Again this often while the app is open and visible (and at once when back online).
const RESYNC_MS = 5 * 60_000;

export function useSyncStatus(): SyncStatus {
  return useSyncExternalStore(syncStatus.subscribe, syncStatus.get);
}

/** Keep the copy current while this user is signed in (the signed-in layout runs it). */
export function useDirectorySync(viewer: Viewer | null): void {
  const client = useQueryClient();
  const userId = viewer?.userId ?? null;
  const employeeId = viewer?.employeeId ?? null;
  useEffect(() => {
    const stale = () => void client.invalidateQueries({ queryKey: ["offline"] });
    const forgetDirectory = onDirectoryChange(stale);
    const forgetKept = onKeptChange(stale);
    if (userId === null) {
      return () => {
        forgetDirectory();
        forgetKept();
      };
    }
    const sync = () => void syncDirectory({ userId, employeeId });
    const whenVisible = () => {
      if (document.visibilityState === "visible") sync();
    };
    sync();
    const timer = setInterval(whenVisible, RESYNC_MS);
    window.addEventListener("online", sync);
    return () => {
      forgetDirectory();
      forgetKept();
      clearInterval(timer);
      window.removeEventListener("online", sync);
    };
  }, [client, userId, employeeId]);
}

/** Options for a query over the offline copy: it runs with the network off too. */
export const offlineQuery = { networkMode: "always", staleTime: Infinity, retry: false } as const;
