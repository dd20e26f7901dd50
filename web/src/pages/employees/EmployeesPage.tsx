import { Button, Group, Select, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { IconFileImport, IconPlus } from "@tabler/icons-react";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DataTableColumn } from "mantine-datatable";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { isStaff, useMe } from "../../auth/AuthContext";
import { EmployeePicker } from "../../components/EmployeePicker";
import { PagedTable } from "../../components/PagedTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ExportButtons } from "../../components/ExportButtons";
import { ListFilters } from "../../components/ListFilters";
import { ListSearch } from "../../components/ListSearch";
import { formatDate, formatMoney } from "../../lib/format";
import { departmentNames, fullName, useDepartments, type Employee } from "../../lib/queries";
import { useListParams } from "../../lib/useListParams";
import { RiskBadge, useRiskScores } from "./Attrition";
import { StatusBadge } from "./StatusBadge";

const STATUSES = ["active", "on_leave", "terminated"] as const;
const TYPES = ["full_time", "part_time", "contractor", "intern"] as const;
const SALARY_FIELDS = "salary,salary_currency";

export function EmployeesPage() {
  const { t } = useTranslation();
  const me = useMe();
  const staff = isStaff(me.role);
  const navigate = useNavigate();
  const list = useListParams("last_name");
  const { filters } = list;
  const withSalary = staff && filters.columns === "salary";
  const departments = useDepartments();
  const names = departmentNames(departments.data);
  // A national ID searched for stays in memory: never in the URL (UI.md).
  const [ssn, setSsn] = useState("");
  const [ssnQuery, setSsnQuery] = useState<string | null>(null);

  const query = {
    page: list.page,
    page_size: list.pageSize,
    sort: list.sort,
    q: filters.q ?? null,
    department_id: filters.department_id ?? null,
    manager_id: filters.manager_id ?? null,
    status: (filters.status as (typeof STATUSES)[number] | undefined) ?? null,
    employment_type: (filters.employment_type as (typeof TYPES)[number] | undefined) ?? null,
    ssn: staff ? ssnQuery : null,
    ...(withSalary ? { fields: SALARY_FIELDS } : {}),
  };
  const risks = useRiskScores(staff);
  const employees = useQuery({
    queryKey: ["employees", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/employees", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  // The next page is fetched ahead, so "next" shows at once; never with the salary column
  // (that would be an audited read of rows nobody looked at).
  const client = useQueryClient();
  const total = employees.data?.total;
  useEffect(() => {
    if (withSalary || total === undefined || list.page * list.pageSize >= total) return;
    const next = { ...query, page: list.page + 1 };
    client
      .query({
        queryKey: ["employees", next],
        queryFn: async () => unwrap(await api.GET("/api/v1/employees", { params: { query: next } })),
      })
      .catch(() => undefined); // only a head start: the page asks again if it failed
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `query` is rebuilt each render; its parts are below
  }, [client, total, withSalary, list.page, list.pageSize, list.sort, JSON.stringify(filters)]);

  const columns: DataTableColumn<Employee>[] = [
    {
      accessor: "last_name",
      title: t("employees.field.name"),
      sortable: true,
      noWrap: true,
      render: (row) => (
        <Text component={Link} to={`/employees/${row.id}`} size="sm" fw={500} c="blue">
          {fullName(row)}
        </Text>
      ),
    },
    { accessor: "employee_number", title: t("employees.field.employee_number"), sortable: true },
    { accessor: "email", title: t("employees.field.email"), sortable: true },
    { accessor: "job_title", title: t("employees.field.job_title"), sortable: true },
    {
      accessor: "department_id",
      title: t("employees.field.department_id"),
      render: (row) => (row.department_id ? (names.get(row.department_id) ?? "—") : "—"),
    },
    {
      accessor: "status",
      title: t("employees.field.status"),
      render: (row) => (row.status ? <StatusBadge status={row.status} /> : "—"),
    },
    {
      accessor: "hire_date",
      title: t("employees.field.hire_date"),
      sortable: true,
      render: (row) => formatDate(row.hire_date),
    },
  ];
  // hr and admin: each row's attrition risk from one request; no column at all when the
  // API refuses it (403, the model still being trained, too little history) or fails.
  if (staff && !risks.isError) {
    columns.push({
      accessor: "risk",
      title: t("employees.risk.column"),
      textAlign: "right",
      render: (row) => {
        if (risks.data === undefined) return "…";
        const risk = risks.data.get(row.id);
        return risk === undefined ? "—" : <RiskBadge risk={risk} />;
      },
    });
  }
  if (withSalary) {
    columns.push({
      accessor: "salary",
      title: t("employees.salaryColumn"),
      textAlign: "right",
      render: (row) => formatMoney(row.salary, row.salary_currency),
    });
  }
  const activeFilters = ["department_id", "status", "employment_type", "manager_id"].filter(
    (key) => filters[key] !== undefined,
  ).length;
  const exportQuery = { ...query, page: null, page_size: null, ssn: null };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>{t("employees.title")}</Title>
        <Group gap="xs">
          <ExportButtons path="/api/v1/employees" query={exportQuery} name="employees" />
          {staff && (
            <Button
              component={Link}
              to="/employees/import"
              variant="default"
              leftSection={<IconFileImport size={16} aria-hidden />}
            >
              {t("imports.button")}
            </Button>
          )}
          {staff && (
            <Button component={Link} to="/employees/new" leftSection={<IconPlus size={16} aria-hidden />}>
              {t("employees.newEmployee")}
            </Button>
          )}
        </Group>
      </Group>
      <ListSearch list={list} placeholder={t("employees.searchPlaceholder")} wait={150} width={320} />
      <ListFilters active={activeFilters}>
        <Select
          label={t("employees.field.department_id")}
          placeholder={t("employees.anyDepartment")}
          data={(departments.data ?? []).map((d) => ({ value: d.id, label: d.name }))}
          value={filters.department_id ?? null}
          onChange={(value) => {
            list.update({ department_id: value });
          }}
          searchable
          clearable
          w={{ base: "100%", sm: 200 }}
        />
        <Select
          label={t("employees.field.status")}
          placeholder={t("employees.anyStatus")}
          data={STATUSES.map((s) => ({ value: s, label: t(`employees.status.${s}`) }))}
          value={filters.status ?? null}
          onChange={(value) => {
            list.update({ status: value });
          }}
          clearable
          w={{ base: "100%", sm: 150 }}
        />
        <Select
          label={t("employees.field.employment_type")}
          placeholder={t("employees.anyType")}
          data={TYPES.map((s) => ({ value: s, label: t(`employees.type.${s}`) }))}
          value={filters.employment_type ?? null}
          onChange={(value) => {
            list.update({ employment_type: value });
          }}
          clearable
          w={{ base: "100%", sm: 150 }}
        />
        <EmployeePicker
          label={t("employees.field.manager_id")}
          placeholder={t("employees.anyManager")}
          value={filters.manager_id ?? null}
          onChange={(value) => {
            list.update({ manager_id: value });
          }}
          w={{ base: "100%", sm: 220 }}
        />
        {staff && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              setSsnQuery(ssn.trim() || null);
            }}
          >
            <TextInput
              label={t("employees.searchSsn")}
              description={t("employees.searchSsnHint")}
              value={ssn}
              onChange={(event) => {
                setSsn(event.currentTarget.value);
                if (!event.currentTarget.value) setSsnQuery(null);
              }}
              autoComplete="off"
              w={{ base: "100%", sm: 200 }}
            />
          </form>
        )}
        {staff && (
          <Switch
            label={t("employees.showSalary")}
            checked={withSalary}
            onChange={(event) => {
              list.update({ columns: event.currentTarget.checked ? "salary" : null }, true);
            }}
            mb={8}
          />
        )}
      </ListFilters>
      {employees.isError && <ErrorMessage error={employees.error} />}
      <PagedTable<Employee>
        list={list}
        defaultSort={"last_name"}
        data={employees.data}
        fetching={employees.isFetching}
        columns={columns}
        noRecordsText={t("employees.empty")}
        onRowClick={(record) => {
          void navigate(`/employees/${record.id}`);
        }}
      />
    </Stack>
  );
}
