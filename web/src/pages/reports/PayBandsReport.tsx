import { Alert, Stack, Text } from "@mantine/core";
import { IconInfoCircle, IconLock } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

import { formatMoney, formatNumber } from "../../lib/format";
import { BandChart } from "./charts";
import { useSalaryBands, type DepartmentFilter, type GroupBy, type PayBand } from "./reportApi";
import { bandChartRows } from "./reportLogic";
import { ChartFigure, Loaded, NumbersTable, ReportCard } from "./ReportParts";

export function PayBandsReport({ filter, groupBy }: { filter: DepartmentFilter; groupBy: GroupBy }) {
  const { t } = useTranslation();
  const query = useSalaryBands({ ...filter, group_by: groupBy });
  const noGroup = groupBy === "department" ? t("reports.noDepartment") : t("reports.bands.noJobTitle");
  const groupTitle = groupBy === "department" ? t("reports.filters.byDepartment") : t("reports.filters.jobTitle");
  return (
    <Loaded query={query}>
      {(data) => {
        const charts = bandChartRows(data.bands, noGroup);
        const currencies = [...new Set(data.bands.map((band) => band.currency))];
        return (
          <Stack>
            <Text size="sm" c="dimmed">
              <IconLock size={14} aria-hidden /> {t("reports.bands.audited")}
            </Text>
            {data.groups_below_minimum > 0 && (
              <Alert color="blue" icon={<IconInfoCircle aria-hidden />}>
                {t("reports.bands.belowMinimum", { count: data.groups_below_minimum })}
              </Alert>
            )}
            {data.bands.length === 0 && <Text size="sm">{t("reports.bands.empty")}</Text>}
            {currencies.map((currency) => {
              const rows = charts.get(currency) ?? [];
              const bands = data.bands.filter((band) => band.currency === currency);
              return (
                <ReportCard key={currency} title={t("reports.bands.title", { currency })} hint={t("reports.bands.hint")}>
                  {rows.length > 0 && (
                    <ChartFigure label={t("reports.bands.chartLabel", { currency })}>
                      <BandChart rows={rows} currency={currency} />
                    </ChartFigure>
                  )}
                  <NumbersTable<PayBand>
                    label={t("reports.bands.title", { currency })}
                    rowKey={(band) => `${band.group ?? ""}/${band.department_id ?? ""}`}
                    rows={bands}
                    minWidth={720}
                    columns={[
                      { title: groupTitle, render: (band) => band.group ?? noGroup },
                      { title: t("reports.bands.count"), numeric: true, render: (band) => formatNumber(band.count) },
                      { title: t("reports.bands.min"), numeric: true, render: (band) => formatMoney(band.min, band.currency) },
                      { title: t("reports.bands.p25"), numeric: true, render: (band) => formatMoney(band.p25, band.currency) },
                      {
                        title: t("reports.bands.median"),
                        numeric: true,
                        render: (band) => formatMoney(band.median, band.currency),
                      },
                      { title: t("reports.bands.p75"), numeric: true, render: (band) => formatMoney(band.p75, band.currency) },
                      { title: t("reports.bands.max"), numeric: true, render: (band) => formatMoney(band.max, band.currency) },
                    ]}
                  />
                </ReportCard>
              );
            })}
          </Stack>
        );
      }}
    </Loaded>
  );
}
