import { Select, SegmentedControl, Stack, Text } from "@mantine/core";
import { useId, useMemo } from "react";
import { useTranslation } from "react-i18next";

import { ListFilters } from "../../components/ListFilters";
import { formatMonth } from "../../lib/format";
import { useDepartments } from "../../lib/queries";
import type { GroupBy } from "./reportApi";
import { monthsBack, takesPeriod, thisMonth, type Report } from "./reportLogic";

// How far back the period filter reaches (the API takes up to twenty years at once).
const YEARS_BACK = 10;

export interface ReportFilterValues {
  department_id: string | null;
  from: string | null;
  to: string | null;
  group_by: GroupBy;
}

/** The filters of one report, kept in the URL by the page: the department (a subtree)
 * for each, the months for the series, the grouping for pay bands. */
export function ReportFilters({
  report,
  values,
  onChange,
}: {
  report: Report;
  values: ReportFilterValues;
  onChange: (changes: Partial<Record<keyof ReportFilterValues, string | null>>) => void;
}) {
  const { t } = useTranslation();
  const departments = useDepartments();
  const groupLabel = useId();
  const months = useMemo(() => monthsBack(thisMonth(), YEARS_BACK * 12 + 1), []);
  const monthOptions = (disabled: (month: string) => boolean) =>
    months.map((month) => ({ value: month, label: formatMonth(month, "long"), disabled: disabled(month) }));
  const period = takesPeriod(report);
  const active =
    (values.department_id ? 1 : 0) + (period && values.from ? 1 : 0) + (period && values.to ? 1 : 0);

  return (
    <Stack gap="xs" style={{ flex: "1 1 auto" }}>
      <ListFilters active={active}>
      <Select
        label={t("reports.filters.department")}
        placeholder={t("reports.filters.allDepartments")}
        data={(departments.data ?? []).map((d) => ({ value: d.id, label: d.name }))}
        value={values.department_id}
        onChange={(value) => {
          onChange({ department_id: value });
        }}
        error={departments.isError ? t("common.errorTitle") : undefined}
        searchable
        clearable
        w={{ base: "100%", sm: 220 }}
      />
      {period && (
        <>
          <Select
            label={t("reports.filters.from")}
            placeholder={t("reports.filters.fromDefault")}
            data={monthOptions((month) => values.to !== null && month > values.to)}
            value={values.from}
            onChange={(value) => {
              onChange({ from: value });
            }}
            searchable
            clearable
            w={{ base: "100%", sm: 180 }}
          />
          <Select
            label={t("reports.filters.to")}
            placeholder={t("reports.filters.toDefault")}
            data={monthOptions((month) => values.from !== null && month < values.from)}
            value={values.to}
            onChange={(value) => {
              onChange({ to: value });
            }}
            searchable
            clearable
            w={{ base: "100%", sm: 180 }}
          />
        </>
      )}
      {report === "pay-bands" && (
        <Stack gap={4}>
          <Text size="sm" fw={500} id={groupLabel}>
            {t("reports.filters.groupBy")}
          </Text>
          <SegmentedControl
            aria-labelledby={groupLabel}
            value={values.group_by}
            onChange={(value) => {
              onChange({ group_by: value === "job_title" ? null : value });
            }}
            data={[
              { value: "job_title", label: t("reports.filters.jobTitle") },
              { value: "department", label: t("reports.filters.byDepartment") },
            ]}
          />
        </Stack>
      )}
      </ListFilters>
    </Stack>
  );
}
