import {
  IconAddressBook,
  IconBuildingCommunity,
  IconChartBar,
  IconFileText,
  IconFiles,
  IconHierarchy2,
  IconHome,
  IconListCheck,
  IconUsers,
  IconUserShield,
  type Icon,
} from "@tabler/icons-react";

import type { Role } from "../auth/AuthContext";

export interface NavItem {
  to: string;
  label: string; // i18n key
  icon: Icon;
  roles: readonly Role[];
  /** Only for a user whose account is an employee's (their team, their documents). */
  ownRecord?: boolean;
  /** Works with the network off (from the offline copy). */
  offline?: boolean;
  /** In the phone's bottom bar. */
  bottom?: boolean;
}

const everyone: readonly Role[] = ["admin", "hr", "manager", "employee"];

// What each role finds in the navigation; the API refuses the rest anyway.
export const navItems: readonly NavItem[] = [
  { to: "/", label: "nav.dashboard", icon: IconHome, roles: everyone, bottom: true },
  { to: "/directory", label: "nav.directory", icon: IconAddressBook, roles: everyone, offline: true, bottom: true },
  { to: "/team", label: "nav.myTeam", icon: IconHierarchy2, roles: everyone, ownRecord: true, offline: true, bottom: true },
  {
    to: "/my-documents",
    label: "nav.myDocuments",
    icon: IconFiles,
    roles: everyone,
    ownRecord: true,
    offline: true,
    bottom: true,
  },
  { to: "/employees", label: "nav.employees", icon: IconUsers, roles: everyone },
  { to: "/departments", label: "nav.departments", icon: IconBuildingCommunity, roles: everyone },
  { to: "/documents", label: "nav.documents", icon: IconFileText, roles: everyone },
  { to: "/reports", label: "nav.reports", icon: IconChartBar, roles: ["admin", "hr", "manager"] },
  { to: "/users", label: "nav.users", icon: IconUserShield, roles: ["admin"] },
  { to: "/audit", label: "nav.audit", icon: IconListCheck, roles: ["admin"] },
];

/** What the navigation offers: by role when signed in (role null: started offline,
 * only the offline pages), and the own-record pages only to an employee's account. */
export function navFor(role: Role | null, hasRecord: boolean): NavItem[] {
  return navItems.filter(
    (item) =>
      (role === null ? item.offline === true : item.roles.includes(role)) && (hasRecord || item.ownRecord !== true),
  );
}
