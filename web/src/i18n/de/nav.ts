import type { nav as en } from "../en/nav";
import type { Shape } from "../shape";

export const nav: Shape<typeof en> = {
  dashboard: "Übersicht",
  directory: "Verzeichnis",
  myTeam: "Mein Team",
  myDocuments: "Meine Dokumente",
  quick: "Schnellnavigation",
  employees: "Mitarbeitende",
  departments: "Abteilungen",
  documents: "Dokumente",
  reports: "Berichte",
  users: "Benutzer",
  audit: "Protokoll",
  openNavigation: "Navigation öffnen",
  searchPeople: "Person finden",
  searchPeopleHint: "Name, E-Mail oder Personalnummer",
  searchShortcut: "Strg+K",
  noPeopleFound: "Niemand gefunden",
  myProfile: "Mein Profil",
};
