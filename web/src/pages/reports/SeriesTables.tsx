import { useTranslation } from "react-i18next";

import { formatMonth, formatNumber, formatPercent } from "../../lib/format";
import type { Headcount, Turnover } from "./reportApi";
import { NumbersTable } from "./ReportParts";

/** Headcount per month as a table: the chart's numbers (Reports page and dashboard). */
export function HeadcountTable({ series }: { series: Headcount["series"] }) {
  const { t } = useTranslation();
  return (
    <NumbersTable
      label={t("reports.headcount.perMonth")}
      rowKey={(row) => row.period}
      rows={series}
      columns={[
        { title: t("reports.month"), render: (row) => formatMonth(row.period, "long") },
        { title: t("reports.headcount.people"), numeric: true, render: (row) => formatNumber(row.headcount) },
        { title: t("reports.headcount.hires"), numeric: true, render: (row) => formatNumber(row.hires) },
        { title: t("reports.headcount.leavers"), numeric: true, render: (row) => formatNumber(row.leavers) },
      ]}
    />
  );
}

/** Turnover per month as a table: the chart's numbers (Reports page and dashboard). */
export function TurnoverTable({ series }: { series: Turnover["series"] }) {
  const { t } = useTranslation();
  return (
    <NumbersTable
      label={t("reports.turnover.perMonth")}
      rowKey={(row) => row.period}
      rows={series}
      columns={[
        { title: t("reports.month"), render: (row) => formatMonth(row.period, "long") },
        { title: t("reports.turnover.leavers"), numeric: true, render: (row) => formatNumber(row.leavers) },
        {
          title: t("reports.turnover.averageHeadcount"),
          numeric: true,
          render: (row) => formatNumber(row.average_headcount, 1),
        },
        { title: t("reports.turnover.rate"), numeric: true, render: (row) => formatPercent(row.rate) },
      ]}
    />
  );
}
