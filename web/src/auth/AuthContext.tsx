import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { RESTORE_PRECACHE } from "../offline/messages";
import { onWipe, readMark, wipeOffline, type SyncMark } from "../offline/store";
import type { Viewer } from "../offline/sync";
import { refresh, session, type SessionState } from "./session";

export type Me = components["schemas"]["UserOut"];
export type Role = components["schemas"]["Role"];

interface AuthValue {
  state: SessionState;
  me: Me | null;
  /** The offline copy found when the app started (null: none, or wiped since). */
  offlineCopy: SyncMark | null;
  /** The session's resumption has not been answered for a while (a hanging network). */
  slowStart: boolean;
}

const AuthContext = createContext<AuthValue>({ state: "unknown", me: null, offlineCopy: null, slowStart: false });

// A start still waiting for the server this long may open the offline copy meanwhile.
const SLOW_START_MS = 4000;

/** The session's end wipes the offline copy and the caches; a new session has the
 * service worker fill its precache again, so it can start offline too. */
function followSession(next: SessionState, previous: SessionState): void {
  if (next === "signed_in") {
    if ("serviceWorker" in navigator) navigator.serviceWorker.controller?.postMessage({ type: RESTORE_PRECACHE });
  } else if (next === "expired" || previous === "signed_in" || session.signedOutByUser) {
    void wipeOffline();
  } else if (next === "signed_out") {
    // No session to resume at start: a copy left by one that ended goes too.
    void readMark().then((mark) => (mark === null ? undefined : wipeOffline()));
  }
}

/** The session's state and the signed-in user. On start, the cookie (if any) is spent
 * for an access token, so a reload keeps the user signed in without storing a token. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(session.state);
  const [offlineCopy, setOfflineCopy] = useState<SyncMark | null>(null);
  const [slowStart, setSlowStart] = useState(false);
  const client = useQueryClient();

  useEffect(() => {
    const timer = setTimeout(() => {
      setSlowStart(true);
    }, SLOW_START_MS);
    return () => {
      clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    let previous = session.state;
    const unsubscribe = session.subscribe((next) => {
      setState(next);
      followSession(next, previous);
      previous = next;
      // Nothing read while signed in outlives the session in this page's memory.
      if (next !== "signed_in") client.clear();
    });
    const forget = onWipe(() => {
      setOfflineCopy(null);
    });
    void readMark()
      .then(setOfflineCopy)
      .catch(() => undefined);
    if (session.state === "unknown") void refresh();
    // Started offline, the session could not be resumed: again once the network is back.
    const resume = () => {
      if (session.state === "unknown") void refresh();
    };
    window.addEventListener("online", resume);
    return () => {
      unsubscribe();
      forget();
      window.removeEventListener("online", resume);
    };
  }, [client]);

  const me = useQuery({
    queryKey: ["me"],
    queryFn: async () => unwrap(await api.GET("/api/v1/me")),
    enabled: state === "signed_in",
    staleTime: 60_000,
  });

  return (
    <AuthContext.Provider value={{ state, me: state === "signed_in" ? (me.data ?? null) : null, offlineCopy, slowStart }}>
      {children}
    </AuthContext.Provider>
  );
}

export function useAuth(): AuthValue {
  return useContext(AuthContext);
}

/** The signed-in user (inside the signed-in layout, where it is always known). */
export function useMe(): Me {
  const { me } = useAuth();
  if (me === null) throw new Error("useMe outside the signed-in layout");
  return me;
}

/** Who is using the app: the signed-in user, or, started offline, the owner of the
 * offline copy (only the offline pages are shown then). */
export function useViewer(): Viewer & { offline: boolean } {
  const { me, offlineCopy } = useAuth();
  if (me !== null) return { userId: me.id, employeeId: me.employee_id ?? null, offline: false };
  if (offlineCopy !== null) return { userId: offlineCopy.owner, employeeId: offlineCopy.employeeId, offline: true };
  throw new Error("useViewer outside the signed-in layout");
}

export function isStaff(role: Role): boolean {
  return role === "admin" || role === "hr";
}
