import { Anchor, Button, Card, Collapse, Group, Skeleton, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconTable } from "@tabler/icons-react";
import { lazy, Suspense, useId, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { ErrorMessage } from "../../components/ErrorMessage";
import { formatMonth, formatNumber, formatPercent } from "../../lib/format";
import { useHeadcount, useTurnover } from "../reports/reportApi";
import { departmentRows } from "../reports/reportLogic";
import { ChartFigure, Figure, NumbersTable } from "../reports/ReportParts";
import { CardBoundary } from "./CardBoundary";
import { HeadcountTable, TurnoverTable } from "../reports/SeriesTables";

// The chart library is its own chunk, loaded when there is something to draw.
const HeadcountChart = lazy(() => import("../reports/charts").then((m) => ({ default: m.HeadcountChart })));
const TurnoverChart = lazy(() => import("../reports/charts").then((m) => ({ default: m.TurnoverChart })));
const CountBars = lazy(() => import("../reports/charts").then((m) => ({ default: m.CountBars })));

// The departments the dashboard draws; the Reports page lists them all.
const TOP_DEPARTMENTS = 10;
const CHART_HEIGHT = 220;

/** A dashboard card over one analytics answer: title, link to its report, a skeleton
 * while it loads, its error in words. */
function TrendCard({
  title,
  hint,
  report,
  query,
  children,
}: {
  title: string;
  hint?: string;
  report: string;
  query: { isPending: boolean; isError: boolean; error: unknown };
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Card withBorder padding="md" radius="md" component="section" aria-label={title}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="start">
          <div>
            <Title order={2} size="h5">
              {title}
            </Title>
            {hint && (
              <Text size="sm" c="dimmed">
                {hint}
              </Text>
            )}
          </div>
          <Anchor component={Link} to={report} size="sm" style={{ whiteSpace: "nowrap" }}>
            {t("dashboard.openReport")}
          </Anchor>
        </Group>
        <CardBoundary message={t("dashboard.cardFailed")}>
          {query.isPending ? (
            <Skeleton height={CHART_HEIGHT} role="status" aria-label={t("common.loading")} />
          ) : query.isError ? (
            <ErrorMessage error={query.error} />
          ) : (
            children
          )}
        </CardBoundary>
      </Stack>
    </Card>
  );
}

/** The numbers of a dashboard chart, behind a button (the Reports page shows them open). */
function NumbersToggle({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [opened, { toggle }] = useDisclosure(false);
  const id = useId();
  return (
    <div>
      <Button
        variant="subtle"
        size="compact-sm"
        leftSection={<IconTable size={14} aria-hidden />}
        onClick={toggle}
        aria-expanded={opened}
        aria-controls={id}
      >
        {opened ? t("dashboard.hideNumbers") : t("dashboard.showNumbers")}
      </Button>
      <Collapse expanded={opened} id={id}>
        {children}
      </Collapse>
    </div>
  );
}

function ChartFallback() {
  const { t } = useTranslation();
  return <Skeleton height={CHART_HEIGHT} role="status" aria-label={t("common.loading")} />;
}

/** Headcount over the last twelve months. */
export function HeadcountTrend({ manager }: { manager: boolean }) {
  const { t } = useTranslation();
  const query = useHeadcount({});
  const data = query.data;
  const period = data ? t("reports.period", { from: formatMonth(data.from), to: formatMonth(data.to) }) : "";
  return (
    <TrendCard
      title={t("dashboard.headcountTrend")}
      hint={manager ? t("dashboard.yourLine") : undefined}
      report="/reports"
      query={query}
    >
      {data && (
        <>
          <ChartFigure label={t("reports.headcount.chartLabel", { period })} caption={period}>
            <Suspense fallback={<ChartFallback />}>
              <HeadcountChart series={data.series} height={CHART_HEIGHT} />
            </Suspense>
          </ChartFigure>
          <NumbersToggle>
            <HeadcountTable series={data.series} />
          </NumbersToggle>
        </>
      )}
    </TrendCard>
  );
}

/** Monthly turnover of the last twelve months, and the trailing 12-month rate. */
export function TurnoverTrend({ manager }: { manager: boolean }) {
  const { t } = useTranslation();
  const query = useTurnover({});
  const data = query.data;
  const period = data ? t("reports.period", { from: formatMonth(data.from), to: formatMonth(data.to) }) : "";
  return (
    <TrendCard
      title={t("dashboard.turnover")}
      hint={manager ? t("dashboard.yourLine") : undefined}
      report="/reports?tab=turnover"
      query={query}
    >
      {data && (
        <>
          <Figure
            label={t("reports.turnover.rate12m", { month: formatMonth(data.to, "long") })}
            value={formatPercent(data.rate_12m)}
            hint={data.rate_12m === null ? t("reports.turnover.rateNone") : t("reports.turnover.rate12mHint")}
          />
          <ChartFigure label={t("reports.turnover.chartLabel", { period })} caption={period}>
            <Suspense fallback={<ChartFallback />}>
              <TurnoverChart series={data.series} height={CHART_HEIGHT - 60} />
            </Suspense>
          </ChartFigure>
          <NumbersToggle>
            <TurnoverTable series={data.series} />
          </NumbersToggle>
        </>
      )}
    </TrendCard>
  );
}

/** Headcount by department now (each department's own people), the largest ones. */
export function ByDepartment({ manager }: { manager: boolean }) {
  const { t } = useTranslation();
  const query = useHeadcount({});
  const all = query.data?.by_department ?? [];
  const rows = departmentRows(all, t("reports.noDepartment"), TOP_DEPARTMENTS);
  return (
    <TrendCard
      title={t("dashboard.byDepartment")}
      hint={[
        manager ? t("dashboard.yourLine") : null,
        all.length > rows.length
          ? t("dashboard.byDepartmentTop", { count: rows.length, total: all.length })
          : t("dashboard.byDepartmentHint"),
      ]
        .filter(Boolean)
        .join(" ")}
      report="/reports"
      query={query}
    >
      {rows.length === 0 ? (
        <Text size="sm">{t("dashboard.byDepartmentEmpty")}</Text>
      ) : (
        <>
          <ChartFigure label={t("dashboard.byDepartmentLabel")}>
            <Suspense fallback={<ChartFallback />}>
              <CountBars
                rows={rows.map((row) => ({ label: row.department, count: row.headcount }))}
                categoryLabel={t("dashboard.department")}
                valueLabel={t("dashboard.people")}
              />
            </Suspense>
          </ChartFigure>
          <NumbersTable
            label={t("dashboard.byDepartment")}
            rowKey={(row) => row.key}
            rows={rows}
            minWidth={240}
            columns={[
              { title: t("dashboard.department"), render: (row) => row.department },
              { title: t("dashboard.people"), numeric: true, render: (row) => formatNumber(row.headcount) },
            ]}
          />
        </>
      )}
    </TrendCard>
  );
}
