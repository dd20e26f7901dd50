import type { dashboard as en } from "../en/dashboard";
import type { Shape } from "../shape";

// TODO-DE
export const dashboard: Shape<typeof en> = {
  title: "Dashboard",
  greeting: "Hello, {{name}}",
  headcount: "Headcount",
  headcountHint: "Active and on leave",
  joiners: "Joiners this month",
  leavers: "Leavers this month",
  expiring: "Documents expiring in 30 days",
  byDepartment: "Headcount by department",
  byDepartmentEmpty: "No departments yet.",
  department: "Department",
  people: "People",
  suppressed: "Hidden (fewer than 5)",
  myTeam: "My team",
  myTeamEmpty: "Nobody reports to you.",
  myDocuments: "My documents",
  myDocumentsEmpty: "No documents yet.",
  myProfile: "My profile",
  noEmployeeRecord: "Your account is not linked to an employee record. Ask HR to link it.",
  health: "System health",
  healthOk: "All systems working",
  healthDown: "A backend is down: {{names}}",
  cacheHitRatio: "Cache hit ratio",
  check: {
    database: "Database",
    storage: "Document storage",
    cache: "Cache",
  },
  state: {
    ok: "Working",
    degraded: "Degraded",
    down: "Down",
  },
  viewAll: "View all",
};
