import type { nav as en } from "../en/nav";
import type { Shape } from "../shape";

// TODO-DE
export const nav: Shape<typeof en> = {
  dashboard: "Dashboard",
  employees: "Employees",
  departments: "Departments",
  documents: "Documents",
  reports: "Reports",
  users: "Users",
  audit: "Audit",
  openNavigation: "Open navigation",
  searchPeople: "Search people",
  searchPeopleHint: "Name, email or employee number",
  searchShortcut: "Ctrl+K",
  noPeopleFound: "Nobody found",
  myProfile: "My profile",
};
