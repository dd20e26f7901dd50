import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";

/** One user by id, cached for the page's life (actors repeat down the log). */
export function useUser(id: string | null) {
  return useQuery({
    queryKey: ["user", id],
    queryFn: async () => unwrap(await api.GET("/api/v1/users/{user_id}", { params: { path: { user_id: id ?? "" } } })),
    enabled: id !== null,
    staleTime: 600_000,
  });
}
