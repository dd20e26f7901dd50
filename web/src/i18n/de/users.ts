import type { users as en } from "../en/users";
import type { Shape } from "../shape";

// TODO-DE
export const users: Shape<typeof en> = {
  title: "Users",
};
