import {
  IconBuildingCommunity,
  IconChartBar,
  IconFileText,
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
}

const everyone: readonly Role[] = ["admin", "hr", "manager", "employee"];

// What each role finds in the navigation; the API refuses the rest anyway.
export const navItems: readonly NavItem[] = [
  { to: "/", label: "nav.dashboard", icon: IconHome, roles: everyone },
  { to: "/employees", label: "nav.employees", icon: IconUsers, roles: everyone },
  { to: "/departments", label: "nav.departments", icon: IconBuildingCommunity, roles: everyone },
  { to: "/documents", label: "nav.documents", icon: IconFileText, roles: everyone },
  { to: "/reports", label: "nav.reports", icon: IconChartBar, roles: ["admin", "hr", "manager"] },
  { to: "/users", label: "nav.users", icon: IconUserShield, roles: ["admin"] },
  { to: "/audit", label: "nav.audit", icon: IconListCheck, roles: ["admin"] },
];

export function navFor(role: Role): NavItem[] {
  return navItems.filter((item) => item.roles.includes(role));
}
