export const nav = {
  dashboard: "Dashboard",
  employees: "Employees",
  departments: "Departments",
  documents: "Documents",
  reports: "Reports",
  users: "Users",
  audit: "Audit",
  openNavigation: "Open navigation",
  // Not "Search": that name belongs to each list's own search box (DESIGN §4).
  searchPeople: "Find a person",
  searchPeopleHint: "Name, email or employee number",
  searchShortcut: "Ctrl+K",
  noPeopleFound: "Nobody found",
  myProfile: "My profile",
};
