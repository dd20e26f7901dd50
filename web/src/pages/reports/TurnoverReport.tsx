import { Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { formatMonth, formatNumber, formatPercent } from "../../lib/format";
import { TurnoverChart } from "./charts";
import { useTurnover, type PeriodFilter } from "./reportApi";
import { ChartFigure, Figure, Figures, Loaded, NumbersTable, ReportCard } from "./ReportParts";

export function TurnoverReport({ filter }: { filter: PeriodFilter }) {
  const { t } = useTranslation();
  const query = useTurnover(filter);
  return (
    <Loaded query={query}>
      {(data) => {
        const period = t("reports.period", { from: formatMonth(data.from), to: formatMonth(data.to) });
        return (
          <Stack>
            <Figures>
              <Figure
                label={t("reports.turnover.rate12m", { month: formatMonth(data.to, "long") })}
                value={formatPercent(data.rate_12m)}
                hint={data.rate_12m === null ? t("reports.turnover.rateNone") : t("reports.turnover.rate12mHint")}
              />
            </Figures>
            <ReportCard title={t("reports.turnover.perMonth")} hint={t("reports.turnover.perMonthHint")}>
              {data.series.every((row) => row.leavers === 0) && (
                <Text size="sm">{t("reports.turnover.noLeavers")}</Text>
              )}
              <ChartFigure label={t("reports.turnover.chartLabel", { period })} caption={period}>
                <TurnoverChart series={data.series} />
              </ChartFigure>
              <NumbersTable
                label={t("reports.turnover.perMonth")}
                rowKey={(row) => row.period}
                rows={data.series}
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
            </ReportCard>
          </Stack>
        );
      }}
    </Loaded>
  );
}
