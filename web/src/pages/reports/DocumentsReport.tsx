import { Anchor, SimpleGrid, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { formatDate, formatNumber } from "../../lib/format";
import { departmentNames, fullName, useDepartments } from "../../lib/queries";
import { isCategory } from "../documents/categories";
import { CountBars } from "./charts";
import { useDocumentCompliance, type DepartmentFilter, type DocumentCompliance } from "./reportApi";
import { ChartFigure, Figure, Figures, Loaded, NumbersTable, ReportCard } from "./ReportParts";

type Missing = DocumentCompliance["missing"][number];

export function DocumentsReport({ filter }: { filter: DepartmentFilter }) {
  const { t } = useTranslation();
  const query = useDocumentCompliance(filter);
  const departments = useDepartments();
  const names = departmentNames(departments.data);
  const category = (value: string): string => (isCategory(value) ? t(`documents.category.${value}`) : value);
  return (
    <Loaded query={query}>
      {(data) => {
        const windows = [
          { key: "expired", label: t("reports.documents.expired"), count: data.expired },
          { key: "30", label: t("reports.documents.within", { count: 30 }), count: data.expiring_30 },
          { key: "60", label: t("reports.documents.within", { count: 60 }), count: data.expiring_60 },
          { key: "90", label: t("reports.documents.within", { count: 90 }), count: data.expiring_90 },
        ];
        const byCategory = data.missing_by_category.map((row) => ({ ...row, label: category(row.category) }));
        return (
          <Stack>
            <Figures>
              <Figure label={t("reports.documents.expired")} value={formatNumber(data.expired)} />
              <Figure label={t("reports.documents.within", { count: 30 })} value={formatNumber(data.expiring_30)} />
              <Figure label={t("reports.documents.missingTotal")} value={formatNumber(data.missing_total)} />
            </Figures>
            <SimpleGrid cols={{ base: 1, lg: 2 }}>
              <ReportCard
                title={t("reports.documents.expiry")}
                hint={t("reports.documents.expiryHint", { date: formatDate(data.as_of) })}
              >
                {windows.every((row) => row.count === 0) ? (
                  <Text size="sm">{t("reports.documents.noneExpiring")}</Text>
                ) : (
                  <ChartFigure label={t("reports.documents.expiryLabel")}>
                    <CountBars
                      rows={windows}
                      categoryLabel={t("reports.documents.window")}
                      valueLabel={t("reports.documents.documents")}
                    />
                  </ChartFigure>
                )}
                <NumbersTable
                  label={t("reports.documents.expiry")}
                  rowKey={(row) => row.key}
                  rows={windows}
                  minWidth={240}
                  columns={[
                    { title: t("reports.documents.window"), render: (row) => row.label },
                    { title: t("reports.documents.documents"), numeric: true, render: (row) => formatNumber(row.count) },
                  ]}
                />
              </ReportCard>
              <ReportCard
                title={t("reports.documents.missing")}
                hint={
                  data.required_categories.length > 0
                    ? t("reports.documents.missingHint", { categories: data.required_categories.map(category).join(", ") })
                    : undefined
                }
              >
                {data.required_categories.length === 0 ? (
                  <Text size="sm">{t("reports.documents.noneRequired")}</Text>
                ) : (
                  <>
                    {data.missing_total === 0 ? (
                      <Text size="sm">{t("reports.documents.noneMissing")}</Text>
                    ) : (
                      <ChartFigure label={t("reports.documents.missingLabel")}>
                        <CountBars
                          rows={byCategory}
                          categoryLabel={t("reports.documents.category")}
                          valueLabel={t("reports.documents.employeesMissing")}
                        />
                      </ChartFigure>
                    )}
                    <NumbersTable
                      label={t("reports.documents.missing")}
                      rowKey={(row) => row.category}
                      rows={byCategory}
                      minWidth={240}
                      columns={[
                        { title: t("reports.documents.category"), render: (row) => row.label },
                        {
                          title: t("reports.documents.employeesMissing"),
                          numeric: true,
                          render: (row) => formatNumber(row.count),
                        },
                      ]}
                    />
                  </>
                )}
              </ReportCard>
            </SimpleGrid>
            {data.missing.length > 0 && (
              <ReportCard
                title={t("reports.documents.whoMisses")}
                hint={
                  data.missing.length < data.missing_total
                    ? t("reports.documents.shown", {
                        shown: formatNumber(data.missing.length),
                        total: formatNumber(data.missing_total),
                      })
                    : t("reports.documents.shownAll")
                }
              >
                <NumbersTable<Missing>
                  label={t("reports.documents.whoMisses")}
                  rowKey={(row) => `${row.employee_id}/${row.category}`}
                  rows={data.missing}
                  minWidth={560}
                  maxHeight={440}
                  columns={[
                    { title: t("reports.documents.employeeNumber"), render: (row) => row.employee_number },
                    {
                      title: t("reports.documents.name"),
                      render: (row) => (
                        <Anchor component={Link} to={`/employees/${row.employee_id}`} size="sm">
                          {fullName(row)}
                        </Anchor>
                      ),
                    },
                    {
                      title: t("reports.department"),
                      render: (row) =>
                        row.department_id === null
                          ? t("reports.noDepartment")
                          : (names.get(row.department_id) ?? "—"),
                    },
                    { title: t("reports.documents.category"), render: (row) => category(row.category) },
                  ]}
                />
              </ReportCard>
            )}
          </Stack>
        );
      }}
    </Loaded>
  );
}
