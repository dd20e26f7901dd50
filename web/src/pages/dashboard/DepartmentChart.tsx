import { BarChart } from "@mantine/charts";
import { useTranslation } from "react-i18next";

import { formatNumber } from "../../lib/format";

/** Headcount per department as horizontal bars (its own chunk: the chart library is
 * loaded only when there is something to draw). The same numbers are in the table below
 * it, so the chart itself is hidden from screen readers. */
export default function DepartmentChart({ rows }: { rows: { department: string; headcount: number }[] }) {
  const { t } = useTranslation();
  return (
    <BarChart
      h={Math.max(180, rows.length * 36 + 60)}
      data={rows}
      dataKey="department"
      orientation="vertical"
      series={[{ name: "headcount", label: t("dashboard.people"), color: "blue.6" }]}
      xAxisLabel={t("dashboard.people")}
      yAxisLabel={t("dashboard.department")}
      yAxisProps={{ width: 110 }}
      valueFormatter={(v) => formatNumber(v)}
      withBarValueLabel
      gridAxis="x"
      // Not focusable either: the table below is the way to the numbers by keyboard.
      barChartProps={{ accessibilityLayer: false, tabIndex: -1 }}
      aria-hidden
    />
  );
}
