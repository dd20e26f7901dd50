// The reports' charts, from @mantine/charts (recharts): bars and lines with labelled
// axes. Each one is drawn inside a ChartFigure, which names it for screen readers; the
// exact numbers are in the table beside it, so the chart itself takes no keyboard focus.
import "@mantine/charts/styles.css";

import { BarChart, LineChart } from "@mantine/charts";
import { ColorSwatch, Group, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

import { formatMoneyShort, formatMonth, formatNumber, formatPercent } from "../../lib/format";
import type { BandRow } from "./reportLogic";

// Not focusable: the table is the way to the numbers by keyboard.
const QUIET = { accessibilityLayer: false, tabIndex: -1 } as const;
// Room for the axis labels, and for the last month's name at the right edge.
const MARGIN = { top: 8, right: 24, bottom: 30, left: 10 } as const;

export function HeadcountChart({
  series,
  height = 260,
}: {
  series: readonly { period: string; headcount: number }[];
  height?: number;
}) {
  const { t } = useTranslation();
  const data = series.map((row) => ({ month: formatMonth(row.period), headcount: row.headcount }));
  return (
    <LineChart
      h={height}
      data={data}
      dataKey="month"
      series={[{ name: "headcount", label: t("reports.headcount.people"), color: "blue.7" }]}
      curveType="linear"
      xAxisLabel={t("reports.month")}
      yAxisLabel={t("reports.headcount.people")}
      yAxisProps={{ domain: ["auto", "auto"], width: 48, allowDecimals: false }}
      valueFormatter={(v) => formatNumber(v)}
      gridAxis="xy"
      lineChartProps={{ ...QUIET, margin: MARGIN }}
    />
  );
}

export function TurnoverChart({
  series,
  height = 260,
}: {
  series: readonly { period: string; rate: number | null }[];
  height?: number;
}) {
  const { t } = useTranslation();
  const data = series.map((row) => ({ month: formatMonth(row.period), rate: row.rate }));
  return (
    <BarChart
      h={height}
      data={data}
      dataKey="month"
      series={[{ name: "rate", label: t("reports.turnover.rate"), color: "blue.7" }]}
      xAxisLabel={t("reports.month")}
      yAxisLabel={t("reports.turnover.rate")}
      yAxisProps={{ width: 56 }}
      valueFormatter={(v) => formatPercent(v)}
      barChartProps={{ ...QUIET, margin: MARGIN }}
    />
  );
}

/** Counts per category (departments, tenure, document windows) as horizontal bars. */
export function CountBars({
  rows,
  categoryLabel,
  valueLabel,
}: {
  rows: readonly { label: string; count: number }[];
  categoryLabel: string;
  valueLabel: string;
}) {
  return (
    <BarChart
      h={Math.max(160, rows.length * 36 + 60)}
      data={[...rows]}
      dataKey="label"
      orientation="vertical"
      series={[{ name: "count", label: valueLabel, color: "blue.7" }]}
      xAxisLabel={valueLabel}
      yAxisLabel={categoryLabel}
      xAxisProps={{ allowDecimals: false }}
      yAxisProps={{ width: 120 }}
      valueFormatter={(v) => formatNumber(v)}
      withBarValueLabel
      gridAxis="x"
      // Room at the right for the longest bar's value.
      barChartProps={{ ...QUIET, margin: { ...MARGIN, right: 40 } }}
    />
  );
}

const BAND_BAR = 18;

/** Pay bands of one currency: per group a light bar from the lowest to the highest
 * salary, a darker one over the middle half (25th to 75th percentile) and a mark at the
 * median, drawn over each other. */
export function BandChart({ rows, currency }: { rows: readonly BandRow[]; currency: string }) {
  const { t } = useTranslation();
  const series = [
    { name: "range", label: t("reports.bands.range"), color: "blue.2" },
    { name: "middle", label: t("reports.bands.middle"), color: "blue.6" },
    { name: "median", label: t("reports.bands.median"), color: "dark.6" },
  ];
  return (
    <>
      {/* Its own legend: recharts' would take the bars' room on a phone. */}
      <Group gap="md" mb="xs">
        {series.map((item) => (
          <Group key={item.name} gap={6} wrap="nowrap">
            <ColorSwatch size={12} color={`var(--mantine-color-${item.color.replace(".", "-")})`} withShadow={false} />
            <Text size="xs">{item.label}</Text>
          </Group>
        ))}
      </Group>
      <BarChart
        h={Math.max(120, rows.length * 40 + 50)}
        data={[...rows]}
        dataKey="group"
        orientation="vertical"
        series={series}
        withTooltip={false}
        xAxisLabel={t("reports.bands.salary", { currency })}
        xAxisProps={{ domain: ["auto", "auto"] }}
        yAxisProps={{ width: 110 }}
        valueFormatter={(v) => formatMoneyShort(v, currency)}
        gridAxis="x"
        minBarSize={3}
        barChartProps={{ ...QUIET, barSize: BAND_BAR, barGap: -BAND_BAR }}
      />
    </>
  );
}
