import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { refresh, session, type SessionState } from "./session";

export type Me = components["schemas"]["UserOut"];
export type Role = components["schemas"]["Role"];

interface AuthValue {
  state: SessionState;
  me: Me | null;
}

const AuthContext = createContext<AuthValue>({ state: "unknown", me: null });

/** The session's state and the signed-in user. On start, the cookie (if any) is spent
 * for an access token, so a reload keeps the user signed in without storing a token. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(session.state);
  const client = useQueryClient();

  useEffect(() => {
    const unsubscribe = session.subscribe((next) => {
      setState(next);
      // Nothing read while signed in outlives the session in this page's memory.
      if (next !== "signed_in") client.clear();
    });
    if (session.state === "unknown") void refresh();
    // Started offline, the session could not be resumed: again once the network is back.
    const resume = () => {
      if (session.state === "unknown") void refresh();
    };
    window.addEventListener("online", resume);
    return () => {
      unsubscribe();
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
    <AuthContext.Provider value={{ state, me: state === "signed_in" ? (me.data ?? null) : null }}>
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

export function isStaff(role: Role): boolean {
  return role === "admin" || role === "hr";
}
