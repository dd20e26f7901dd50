import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { User } from "../../lib/queries";

export type UserUpdate = components["schemas"]["UserUpdate"];
export type Role = components["schemas"]["Role"];
export const ROLES: readonly Role[] = ["admin", "hr", "manager", "employee"];

/** A user as stored now, with the ETag to send back on a change (412 if it moved on). */
export async function loadUser(id: string): Promise<{ user: User; etag: string | null }> {
  const result = await api.GET("/api/v1/users/{user_id}", { params: { path: { user_id: id } } });
  const user = unwrap(result);
  return { user, etag: result.response.headers.get("ETag") };
}

export async function patchUser(id: string, etag: string | null, body: UserUpdate): Promise<User> {
  return unwrap(
    await api.PATCH("/api/v1/users/{user_id}", {
      params: { path: { user_id: id }, header: { "if-match": etag } },
      body,
    }),
  );
}
