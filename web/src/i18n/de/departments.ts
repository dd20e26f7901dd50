import type { departments as en } from "../en/departments";
import type { Shape } from "../shape";

// TODO-DE
export const departments: Shape<typeof en> = {
  title: "Departments",
};
