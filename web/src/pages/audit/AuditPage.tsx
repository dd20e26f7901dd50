// The table's styles (main.tsx does not load them yet).

import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Code,
  Group,
  Select,
  Skeleton,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import {
  IconAlertTriangle,
  IconBan,
  IconCircleCheck,
  IconCircleX,
  IconRefresh,
  IconShieldCheck,
  IconShieldX,
} from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { DataTableColumn } from "mantine-datatable";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, ApiError, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ListFilters } from "../../components/ListFilters";
import { PagedTable } from "../../components/PagedTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ExportButtons } from "../../components/ExportButtons";
import { formatDateTime, formatNumber } from "../../lib/format";
import { useListParams } from "../../lib/useListParams";
import { auditQuery, KNOWN_ACTIONS, TARGET_TYPES } from "./auditQuery";
import { useUser } from "./users";
import { UserSelect } from "./UserSelect";

type AuditEvent = components["schemas"]["AuditEventOut"];

function VerifyStatus() {
  const { t } = useTranslation();
  const verify = useQuery({
    queryKey: ["audit-verify"],
    queryFn: async () => unwrap(await api.GET("/api/v1/audit/verify")),
    staleTime: 0,
  });
  const again = (
    <Button
      variant="default"
      size="compact-sm"
      leftSection={<IconRefresh size={14} aria-hidden />}
      loading={verify.isFetching}
      onClick={() => void verify.refetch()}
    >
      {t("audit.verifyAgain")}
    </Button>
  );
  if (verify.isPending) {
    return (
      <Stack gap={4} role="status" aria-label={t("audit.verifying")}>
        <Skeleton height={56} />
      </Stack>
    );
  }
  if (verify.isError) {
    return (
      <Stack gap="xs">
        <ErrorMessage error={verify.error} />
        <Group>{again}</Group>
      </Stack>
    );
  }
  const report = verify.data;
  if (report.ok) {
    return (
      <Alert color="teal" variant="light" icon={<IconShieldCheck aria-hidden />} role="status">
        <Group justify="space-between" gap="xs">
          <Text size="sm" fw={500}>
            {t("audit.verifyIntact", { checked: formatNumber(report.checked) })}
          </Text>
          {again}
        </Group>
      </Alert>
    );
  }
  return (
    <Alert color="red" icon={<IconShieldX aria-hidden />} title={t("audit.verifyBroken")} role="alert">
      <Stack gap={4}>
        <Text size="sm">
          {report.first_bad_event_id !== null
            ? t("audit.verifyBrokenAt", { seq: report.first_bad_seq ?? "?", id: report.first_bad_event_id })
            : t("audit.verifyBrokenNoEvent")}
        </Text>
        {report.reason && <Text size="sm">{t("audit.verifyReason", { reason: report.reason })}</Text>}
        <Group>{again}</Group>
      </Stack>
    </Alert>
  );
}

function ActorName({ id }: { id: string | null }) {
  const { t } = useTranslation();
  const user = useUser(id);
  if (id === null) return <Text size="sm" c="dimmed">{t("audit.system")}</Text>;
  if (user.data) {
    return (
      <Text size="sm" title={user.data.email}>
        {user.data.full_name}
      </Text>
    );
  }
  if (user.isError) return <Text size="sm">{t("audit.unknownUser", { id: id.slice(0, 8) })}</Text>;
  return <Skeleton height={12} width={80} />;
}

const OUTCOME = {
  success: { color: "green", Icon: IconCircleCheck },
  failure: { color: "red", Icon: IconCircleX },
  denied: { color: "orange", Icon: IconBan },
} as const;

function OutcomeBadge({ outcome }: { outcome: string }) {
  const { t } = useTranslation();
  const look = outcome in OUTCOME ? OUTCOME[outcome as keyof typeof OUTCOME] : { color: "gray", Icon: IconAlertTriangle };
  return (
    <Badge variant="light" style={{ minWidth: "max-content" }} color={look.color} leftSection={<look.Icon size={12} aria-hidden />}>
      {t(`audit.outcome.${outcome}`, { defaultValue: outcome })}
    </Badge>
  );
}

function Target({ event }: { event: AuditEvent }) {
  const { t } = useTranslation();
  const type = event.target_type;
  const others = event.target_ids.filter((id) => id !== event.target_id).length;
  if (type === null && event.target_id === null && others === 0) return <>—</>;
  const typeLabel = type === null ? "" : t(`audit.targetType.${type}`, { defaultValue: type });
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {typeLabel}
      </Text>
      {event.target_id !== null &&
        (type === "employee" ? (
          <Text component={Link} to={`/employees/${event.target_id}`} size="sm" c="blue" ff="monospace">
            {event.target_id.slice(0, 8)}
          </Text>
        ) : (
          <Text size="sm" ff="monospace" title={event.target_id}>
            {event.target_id.length > 12 ? event.target_id.slice(0, 8) : event.target_id}
          </Text>
        ))}
      {others > 0 && (
        <Text size="xs" c="dimmed">
          {t("audit.records", { count: others })}
        </Text>
      )}
    </Stack>
  );
}

export function AuditPage() {
  const { t } = useTranslation();
  const list = useListParams("-at");
  const { filters } = list;
  const [action, setAction] = useState(filters.action ?? "");
  const [targetId, setTargetId] = useState(filters.target_id ?? "");
  const setFilter = useDebouncedCallback((key: string, value: string) => {
    list.update({ [key]: value.trim() || null });
  }, 300);

  const query = auditQuery(list);
  const events = useQuery({
    queryKey: ["audit", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/audit", { params: { query } })),
    placeholderData: keepPreviousData,
  });

  const columns: DataTableColumn<AuditEvent>[] = [
    { accessor: "at", title: t("audit.field.at"), sortable: true, noWrap: true, render: (e) => formatDateTime(e.at) },
    { accessor: "actor_id", title: t("audit.field.actor"), noWrap: true, render: (e) => <ActorName id={e.actor_id} /> },
    {
      accessor: "actor_role",
      title: t("audit.field.actor_role"),
      noWrap: true,
      render: (e) => (e.actor_role ? t(`users.role.${e.actor_role}`, { defaultValue: e.actor_role }) : "—"),
    },
    { accessor: "action", title: t("audit.field.action"), sortable: true, render: (e) => <Code>{e.action}</Code> },
    { accessor: "target_id", title: t("audit.field.target"), render: (e) => <Target event={e} /> },
    {
      accessor: "fields",
      title: t("audit.field.fields"),
      render: (e) => (e.fields.length ? e.fields.join(", ") : "—"),
    },
    { accessor: "outcome", title: t("audit.field.outcome"), render: (e) => <OutcomeBadge outcome={e.outcome} /> },
    { accessor: "client_ip", title: t("audit.field.client_ip"), noWrap: true, render: (e) => e.client_ip ?? "—" },
  ];

  if (events.error instanceof ApiError && events.error.status === 403) {
    // Not an admin: the API says so, once.
    return (
      <Stack>
        <Title order={1}>{t("audit.title")}</Title>
        <ErrorMessage error={events.error} />
      </Stack>
    );
  }

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t("audit.title")}</Title>
        <ExportButtons path="/api/v1/audit" query={{ ...query, page: null, page_size: null }} name="audit" />
      </Group>
      <VerifyStatus />
      <ListFilters active={["actor_id", "action", "target_type", "target_id", "since", "until"].filter((key) => filters[key] !== undefined).length}>
        <UserSelect
          label={t("audit.field.actor")}
          placeholder={t("audit.anyActor")}
          value={filters.actor_id ?? null}
          onChange={(id) => {
            list.update({ actor_id: id });
          }}
          w={{ base: "100%", sm: 240 }}
        />
        <Autocomplete
          label={t("audit.field.action")}
          placeholder={t("audit.anyAction")}
          description={t("audit.actionHint")}
          data={[...KNOWN_ACTIONS]}
          value={action}
          onChange={(value) => {
            setAction(value);
            setFilter("action", value);
          }}
          clearable
          limit={40}
          w={{ base: "100%", sm: 220 }}
        />
        <Select
          label={t("audit.field.target_type")}
          placeholder={t("audit.anyTarget")}
          data={TARGET_TYPES.map((type) => ({ value: type, label: t(`audit.targetType.${type}`) }))}
          value={filters.target_type ?? null}
          onChange={(value) => {
            list.update({ target_type: value });
          }}
          clearable
          w={{ base: "100%", sm: 170 }}
        />
        <TextInput
          label={t("audit.field.target_id")}
          value={targetId}
          onChange={(event) => {
            setTargetId(event.currentTarget.value);
            setFilter("target_id", event.currentTarget.value);
          }}
          autoComplete="off"
          w={{ base: "100%", sm: 200 }}
        />
        <TextInput
          type="datetime-local"
          label={t("audit.field.since")}
          value={filters.since ?? ""}
          onChange={(event) => {
            list.update({ since: event.currentTarget.value || null });
          }}
          w={{ base: "100%", sm: 200 }}
        />
        <TextInput
          type="datetime-local"
          label={t("audit.field.until")}
          value={filters.until ?? ""}
          onChange={(event) => {
            list.update({ until: event.currentTarget.value || null });
          }}
          w={{ base: "100%", sm: 200 }}
        />
      </ListFilters>
      {events.isError && <ErrorMessage error={events.error} />}
      <PagedTable<AuditEvent>
        list={list}
        defaultSort={"-at"}
        data={events.data}
        fetching={events.isFetching}
        columns={columns}
        noRecordsText={t("audit.empty")}
      />
    </Stack>
  );
}
