import { Alert, Group, Stack, Tabs, Text, Title } from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

import { useMe } from "../../auth/AuthContext";
import { ExportButtons } from "../../components/ExportButtons";
import { useListParams } from "../../lib/useListParams";
import { DocumentsReport } from "./DocumentsReport";
import { HeadcountReport } from "./HeadcountReport";
import { PayBandsReport } from "./PayBandsReport";
import type { GroupBy } from "./reportApi";
import { ReportFilters, type ReportFilterValues } from "./ReportFilters";
import { periodQuery, reportOf, reportsFor, takesPeriod, type Report } from "./reportLogic";
import { TenureReport } from "./TenureReport";
import { TurnoverReport } from "./TurnoverReport";

// Each report's endpoint under /api/v1/analytics (also its file's name).
const ENDPOINT: Record<Report, string> = {
  headcount: "headcount",
  turnover: "turnover",
  tenure: "tenure",
  "pay-bands": "salary-bands",
  documents: "documents",
};

/** The query a report's figures and its file are asked with. */
function exportQuery(report: Report, values: ReportFilterValues) {
  return {
    department_id: values.department_id,
    ...(takesPeriod(report) ? { from: values.from, to: values.to } : {}),
    ...(report === "pay-bands" ? { group_by: values.group_by } : {}),
  };
}

export function ReportsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const list = useListParams(null);
  const { filters } = list;
  const reports = reportsFor(me.role);
  const report = reportOf(filters.tab, me.role);

  if (report === null) {
    // Employees: the API refuses every report, so none is asked for.
    return (
      <Stack maw={560}>
        <Title order={1}>{t("reports.title")}</Title>
        <Alert color="blue" icon={<IconInfoCircle aria-hidden />} title={t("reports.notForRole")}>
          {t("reports.notForRoleHint")}
        </Alert>
      </Stack>
    );
  }

  const period = periodQuery(filters.from, filters.to);
  const values: ReportFilterValues = {
    department_id: filters.department_id ?? null,
    ...period,
    group_by: (filters.group_by === "department" ? "department" : "job_title") satisfies GroupBy,
  };

  return (
    <Stack>
      <Title order={1}>{t("reports.title")}</Title>
      {me.role === "manager" && (
        <Text size="sm" c="dimmed">
          {t("reports.scopeManager")}
        </Text>
      )}
      <Tabs
        value={report}
        onChange={(value) => {
          list.update({ tab: value === reports[0] ? null : value });
        }}
        keepMounted={false}
      >
        <Tabs.List style={{ flexWrap: "wrap" }} aria-label={t("reports.tabsLabel")}>
          {reports.map((value) => (
            <Tabs.Tab key={value} value={value}>
              {t(`reports.tab.${value}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {reports.map((value) => (
          <Tabs.Panel key={value} value={value} pt="md">
            <Stack>
              <Group justify="space-between" align="end" gap="sm">
                <ReportFilters
                  report={value}
                  values={values}
                  onChange={(changes) => {
                    list.update(changes);
                  }}
                />
                <ExportButtons
                  path={`/api/v1/analytics/${ENDPOINT[value]}`}
                  query={exportQuery(value, values)}
                  name={ENDPOINT[value]}
                />
              </Group>
              {value === "headcount" && <HeadcountReport filter={values} />}
              {value === "turnover" && <TurnoverReport filter={values} />}
              {value === "tenure" && <TenureReport filter={values} />}
              {value === "pay-bands" && <PayBandsReport filter={values} groupBy={values.group_by} />}
              {value === "documents" && <DocumentsReport filter={values} />}
            </Stack>
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}
