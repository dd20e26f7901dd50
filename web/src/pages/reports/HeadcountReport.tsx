import { Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { formatMonth, formatNumber } from "../../lib/format";
import { CountBars, HeadcountChart } from "./charts";
import { useHeadcount, type PeriodFilter } from "./reportApi";
import { departmentRows } from "./reportLogic";
import { ChartFigure, Figure, Figures, Loaded, NumbersTable, ReportCard } from "./ReportParts";
import { HeadcountTable } from "./SeriesTables";

export function HeadcountReport({ filter }: { filter: PeriodFilter }) {
  const { t } = useTranslation();
  const query = useHeadcount(filter);
  return (
    <Loaded query={query}>
      {(data) => {
        const period = t("reports.period", { from: formatMonth(data.from), to: formatMonth(data.to) });
        const last = data.series[data.series.length - 1];
        const end = formatMonth(data.to, "long");
        const departments = departmentRows(data.by_department, t("reports.noDepartment"));
        return (
          <Stack>
            <Figures>
              <Figure
                label={t("reports.headcount.atEnd", { month: end })}
                value={formatNumber(last?.headcount)}
                hint={t("reports.headcount.atEndHint")}
              />
            </Figures>
            <ReportCard title={t("reports.headcount.perMonth")} hint={t("reports.headcount.perMonthHint")}>
              {data.series.every((row) => row.headcount === 0 && row.leavers === 0) ? (
                <Text size="sm">{t("reports.headcount.empty")}</Text>
              ) : (
                <ChartFigure label={t("reports.headcount.chartLabel", { period })} caption={period}>
                  <HeadcountChart series={data.series} />
                </ChartFigure>
              )}
              <HeadcountTable series={data.series} />
            </ReportCard>
            <ReportCard
              title={t("reports.headcount.byDepartment", { month: end })}
              hint={t("reports.headcount.byDepartmentHint")}
            >
              {departments.length === 0 ? (
                <Text size="sm">{t("reports.headcount.byDepartmentEmpty")}</Text>
              ) : (
                <>
                  <ChartFigure label={t("reports.headcount.byDepartmentLabel", { month: end })}>
                    <CountBars
                      rows={departments.map((row) => ({ label: row.department, count: row.headcount }))}
                      categoryLabel={t("reports.department")}
                      valueLabel={t("reports.people")}
                    />
                  </ChartFigure>
                  <NumbersTable
                    label={t("reports.headcount.byDepartment", { month: end })}
                    rowKey={(row) => row.key}
                    rows={departments}
                    minWidth={240}
                    columns={[
                      { title: t("reports.department"), render: (row) => row.department },
                      { title: t("reports.people"), numeric: true, render: (row) => formatNumber(row.headcount) },
                    ]}
                  />
                </>
              )}
            </ReportCard>
          </Stack>
        );
      }}
    </Loaded>
  );
}
