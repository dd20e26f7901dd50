import type { audit as en } from "../en/audit";
import type { Shape } from "../shape";

// TODO-DE
export const audit: Shape<typeof en> = {
  title: "Audit",
};
