import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  Tree,
  UnstyledButton,
  useTree,
  type TreeNodeData,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMediaQuery } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import {
  IconChevronDown,
  IconChevronRight,
  IconEdit,
  IconLock,
  IconPlus,
  IconTrash,
  IconUsers,
} from "@tabler/icons-react";
import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { isStaff, useMe } from "../../auth/AuthContext";
import { describeError, ErrorMessage } from "../../components/ErrorMessage";
import { ExportButtons } from "../../components/ExportButtons";
import { PageLoader } from "../../components/PageLoader";
import { formatMoney, formatNumber } from "../../lib/format";
import { useDepartments, type Department } from "../../lib/queries";
import { ancestorsOf, buildTree, type DepartmentNode } from "./tree";

// With fewer departments than this, every node's headcount is fetched; beyond, only the
// selected one's.
const ALL_STATS_BELOW = 50;

type Stats = Awaited<ReturnType<typeof fetchStats>>;

async function fetchStats(id: string) {
  return unwrap(
    await api.GET("/api/v1/departments/{department_id}/stats", { params: { path: { department_id: id } } }),
  );
}

function statsQuery(id: string) {
  return {
    queryKey: ["departments", "stats", id],
    queryFn: () => fetchStats(id),
    staleTime: 60_000,
  };
}

function toTreeData(nodes: DepartmentNode[]): TreeNodeData[] {
  return nodes.map((node) => ({
    value: node.department.id,
    label: node.department.name,
    children: node.children.length ? toTreeData(node.children) : undefined,
  }));
}

export function DepartmentsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const staff = isStaff(me.role);
  const departments = useDepartments();
  const [params, setParams] = useSearchParams();
  const selected = params.get("department");
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const [creating, setCreating] = useState(false);

  const all = useMemo(() => departments.data ?? [], [departments.data]);
  const byId = useMemo(() => new Map(all.map((d) => [d.id, d])), [all]);
  const data = useMemo(() => toTreeData(buildTree(all)), [all]);
  const expandedState = useMemo(() => {
    const state: Record<string, boolean> = {};
    for (const d of all) state[d.id] = !collapsed[d.id];
    return state;
  }, [all, collapsed]);

  const select = (id: string | null) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (id === null) next.delete("department");
        else next.set("department", id);
        return next;
      },
      { replace: true },
    );
    if (id !== null) {
      // Make sure a node chosen elsewhere (a link) is visible.
      const open = ancestorsOf(all, id);
      if (open.some((a) => collapsed[a])) {
        setCollapsed((c) => ({ ...c, ...Object.fromEntries(open.map((a) => [a, false])) }));
      }
    }
  };

  const tree = useTree({
    expandedState,
    onExpandedStateChange: (state) => {
      setCollapsed(Object.fromEntries(Object.entries(state).map(([id, open]) => [id, !open])));
    },
    selectedState: selected === null ? [] : [selected],
    onSelectedStateChange: (state) => {
      select(state[state.length - 1] ?? null);
    },
  });

  const fetchAll = all.length > 0 && all.length < ALL_STATS_BELOW;
  const headcounts = useQueries({ queries: (fetchAll ? all : []).map((d) => statsQuery(d.id)) });
  const headcountOf = new Map<string, number>();
  if (fetchAll) {
    all.forEach((d, index) => {
      const stats = headcounts[index]?.data;
      if (stats) headcountOf.set(d.id, stats.headcount);
    });
  }

  const selectedDepartment = selected === null ? undefined : byId.get(selected);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t("departments.title")}</Title>
        <Group gap="xs">
          {/* The page shows every department as a tree: the file holds them all, by name. */}
          <ExportButtons path="/api/v1/departments" query={{ sort: "name" }} name="departments" />
          {staff && (
            <Button
              leftSection={<IconPlus size={16} aria-hidden />}
              onClick={() => {
                setCreating(true);
              }}
            >
              {t("departments.newDepartment")}
            </Button>
          )}
        </Group>
      </Group>
      {departments.isError && <ErrorMessage error={departments.error} />}
      {departments.isPending ? (
        <PageLoader />
      ) : all.length === 0 ? (
        <Text c="dimmed">{t("departments.empty")}</Text>
      ) : (
        <Grid gap="md">
          <Grid.Col span={{ base: 12, md: 5 }}>
            <Paper withBorder p="xs" radius="sm">
              <Tree
                aria-label={t("departments.tree")}
                data={data}
                tree={tree}
                expandOnClick={false}
                selectOnClick
                levelOffset="md"
                onKeyDown={(event) => {
                  // Enter selects the focused node (arrows move, Space expands).
                  const target = event.target as HTMLElement;
                  if (event.key === "Enter" && target.getAttribute("role") === "treeitem" && target.dataset.value) {
                    event.preventDefault();
                    select(target.dataset.value);
                  }
                }}
                renderNode={({ node, expanded, hasChildren, elementProps, tree: controller, selected: isSelected }) => {
                  const count = headcountOf.get(node.value);
                  return (
                    <Group
                      gap={6}
                      wrap="nowrap"
                      {...elementProps}
                      py={4}
                      px={6}
                      style={{
                        ...elementProps.style,
                        borderRadius: 4,
                        cursor: "pointer",
                        background: isSelected ? "var(--mantine-color-blue-light)" : undefined,
                        fontWeight: isSelected ? 600 : undefined,
                      }}
                    >
                      {hasChildren ? (
                        <UnstyledButton
                          aria-hidden
                          tabIndex={-1}
                          onClick={(event) => {
                            event.stopPropagation();
                            controller.toggleExpanded(node.value);
                          }}
                          style={{ display: "flex" }}
                        >
                          {expanded ? <IconChevronDown size={16} aria-hidden /> : <IconChevronRight size={16} aria-hidden />}
                        </UnstyledButton>
                      ) : (
                        <span style={{ width: 16, flex: "none" }} />
                      )}
                      <Text size="sm" style={{ flex: 1, minWidth: 0, overflowWrap: "anywhere" }} fw={isSelected ? 600 : undefined}>
                        {node.label}
                      </Text>
                      {fetchAll && (
                        <Badge
                          variant="light"
                          color="gray"
                          leftSection={<IconUsers size={12} aria-hidden />}
                          aria-label={count === undefined ? t("common.loading") : t("departments.headcount", { count })}
                          style={{ flex: "none" }}
                        >
                          {count === undefined ? "…" : formatNumber(count)}
                        </Badge>
                      )}
                    </Group>
                  );
                }}
              />
            </Paper>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 7 }}>
            {selectedDepartment ? (
              <DepartmentPanel
                key={selectedDepartment.id}
                department={selectedDepartment}
                departments={all}
                staff={staff}
                onDeleted={() => {
                  select(null);
                }}
              />
            ) : (
              <Paper withBorder p="md" radius="sm">
                <Text c="dimmed">{t("departments.selectHint")}</Text>
              </Paper>
            )}
          </Grid.Col>
        </Grid>
      )}
      <DepartmentFormModal
        opened={creating}
        onClose={() => {
          setCreating(false);
        }}
        departments={all}
        initialParent={selected}
        onSaved={(d) => {
          select(d.id);
        }}
      />
    </Stack>
  );
}

function DepartmentPanel({
  department,
  departments,
  staff,
  onDeleted,
}: {
  department: Department;
  departments: Department[];
  staff: boolean;
  onDeleted: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const stats = useQuery(statsQuery(department.id));
  const record = useQuery({
    queryKey: ["departments", "one", department.id],
    queryFn: async () => {
      const result = await api.GET("/api/v1/departments/{department_id}", {
        params: { path: { department_id: department.id } },
      });
      return { department: unwrap(result), etag: result.response.headers.get("ETag") };
    },
  });
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Stacked under the tree on a narrow screen: bring the chosen department's figures into view.
    if (window.matchMedia("(max-width: 62em)").matches) panel.current?.scrollIntoView({ block: "start" });
  }, []);
  const parent = departments.find((d) => d.id === department.parent_id);
  const current = record.data?.department ?? department;

  const remove = () => {
    modals.openConfirmModal({
      title: t("departments.deleteTitle", { name: current.name }),
      children: <Text size="sm">{t("departments.deleteText")}</Text>,
      labels: { confirm: t("departments.deleteConfirm"), cancel: t("common.cancel") },
      confirmProps: { color: "red" },
      onConfirm: () => {
        void (async () => {
          try {
            unwrap(
              await api.DELETE("/api/v1/departments/{department_id}", {
                params: { path: { department_id: department.id }, header: { "if-match": record.data?.etag ?? null } },
              }),
            );
            notifications.show({ color: "green", message: t("departments.deleted", { name: current.name }) });
            onDeleted();
            await client.invalidateQueries({ queryKey: ["departments"] });
          } catch (error) {
            notifications.show({
              color: "red",
              title: t("common.errorTitle"),
              message: t("departments.deleteRefused", { name: current.name, reason: describeError(error, t) }),
              autoClose: 10_000,
            });
            if (error instanceof ApiError && error.status === 412) await record.refetch();
          }
        })();
      },
    });
  };

  return (
    <Paper withBorder p="md" radius="sm" ref={panel} style={{ scrollMarginTop: 64 }}>
      <Stack>
        <Group justify="space-between" align="start">
          <div style={{ minWidth: 0 }}>
            <Title order={2} size="h3" style={{ overflowWrap: "anywhere" }}>
              {current.name}
            </Title>
            <Text size="sm" c="dimmed">
              {t("departments.field.parent_id")}: {parent?.name ?? t("departments.noParent")}
            </Text>
          </div>
          {staff && (
            <Group gap="xs">
              <Button
                variant="default"
                size="sm"
                leftSection={<IconEdit size={16} aria-hidden />}
                onClick={() => {
                  setEditing(true);
                }}
                disabled={record.isPending}
              >
                {t("departments.edit")}
              </Button>
              <Button
                variant="outline"
                color="red"
                size="sm"
                leftSection={<IconTrash size={16} aria-hidden />}
                onClick={remove}
                disabled={record.isPending}
              >
                {t("departments.delete")}
              </Button>
            </Group>
          )}
        </Group>
        {record.isError && <ErrorMessage error={record.error} />}
        <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }} c={current.description ? undefined : "dimmed"}>
          {current.description ?? t("departments.noDescription")}
        </Text>
        <Title order={3} size="h4">
          {t("departments.stats.title")}
        </Title>
        {stats.isError && <ErrorMessage error={stats.error} />}
        {stats.isPending ? <Skeleton height={120} /> : stats.data ? <StatsPanel stats={stats.data} /> : null}
      </Stack>
      {staff && (
        <DepartmentFormModal
          opened={editing}
          onClose={() => {
            setEditing(false);
          }}
          departments={departments}
          department={current}
          etag={record.data?.etag ?? null}
          onStale={() => void record.refetch()}
        />
      )}
    </Paper>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </div>
  );
}

function Breakdown({ title, counts, label }: { title: string; counts: Record<string, number>; label: (key: string) => string }) {
  const entries = Object.entries(counts);
  return (
    <Table withTableBorder variant="vertical" layout="fixed">
      <Table.Caption style={{ captionSide: "top", textAlign: "left", fontWeight: 600 }}>{title}</Table.Caption>
      <Table.Tbody>
        {entries.map(([key, count]) => (
          <Table.Tr key={key}>
            <Table.Th>{label(key)}</Table.Th>
            <Table.Td ta="right">{formatNumber(count)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function StatsPanel({ stats }: { stats: Stats }) {
  const { t, i18n } = useTranslation();
  const known = (prefix: string, key: string) => (i18n.exists(`${prefix}.${key}`) ? t(`${prefix}.${key}`) : key);
  const salary = stats.salary;
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 2, sm: 3 }}>
        <Figure label={t("departments.headcountLabel")} value={formatNumber(stats.headcount)} />
        {stats.average_tenure_years !== null && (
          <Figure
            label={t("departments.stats.averageTenure")}
            value={t("departments.stats.tenureYears", { years: formatNumber(stats.average_tenure_years, 1) })}
          />
        )}
      </SimpleGrid>
      {stats.scope !== null && (
        <Text size="sm" c="dimmed">
          {t("departments.stats.includesSub")}{" "}
          {stats.scope === "reporting_line" ? t("departments.stats.scopeReportingLine") : t("departments.stats.scopeDepartment")}
        </Text>
      )}
      {stats.suppressed && (
        <Alert color="gray" icon={<IconLock aria-hidden />} title={t("departments.stats.suppressedTitle")}>
          {stats.suppressed_reason === "not_permitted"
            ? t("departments.stats.notPermitted")
            : t("departments.stats.groupTooSmall")}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {stats.by_status && (
          <Breakdown
            title={t("departments.stats.byStatus")}
            counts={stats.by_status}
            label={(key) => known("employees.status", key)}
          />
        )}
        {stats.by_employment_type && (
          <Breakdown
            title={t("departments.stats.byType")}
            counts={stats.by_employment_type}
            label={(key) => known("employees.type", key)}
          />
        )}
      </SimpleGrid>
      {salary && (Object.keys(salary.by_currency).length > 0 || salary.groups_below_minimum > 0) && (
        <Stack gap="xs">
          <Title order={4} size="h5">
            {t("departments.stats.salary")}
          </Title>
          {Object.keys(salary.by_currency).length > 0 && (
            <Table.ScrollContainer minWidth={480}>
              <Table striped withTableBorder>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t("departments.stats.currency")}</Table.Th>
                    <Table.Th ta="right">{t("departments.stats.count")}</Table.Th>
                    <Table.Th ta="right">{t("departments.stats.average")}</Table.Th>
                    <Table.Th ta="right">{t("departments.stats.median")}</Table.Th>
                    <Table.Th ta="right">{t("departments.stats.min")}</Table.Th>
                    <Table.Th ta="right">{t("departments.stats.max")}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {Object.entries(salary.by_currency).map(([currency, group]) => (
                    <Table.Tr key={currency}>
                      <Table.Td>{currency}</Table.Td>
                      <Table.Td ta="right">{formatNumber(group.count)}</Table.Td>
                      <Table.Td ta="right">{formatMoney(group.average, currency)}</Table.Td>
                      <Table.Td ta="right">{formatMoney(group.median, currency)}</Table.Td>
                      <Table.Td ta="right">{formatMoney(group.min, currency)}</Table.Td>
                      <Table.Td ta="right">{formatMoney(group.max, currency)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {salary.groups_below_minimum > 0 && (
            <Text size="sm" c="dimmed">
              {t("departments.stats.groupsBelowMinimum", { count: salary.groups_below_minimum })}
            </Text>
          )}
        </Stack>
      )}
    </Stack>
  );
}

interface FormValues {
  name: string;
  parent_id: string | null;
  description: string;
}

function DepartmentFormModal({
  opened,
  onClose,
  departments,
  department,
  etag = null,
  initialParent = null,
  onSaved,
  onStale,
}: {
  opened: boolean;
  onClose: () => void;
  departments: Department[];
  department?: Department;
  etag?: string | null;
  initialParent?: string | null;
  onSaved?: (department: Department) => void;
  onStale?: () => void;
}) {
  const { t } = useTranslation();
  const phone = useMediaQuery("(max-width: 48em)");
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      fullScreen={phone}
      title={department ? t("departments.editTitle", { name: department.name }) : t("departments.createTitle")}
    >
      {opened && (
        <DepartmentForm
          departments={departments}
          department={department}
          etag={etag}
          initialParent={initialParent}
          onDone={(saved) => {
            onClose();
            if (saved) onSaved?.(saved);
          }}
          onStale={onStale}
        />
      )}
    </Modal>
  );
}

function DepartmentForm({
  departments,
  department,
  etag,
  initialParent,
  onDone,
  onStale,
}: {
  departments: Department[];
  department?: Department;
  etag: string | null;
  initialParent: string | null;
  onDone: (saved: Department | null) => void;
  onStale?: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const form = useForm<FormValues>({
    mode: "controlled",
    initialValues: {
      name: department?.name ?? "",
      parent_id: department ? department.parent_id : initialParent,
      description: department?.description ?? "",
    },
    validate: { name: (value) => (value.trim() ? null : t("common.required")) },
  });
  // The server refuses a cycle (a department under its own descendant) and says so.
  const parents = departments
    .filter((d) => d.id !== department?.id)
    .map((d) => ({ value: d.id, label: d.name }));

  const submit = form.onSubmit(async (values) => {
    setSaving(true);
    setError(null);
    const body = {
      name: values.name.trim(),
      parent_id: values.parent_id,
      description: values.description.trim() || null,
    };
    try {
      const saved = department
        ? unwrap(
            await api.PATCH("/api/v1/departments/{department_id}", {
              params: { path: { department_id: department.id }, header: { "if-match": etag } },
              body,
            }),
          )
        : unwrap(await api.POST("/api/v1/departments", { body }));
      await client.invalidateQueries({ queryKey: ["departments"] });
      notifications.show({
        color: "green",
        message: department ? t("departments.saved", { name: saved.name }) : t("departments.created", { name: saved.name }),
      });
      onDone(saved);
    } catch (caught) {
      const fields = caught instanceof ApiError ? caught.fields : {};
      let beside = false;
      for (const [field, message] of Object.entries(fields)) {
        if (field in values) {
          form.setFieldError(field, message);
          beside = true;
        }
      }
      if (!beside) setError(caught);
      if (caught instanceof ApiError && caught.status === 412) onStale?.();
    } finally {
      setSaving(false);
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label={t("departments.field.name")} required maxLength={120} data-autofocus {...form.getInputProps("name")} />
        <Select
          label={t("departments.field.parent_id")}
          placeholder={t("departments.noParent")}
          data={parents}
          searchable
          clearable
          {...form.getInputProps("parent_id")}
        />
        <Textarea
          label={t("departments.field.description")}
          autosize
          minRows={2}
          maxLength={2000}
          {...form.getInputProps("description")}
        />
        {error !== null && <ErrorMessage error={error} />}
        <Group justify="flex-end">
          <Button
            variant="default"
            onClick={() => {
              onDone(null);
            }}
          >
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={saving}>
            {t("common.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
