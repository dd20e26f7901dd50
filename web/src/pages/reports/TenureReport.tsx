import { Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { formatDate, formatNumber } from "../../lib/format";
import { CountBars } from "./charts";
import { useTenure, type DepartmentFilter, type TenureBucket } from "./reportApi";
import { tenureKey } from "./reportLogic";
import { ChartFigure, Figure, Figures, Loaded, NumbersTable, ReportCard } from "./ReportParts";

export function TenureReport({ filter }: { filter: DepartmentFilter }) {
  const { t } = useTranslation();
  const query = useTenure(filter);
  const label = (bucket: TenureBucket): string => {
    const { key, min, max } = tenureKey(bucket);
    // The plural follows the number the words end on.
    return t(`reports.tenure.${key}`, { min, max, count: key === "over" ? min : (max ?? 0) });
  };
  return (
    <Loaded query={query}>
      {(data) => (
        <Stack>
          <Figures>
            <Figure label={t("reports.tenure.total")} value={formatNumber(data.total)} />
          </Figures>
          <ReportCard title={t("reports.tenure.title")} hint={t("reports.tenure.hint", { date: formatDate(data.as_of) })}>
            {data.total === 0 ? (
              <Text size="sm">{t("reports.tenure.empty")}</Text>
            ) : (
              <ChartFigure label={t("reports.tenure.chartLabel")}>
                <CountBars
                  rows={data.buckets.map((bucket) => ({ label: label(bucket), count: bucket.count }))}
                  categoryLabel={t("reports.tenure.bucket")}
                  valueLabel={t("reports.people")}
                />
              </ChartFigure>
            )}
            <NumbersTable
              label={t("reports.tenure.title")}
              rowKey={(bucket) => String(bucket.min_years)}
              rows={data.buckets}
              minWidth={240}
              columns={[
                { title: t("reports.tenure.bucket"), render: label },
                { title: t("reports.people"), numeric: true, render: (bucket) => formatNumber(bucket.count) },
              ]}
            />
          </ReportCard>
        </Stack>
      )}
    </Loaded>
  );
}
