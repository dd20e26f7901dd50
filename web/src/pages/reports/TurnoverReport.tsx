import { Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { formatMonth, formatPercent } from "../../lib/format";
import { TurnoverChart } from "./charts";
import { useTurnover, type PeriodFilter } from "./reportApi";
import { ChartFigure, Figure, Figures, Loaded, ReportCard } from "./ReportParts";
import { TurnoverTable } from "./SeriesTables";

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
              <TurnoverTable series={data.series} />
            </ReportCard>
          </Stack>
        );
      }}
    </Loaded>
  );
}
