// The table's styles (main.tsx does not load them yet).

import { ActionIcon, Badge, Button, Group, Menu, Select, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import {
  IconCircleCheck,
  IconCircleX,
  IconDots,
  IconKey,
  IconLink,
  IconLinkOff,
  IconPlus,
  IconUserCog,
} from "@tabler/icons-react";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DataTableColumn } from "mantine-datatable";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, ApiError, unwrap } from "../../api/client";
import { useMe } from "../../auth/AuthContext";
import { ListFilters } from "../../components/ListFilters";
import { ListSearch } from "../../components/ListSearch";
import { PagedTable } from "../../components/PagedTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ExportButtons } from "../../components/ExportButtons";
import { formatDateTime } from "../../lib/format";
import { fullName, type User } from "../../lib/queries";
import { useListParams } from "../../lib/useListParams";
import { NewUserModal } from "./NewUserModal";
import { loadUser, patchUser, ROLES, type Role } from "./userApi";
import { UserDialog, type DialogKind, type OpenDialog } from "./UserDialog";
import { userErrorMessage } from "./userLogic";

const ROLE_COLOR: Record<Role, string> = { admin: "grape", hr: "blue", manager: "cyan", employee: "gray" };

export function RoleBadge({ role }: { role: Role }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" style={{ minWidth: "max-content" }} color={ROLE_COLOR[role]}>
      {t(`users.role.${role}`)}
    </Badge>
  );
}

function ActiveBadge({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const Icon = active ? IconCircleCheck : IconCircleX;
  return (
    <Badge variant="light" style={{ minWidth: "max-content" }} color={active ? "green" : "gray"} leftSection={<Icon size={12} aria-hidden />}>
      {active ? t("users.state.active") : t("users.state.inactive")}
    </Badge>
  );
}

/** The linked employee's name as a link (the same cache as the employee picker). */
function LinkedEmployee({ id }: { id: string }) {
  const { t } = useTranslation();
  const employee = useQuery({
    queryKey: ["employee-name", id],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/employees/{employee_id}", { params: { path: { employee_id: id } } })),
    staleTime: 300_000,
  });
  const label = employee.data ? fullName(employee.data) : employee.isError ? t("users.unknownEmployee") : "…";
  return (
    <Text component={Link} to={`/employees/${id}`} size="sm" c="blue">
      {label}
    </Text>
  );
}

export function UsersPage() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const list = useListParams("full_name");
  const { filters } = list;
  const [creating, creator] = useDisclosure(false);
  const [dialog, setDialog] = useState<OpenDialog | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const role = ROLES.includes(filters.role as Role) ? (filters.role as Role) : null;
  const isActive = filters.is_active === "true" ? true : filters.is_active === "false" ? false : null;
  const query = { page: list.page, page_size: list.pageSize, sort: list.sort, q: filters.q ?? null, role, is_active: isActive };
  const exportQuery = { ...query, page: null, page_size: null };
  const users = useQuery({
    queryKey: ["users", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/users", { params: { query } })),
    placeholderData: keepPreviousData,
  });

  const refresh = async (id: string) => {
    await client.invalidateQueries({ queryKey: ["users"] });
    await client.invalidateQueries({ queryKey: ["user", id] });
  };

  const failed = (cause: unknown) => {
    notifications.show({ color: "red", title: t("users.error.refused"), message: userErrorMessage(cause, t), autoClose: 10_000 });
  };

  /** Read the user (and its ETag) as stored now, then act on that. */
  const withFresh = async (row: User, key: string, act: (user: User, etag: string | null) => void | Promise<void>) => {
    setBusy(`${key}-${row.id}`);
    try {
      const { user, etag } = await loadUser(row.id);
      await act(user, etag);
    } catch (cause) {
      failed(cause);
    } finally {
      setBusy(null);
    }
  };

  const change = async (user: User, etag: string | null, body: { is_active?: boolean; employee_id?: null }, message: string) => {
    try {
      await patchUser(user.id, etag, body);
      notifications.show({ color: "green", message });
    } catch (cause) {
      failed(cause);
    } finally {
      await refresh(user.id);
    }
  };

  const toggleActive = (row: User) =>
    withFresh(row, "active", (user, etag) => {
      const name = user.full_name;
      if (!user.is_active) return change(user, etag, { is_active: true }, t("users.reactivated", { name }));
      modals.openConfirmModal({
        title: t("users.deactivateTitle", { name }),
        children: <Text size="sm">{t("users.deactivateText", { name })}</Text>,
        labels: { confirm: t("users.deactivate"), cancel: t("common.cancel") },
        confirmProps: { color: "red" },
        onConfirm: () => void change(user, etag, { is_active: false }, t("users.deactivated", { name })),
      });
    });

  const unlink = (row: User) =>
    withFresh(row, "unlink", (user, etag) => {
      const name = user.full_name;
      modals.openConfirmModal({
        title: t("users.unlinkTitle", { name }),
        children: <Text size="sm">{t("users.unlinkText")}</Text>,
        labels: { confirm: t("users.unlink"), cancel: t("common.cancel") },
        confirmProps: { color: "red" },
        onConfirm: () => void change(user, etag, { employee_id: null }, t("users.unlinked", { name })),
      });
    });

  const open = (row: User, kind: DialogKind) =>
    withFresh(row, kind, (user, etag) => {
      setDialog({ kind, user, etag });
    });

  const columns: DataTableColumn<User>[] = [
    {
      accessor: "full_name",
      title: t("users.field.full_name"),
      sortable: true,
      noWrap: true,
      render: (row) => (
        <div>
          <Text size="sm" fw={500}>
            {row.full_name}
            {row.id === me.id && (
              <Text span size="xs" c="dimmed">
                {` (${t("users.you")})`}
              </Text>
            )}
          </Text>
          <Text size="xs" c="dimmed">
            {row.email}
          </Text>
        </div>
      ),
    },
    { accessor: "role", title: t("users.field.role"), sortable: true, render: (row) => <RoleBadge role={row.role} /> },
    { accessor: "is_active", title: t("users.field.is_active"), render: (row) => <ActiveBadge active={row.is_active} /> },
    {
      accessor: "employee_id",
      title: t("users.field.employee_id"),
      noWrap: true,
      render: (row) =>
        row.employee_id ? (
          <LinkedEmployee id={row.employee_id} />
        ) : (
          <Text size="sm" c="dimmed">
            {t("users.noEmployee")}
          </Text>
        ),
    },
    {
      accessor: "last_login_at",
      title: t("users.field.last_login_at"),
      sortable: true,
      noWrap: true,
      render: (row) => (row.last_login_at ? formatDateTime(row.last_login_at) : t("users.never")),
    },
    {
      accessor: "actions",
      title: t("users.actions"),
      textAlign: "right",
      render: (row) => (
        <Group gap={4} justify="flex-end" wrap="nowrap">
          <Button
            size="compact-sm"
            variant="default"
            color={row.is_active ? "red" : undefined}
            loading={busy === `active-${row.id}`}
            onClick={() => void toggleActive(row)}
          >
            {row.is_active ? t("users.deactivate") : t("users.reactivate")}
          </Button>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon
                variant="subtle"
                aria-label={t("users.moreActions", { name: row.full_name })}
                loading={busy !== null && busy.endsWith(row.id) && !busy.startsWith("active")}
              >
                <IconDots size={18} aria-hidden />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item leftSection={<IconUserCog size={16} aria-hidden />} onClick={() => void open(row, "role")}>
                {t("users.changeRole")}
              </Menu.Item>
              <Menu.Item leftSection={<IconLink size={16} aria-hidden />} onClick={() => void open(row, "link")}>
                {t("users.linkEmployee")}
              </Menu.Item>
              {row.employee_id !== null && (
                <Menu.Item leftSection={<IconLinkOff size={16} aria-hidden />} onClick={() => void unlink(row)}>
                  {t("users.unlinkEmployee")}
                </Menu.Item>
              )}
              <Menu.Item leftSection={<IconKey size={16} aria-hidden />} onClick={() => void open(row, "password")}>
                {t("users.resetPassword")}
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      ),
    },
  ];

  if (users.error instanceof ApiError && users.error.status === 403) {
    // Not an admin: the API says so, once.
    return (
      <Stack>
        <Title order={1}>{t("users.title")}</Title>
        <ErrorMessage error={users.error} />
      </Stack>
    );
  }

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t("users.title")}</Title>
        <Group gap="xs">
          <ExportButtons path="/api/v1/users" query={exportQuery} name="users" />
          <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={creator.open}>
            {t("users.newUser")}
          </Button>
        </Group>
      </Group>
              <ListSearch list={list} placeholder={t("users.searchPlaceholder")} wait={250} width={260} />
<ListFilters active={[role, isActive].filter((value) => value !== null).length}>
        <Select
          label={t("users.field.role")}
          placeholder={t("users.anyRole")}
          data={ROLES.map((r) => ({ value: r, label: t(`users.role.${r}`) }))}
          value={role}
          onChange={(value) => {
            list.update({ role: value });
          }}
          clearable
          w={{ base: "100%", sm: 160 }}
        />
        <Select
          label={t("users.field.is_active")}
          placeholder={t("users.anyState")}
          data={[
            { value: "true", label: t("users.state.active") },
            { value: "false", label: t("users.state.inactive") },
          ]}
          value={isActive === null ? null : String(isActive)}
          onChange={(value) => {
            list.update({ is_active: value });
          }}
          clearable
          w={{ base: "100%", sm: 160 }}
        />
      </ListFilters>
      {users.isError && <ErrorMessage error={users.error} />}
      <PagedTable<User>
        list={list}
        defaultSort={"full_name"}
        data={users.data}
        fetching={users.isFetching}
        columns={columns}
        noRecordsText={t("users.empty")}
      />
      <NewUserModal opened={creating} onClose={creator.close} />
      <UserDialog
        dialog={dialog}
        onClose={() => {
          setDialog(null);
        }}
      />
    </Stack>
  );
}
