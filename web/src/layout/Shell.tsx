import {
  ActionIcon,
  AppShell,
  Avatar,
  Burger,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Text,
  UnstyledButton,
  VisuallyHidden,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconLogout, IconSearch, IconUser } from "@tabler/icons-react";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { Link, NavLink as RouterLink, Outlet, useLocation } from "react-router";

import { useMe } from "../auth/AuthContext";
import { signOut } from "../auth/session";
import { PageLoader } from "../components/PageLoader";
import { navFor } from "./nav";
import { openPeopleSearch, PeopleSearch } from "./PeopleSearch";

export function Shell() {
  const { t } = useTranslation();
  const me = useMe();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const items = navFor(me.role);
  const leave = () => {
    void signOut();
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
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
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                {/* Named by what it shows (name and role, WCAG 2.5.3) and "Account". */}
                <UnstyledButton>
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
                <Menu.Item
                  leftSection={<IconLogout size={16} aria-hidden />}
                  onClick={leave}
                >
                  {t("auth.signOut")}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
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
              active={item.to === "/" ? location.pathname === "/" : location.pathname.startsWith(item.to)}
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
    </AppShell>
  );
}
