import {
  ActionIcon,
  AppShell,
  Avatar,
  Badge,
  Burger,
  Group,
  Menu,
  NavLink,
  Progress,
  ScrollArea,
  Text,
  UnstyledButton,
  VisuallyHidden,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconCloudOff, IconLogout, IconSearch, IconUser } from "@tabler/icons-react";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { Link, Navigate, NavLink as RouterLink, Outlet, useLocation } from "react-router";

import { useAuth, useViewer, type Me } from "../auth/AuthContext";
import { signOut } from "../auth/session";
import { PageLoader } from "../components/PageLoader";
import { useDirectorySync, useSyncStatus } from "../offline/useOffline";
import { navFor, type NavItem } from "./nav";
import { openPeopleSearch, PeopleSearch } from "./PeopleSearch";
import classes from "./Shell.module.css";

function isActive(item: NavItem, pathname: string): boolean {
  return item.to === "/" ? pathname === "/" : pathname.startsWith(item.to);
}

/** The signed-in layout; started offline (no session yet), the same layout with the
 * offline pages only. */
export function Shell() {
  const { t } = useTranslation();
  const { me } = useAuth();
  const viewer = useViewer();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const items = navFor(me?.role ?? null, viewer.employeeId !== null);
  const bottom = items.filter((item) => item.bottom === true);
  useDirectorySync(me === null ? null : viewer);
  const leave = () => {
    void signOut();
  };
  // Started offline: the offline pages only, the directory first.
  if (me === null && !items.some((item) => item.to !== "/" && isActive(item, location.pathname))) {
    return <Navigate to="/directory" replace />;
  }

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      footer={{ height: { base: 64, sm: 0 }, collapsed: bottom.length < 2 }}
      padding="md"
    >
      <a className="skip-link" href="#main">
        {t("common.skipToContent")}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t("nav.openNavigation")} />
            <Text component={Link} to="/" fw={700} size="lg">
              {t("common.appName")}
            </Text>
          </Group>
          {me === null ? (
            <Badge color="gray" variant="light" leftSection={<IconCloudOff size={14} aria-hidden />}>
              {t("offline.badge")}
            </Badge>
          ) : (
            <>
              <PeopleSearch />
              <Group gap="xs" wrap="nowrap">
                <ActionIcon
                  variant="subtle"
                  size="lg"
                  hiddenFrom="sm"
                  aria-label={t("nav.searchPeople")}
                  onClick={openPeopleSearch}
                >
                  <IconSearch size={20} aria-hidden />
                </ActionIcon>
                <UserMenu me={me} onSignOut={leave} />
              </Group>
            </>
          )}
        </Group>
        <SyncProgress />
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <AppShell.Section grow component={ScrollArea}>
          {items.map((item) => (
            <NavLink
              key={item.to}
              component={RouterLink}
              to={item.to}
              end={item.to === "/"}
              label={t(item.label)}
              leftSection={<item.icon size={18} aria-hidden />}
              active={isActive(item, location.pathname)}
              onClick={close}
            />
          ))}
        </AppShell.Section>
        <AppShell.Section>
          <NavLink
            component="button"
            label={t("auth.signOut")}
            leftSection={<IconLogout size={18} aria-hidden />}
            onClick={leave}
          />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Suspense fallback={<PageLoader />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
      {bottom.length >= 2 && (
        <AppShell.Footer hiddenFrom="sm" component="nav" aria-label={t("nav.quick")} className={classes.bottom}>
          {bottom.map((item) => (
            <UnstyledButton
              key={item.to}
              component={RouterLink}
              to={item.to}
              className={classes.bottomItem}
              data-active={isActive(item, location.pathname) || undefined}
              aria-current={isActive(item, location.pathname) ? "page" : undefined}
            >
              <item.icon size={22} aria-hidden />
              <span>{t(item.label)}</span>
            </UnstyledButton>
          ))}
        </AppShell.Footer>
      )}
    </AppShell>
  );
}

function UserMenu({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const { t } = useTranslation();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        {/* Named by what it shows (name and role, WCAG 2.5.3) and "Account". */}
        <UnstyledButton className={classes.account}>
          <Group gap={8} wrap="nowrap">
            <Avatar size="sm" radius="xl" color="blue" name={me.full_name} aria-hidden />
            <VisuallyHidden>{t("auth.account")}</VisuallyHidden>
            <div className="mantine-visible-from-sm">
              <Text size="sm" lh={1.2}>
                {me.full_name}
              </Text>
              <Text size="xs" c="dimmed" lh={1.2}>
                {t(`auth.role.${me.role}`)}
              </Text>
            </div>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{me.email}</Menu.Label>
        {me.employee_id !== null && (
          <Menu.Item component={Link} to={`/employees/${me.employee_id}`} leftSection={<IconUser size={16} aria-hidden />}>
            {t("nav.myProfile")}
          </Menu.Item>
        )}
        <Menu.Item leftSection={<IconLogout size={16} aria-hidden />} onClick={onSignOut}>
          {t("auth.signOut")}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

/** A thin bar under the header while the directory is saved for offline use. */
function SyncProgress() {
  const { t } = useTranslation();
  const status = useSyncStatus();
  if (!status.running || status.total === null || status.total === 0) return null;
  const percent = Math.round((status.done / status.total) * 100);
  return (
    <Progress
      className={classes.sync}
      value={percent}
      size="xs"
      radius={0}
      aria-label={t("offline.syncing", { done: status.done, total: status.total })}
    />
  );
}
