import {
  Alert,
  Anchor,
  Avatar,
  Badge,
  Card,
  Group,
  List,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from "@mantine/core";
import {
  IconAlertTriangle,
  IconCircleCheck,
  IconCircleX,
  IconHelpCircle,
  IconInfoCircle,
} from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, jsonOrNull, unwrap } from "../../api/client";
import { isStaff, useMe } from "../../auth/AuthContext";
import { addDays, formatDate, formatNumber, initials, today } from "../../lib/format";
import { fullName, useDepartments } from "../../lib/queries";
import { mayUseReports } from "../reports/reportLogic";
import { DashCard, Figure } from "./Cards";
import { appPath, countThisMonth, monthRange, readiness, type CheckState } from "./dashboardLogic";
import { ByDepartment, HeadcountTrend, TurnoverTrend } from "./Trends";

const PAGE = 100;

function monthName(isoDate: string): string {
  const [y, m] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, 1)));
}

function Headcount() {
  const { t } = useTranslation();
  const count = async (status: "active" | "on_leave") =>
    unwrap(await api.GET("/api/v1/employees", { params: { query: { status, page_size: 1 } } })).total;
  const query = useQuery({
    queryKey: ["dashboard", "headcount"],
    queryFn: async () => {
      const [active, onLeave] = await Promise.all([count("active"), count("on_leave")]);
      return { active, onLeave };
    },
  });
  return (
    <DashCard title={t("dashboard.headcount")} query={query} link={{ to: "/employees?status=active", label: t("dashboard.viewAll") }}>
      {({ active, onLeave }) => (
        <Figure
          value={formatNumber(active + onLeave)}
          hint={t("dashboard.headcountBreakdown", { active: formatNumber(active), onLeave: formatNumber(onLeave) })}
        />
      )}
    </DashCard>
  );
}

function ThisMonth({ kind }: { kind: "joiners" | "leavers" }) {
  const { t } = useTranslation();
  const day = today();
  const range = monthRange(day);
  const query = useQuery({
    queryKey: ["dashboard", kind, range.start],
    queryFn: () =>
      countThisMonth(
        async (page) =>
          unwrap(
            await api.GET("/api/v1/employees", {
              params: {
                query:
                  kind === "joiners"
                    ? { sort: "-hire_date", page, page_size: PAGE }
                    : { status: "terminated", sort: "-termination_date", page, page_size: PAGE },
              },
            }),
          ),
        (row) => (kind === "joiners" ? row.hire_date : row.termination_date),
        range,
        PAGE,
      ),
  });
  const link =
    kind === "joiners" ? "/employees?sort=-hire_date" : "/employees?status=terminated&sort=-termination_date";
  return (
    <DashCard title={t(`dashboard.${kind}`)} query={query} link={{ to: link, label: t("dashboard.viewAll") }}>
      {(n) => (
        <Figure
          value={formatNumber(n)}
          hint={t(kind === "joiners" ? "dashboard.monthHint" : "dashboard.leaversHint", { month: monthName(day) })}
        />
      )}
    </DashCard>
  );
}

function Expiring() {
  const { t } = useTranslation();
  const before = addDays(today(), 30);
  const query = useQuery({
    queryKey: ["dashboard", "expiring", before],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/documents", {
          params: { query: { expiring_before: before, page_size: 5, sort: "expires_on" } },
        }),
      ),
  });
  return (
    <DashCard
      title={t("dashboard.expiring")}
      query={query}
      link={{ to: "/documents?expiring=30", label: t("dashboard.viewAll") }}
    >
      {(page) => (
        <Stack gap="xs">
          <Figure value={formatNumber(page.total)} hint={t("dashboard.expiringHint")} />
          {page.total === 0 ? (
            <Text size="sm">{t("dashboard.expiringNone")}</Text>
          ) : (
            <List size="sm" spacing={4} listStyleType="none">
              {page.items.map((doc) => (
                <List.Item key={doc.id}>
                  <Text size="sm" truncate="end">
                    {doc.title || doc.filename}
                  </Text>
                  {doc.expires_on && doc.expires_on < today() ? (
                    <Text size="xs" c="red.8">
                      <IconAlertTriangle size={12} aria-hidden /> {t("dashboard.expiredOn", { date: formatDate(doc.expires_on) })}
                    </Text>
                  ) : (
                    <Text size="xs" c="dimmed">
                      {t("dashboard.expiresOn", { date: formatDate(doc.expires_on) })}
                    </Text>
                  )}
                </List.Item>
              ))}
            </List>
          )}
        </Stack>
      )}
    </DashCard>
  );
}

function MyTeam({ employeeId }: { employeeId: string }) {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: ["dashboard", "team", employeeId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/employees/{employee_id}/reports", {
          params: { path: { employee_id: employeeId }, query: { depth: "direct" } },
        }),
      ),
  });
  return (
    <DashCard title={t("dashboard.myTeam")} query={query}>
      {(people) =>
        people.length === 0 ? (
          <Text size="sm">{t("dashboard.myTeamEmpty")}</Text>
        ) : (
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            {people.map((person) => (
              <Card key={person.id} withBorder padding="xs" radius="sm" component={Link} to={`/employees/${person.id}`}>
                <Group gap="sm" wrap="nowrap">
                  <Avatar radius="xl" size="md" color="blue">
                    {initials(person.first_name, person.last_name)}
                  </Avatar>
                  <div style={{ minWidth: 0 }}>
                    <Text size="sm" fw={500} truncate="end">
                      {fullName(person)}
                    </Text>
                    <Text size="xs" c="dimmed" truncate="end">
                      {person.job_title ?? "—"}
                    </Text>
                  </div>
                </Group>
              </Card>
            ))}
          </SimpleGrid>
        )
      }
    </DashCard>
  );
}

function MyProfile({ employeeId }: { employeeId: string }) {
  const { t } = useTranslation();
  const departments = useDepartments();
  const query = useQuery({
    queryKey: ["dashboard", "me-employee", employeeId],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/employees/{employee_id}", { params: { path: { employee_id: employeeId } } })),
  });
  return (
    <DashCard
      title={t("dashboard.myProfile")}
      query={query}
      link={{ to: `/employees/${employeeId}`, label: t("dashboard.openProfile") }}
    >
      {(person) => (
        <Group gap="sm" wrap="nowrap">
          <Avatar radius="xl" size="lg" color="blue">
            {initials(person.first_name, person.last_name)}
          </Avatar>
          <div style={{ minWidth: 0 }}>
            <Anchor component={Link} to={`/employees/${employeeId}`} fw={600}>
              {fullName(person)}
            </Anchor>
            <Text size="sm">{person.job_title ?? "—"}</Text>
            <Text size="sm" c="dimmed">
              {(person.department_id && departments.data?.find((d) => d.id === person.department_id)?.name) ?? ""}
            </Text>
          </div>
        </Group>
      )}
    </DashCard>
  );
}

function MyDocuments({ employeeId }: { employeeId: string }) {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: ["dashboard", "my-documents", employeeId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/documents", {
          params: { query: { employee_id: employeeId, page_size: 5, sort: "-created_at" } },
        }),
      ),
  });
  return (
    <DashCard
      title={t("dashboard.myDocuments")}
      query={query}
      link={{ to: `/documents?employee_id=${employeeId}`, label: t("dashboard.viewAll") }}
    >
      {(page) =>
        page.items.length === 0 ? (
          <Text size="sm">{t("dashboard.myDocumentsEmpty")}</Text>
        ) : (
          <List size="sm" spacing={4} listStyleType="none">
            {page.items.map((doc) => (
              <List.Item key={doc.id}>
                <Text size="sm" truncate="end">
                  {doc.title || doc.filename}
                </Text>
                <Text size="xs" c="dimmed">
                  {formatDate(doc.created_at)}
                  {doc.expires_on ? ` · ${t("dashboard.expiresOn", { date: formatDate(doc.expires_on) })}` : ""}
                </Text>
              </List.Item>
            ))}
          </List>
        )
      }
    </DashCard>
  );
}

/** What deserves hr's attention now (hr and admin): each insight's title and detail as
 * text, linking to where the app shows more. */
function Insights() {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: ["dashboard", "insights"],
    queryFn: async () => unwrap(await api.GET("/api/v1/analytics/insights")),
    staleTime: 5 * 60_000,
  });
  return (
    <DashCard title={t("dashboard.insights")} query={query}>
      {({ items }) =>
        items.length === 0 ? (
          <Text size="sm">{t("dashboard.insightsEmpty")}</Text>
        ) : (
          <List size="sm" spacing="xs" listStyleType="none">
            {items.map((item, index) => {
              const to = appPath(item.link);
              const text = (
                <>
                  <Text size="sm" fw={600} style={{ overflowWrap: "anywhere" }}>
                    {item.title}
                  </Text>
                  <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
                    {item.detail}
                  </Text>
                </>
              );
              return (
                <List.Item key={`${item.kind}-${String(index)}`}>
                  {to === null ? (
                    text
                  ) : (
                    <Anchor component={Link} to={to} display="block" underline="hover">
                      {text}
                    </Anchor>
                  )}
                </List.Item>
              );
            })}
          </List>
        )
      }
    </DashCard>
  );
}

const CHECK_LOOK: Record<CheckState, { color: string; Icon: typeof IconCircleCheck }> = {
  ok: { color: "green", Icon: IconCircleCheck },
  degraded: { color: "yellow", Icon: IconAlertTriangle },
  down: { color: "red", Icon: IconCircleX },
  unknown: { color: "gray", Icon: IconHelpCircle },
};

function Health() {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: ["dashboard", "readyz"],
    // /readyz is outside /api/v1 and public; a 503 is a problem that still lists the checks.
    queryFn: async () => {
      const response = await fetch("/readyz", { cache: "no-store" });
      return readiness(response.status, await jsonOrNull(response));
    },
    refetchInterval: 30_000,
  });
  return (
    <DashCard title={t("dashboard.health")} query={query}>
      {({ ready, checks }) => (
        <Stack gap="xs">
          <Group gap={6}>
            {ready ? (
              <IconCircleCheck size={20} color="var(--mantine-color-green-7)" aria-hidden />
            ) : (
              <IconCircleX size={20} color="var(--mantine-color-red-7)" aria-hidden />
            )}
            <Text fw={600}>{ready ? t("dashboard.healthOk") : t("dashboard.healthDown")}</Text>
          </Group>
          {checks.length === 0 && <Text size="sm">{t("dashboard.healthUnknown")}</Text>}
          {checks.map(({ name, state }) => {
            const look = CHECK_LOOK[state];
            return (
              <Group key={name} justify="space-between" gap="xs">
                <Text size="sm">{t(`dashboard.check.${name}`, { defaultValue: name })}</Text>
                <Badge variant="light" style={{ minWidth: "max-content" }} color={look.color} leftSection={<look.Icon size={12} aria-hidden />}>
                  {t(`dashboard.state.${state}`)}
                </Badge>
              </Group>
            );
          })}
        </Stack>
      )}
    </DashCard>
  );
}

function CacheRatio() {
  const { t } = useTranslation();
  const query = useQuery({
    queryKey: ["dashboard", "cache"],
    queryFn: async () => unwrap(await api.GET("/api/v1/admin/cache")),
    refetchInterval: 30_000,
  });
  return (
    <DashCard title={t("dashboard.cacheHitRatio")} query={query}>
      {(stats) =>
        !stats.enabled ? (
          <Group gap={6}>
            <IconInfoCircle size={18} aria-hidden />
            <Text size="sm">{t("dashboard.cacheOff")}</Text>
          </Group>
        ) : (
          <Figure
            value={
              stats.hit_ratio === null
                ? "—"
                : new Intl.NumberFormat(document.documentElement.lang || undefined, {
                    style: "percent",
                    maximumFractionDigits: 1,
                  }).format(stats.hit_ratio)
            }
            hint={
              stats.hit_ratio === null
                ? t("dashboard.cacheNoReads")
                : t("dashboard.cacheCounts", {
                    hits: formatNumber(stats.hits),
                    misses: formatNumber(stats.misses),
                    backend: stats.backend,
                  })
            }
          />
        )
      }
    </DashCard>
  );
}

export function DashboardPage() {
  const { t } = useTranslation();
  const me = useMe();
  // Analytics are for admin, hr and managers (their reporting line); employees would get 403.
  const figures = mayUseReports(me.role);
  const manager = me.role === "manager";
  const employeeId = me.employee_id;
  return (
    <Stack>
      <Title order={1}>{t("dashboard.greeting", { name: me.full_name })}</Title>
      {figures && (
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
          <Headcount />
          <ThisMonth kind="joiners" />
          <ThisMonth kind="leavers" />
          <Expiring />
        </SimpleGrid>
      )}
      {isStaff(me.role) && <Insights />}
      {figures && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <HeadcountTrend manager={manager} />
          <TurnoverTrend manager={manager} />
        </SimpleGrid>
      )}
      {me.role === "admin" && (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Health />
          <CacheRatio />
        </SimpleGrid>
      )}
      {me.role === "manager" && employeeId !== null && <MyTeam employeeId={employeeId} />}
      {employeeId !== null ? (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <MyProfile employeeId={employeeId} />
          <MyDocuments employeeId={employeeId} />
        </SimpleGrid>
      ) : (
        <Alert color="blue" icon={<IconInfoCircle aria-hidden />}>
          {t("dashboard.noEmployeeRecord")}
        </Alert>
      )}
      {figures && <ByDepartment manager={manager} />}
    </Stack>
  );
}
