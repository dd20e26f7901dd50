import { auth } from "./auth";
import { common } from "./common";
import { dashboard } from "./dashboard";
import { departments } from "./departments";
import { documents } from "./documents";
import { employees } from "./employees";
import { nav } from "./nav";
import { users } from "./users";
import { audit } from "./audit";
import { reports } from "./reports";
import { offline } from "./offline";
import { imports } from "./imports";

export const en = { common, auth, nav, dashboard, employees, departments, documents, users, audit, reports, offline, imports };
export type Messages = typeof en;
