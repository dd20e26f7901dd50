// The data table's own styles (its empty state, sticky header, pagination); main.tsx does not load them.

import { Alert, Anchor, Button, Group, SegmentedControl, Select, Stack, Text, Title } from "@mantine/core";
import { IconInfoCircle, IconUpload } from "@tabler/icons-react";
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import type { DataTableColumn } from "mantine-datatable";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useMe } from "../../auth/AuthContext";
import { EmployeePicker } from "../../components/EmployeePicker";
import { ListFilters } from "../../components/ListFilters";
import { ListSearch } from "../../components/ListSearch";
import { PagedTable } from "../../components/PagedTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ExportButtons } from "../../components/ExportButtons";
import { formatBytes, formatDateTime, today } from "../../lib/format";
import { fullName, type DocumentRecord } from "../../lib/queries";
import { useListParams } from "../../lib/useListParams";
import { CATEGORIES, isCategory } from "./categories";
import { DocumentDrawer } from "./DocumentDrawer";
import { documentsQuery, EXPIRING, expiringDays as expiringOf, isSemanticOff, searchMode } from "./documentsQuery";
import { Expiry } from "./Expiry";
import { UploadModal } from "./UploadModal";

const DEFAULT_SORT = "-created_at";

export function DocumentsPage() {
  const { t } = useTranslation();
  const me = useMe();
  const list = useListParams(DEFAULT_SORT);
  const { filters } = list;

  // Search by meaning, once the server said it is off here, is words again (and stays so).
  const [semanticOff, setSemanticOff] = useState<"shown" | "dismissed" | null>(null);
  const mode = semanticOff === null ? searchMode(filters) : "words";
  const meaning = mode === "meaning";
  const expiringDays = expiringOf(filters);
  const query = documentsQuery(list, mode, today());
  // The server's export does not rank by meaning: it is offered for the words' list only.
  const exportable = query.semantic === null;
  const exportQuery = { ...query, page: null, page_size: null };
  const documents = useQuery({
    queryKey: ["documents", "list", query],
    queryFn: async () => {
      try {
        return unwrap(await api.GET("/api/v1/documents", { params: { query } }));
      } catch (error) {
        if (isSemanticOff(error)) setSemanticOff("shown");
        throw error;
      }
    },
    placeholderData: keepPreviousData,
  });
  // …and the URL says so too (a bookmark of it, a reload, back): changed after this
  // render's effects, as the list's URL changes are rendered at once (flushSync).
  const { update } = list;
  const urlMode = filters.mode;
  useEffect(() => {
    if (semanticOff === null || urlMode === undefined) return;
    const timer = setTimeout(() => {
      update({ mode: null }, true);
    }, 0);
    return () => {
      clearTimeout(timer);
    };
  }, [semanticOff, urlMode, update]);

  // The names of the employees on this page: one lookup per distinct employee (cached).
  const employeeIds = [
    ...new Set((documents.data?.items ?? []).map((d) => d.employee_id).filter((id): id is string => id !== null)),
  ];
  const people = useQueries({
    queries: employeeIds.map((id) => ({
      queryKey: ["employee-name", id],
      queryFn: async () =>
        unwrap(await api.GET("/api/v1/employees/{employee_id}", { params: { path: { employee_id: id } } })),
      staleTime: 300_000,
      retry: false,
    })),
  });
  const names = new Map<string, string | null>();
  employeeIds.forEach((id, index) => {
    const person = people[index];
    if (person?.data) names.set(id, fullName(person.data));
    else if (person?.isError) names.set(id, null);
  });

  const uploadOpen = filters.upload === "1";
  const selected = filters.document ?? null;
  const filtered = Boolean(query.q ?? query.semantic ?? query.employee_id ?? query.category ?? query.expiring_before);

  const columns: DataTableColumn<DocumentRecord>[] = [
    {
      accessor: "title",
      title: t("documents.field.title"),
      sortable: true,
      render: (row) => (
        <Anchor
          component="button"
          type="button"
          size="sm"
          fw={500}
          ta="left"
          miw={140}
          style={{ overflowWrap: "anywhere" }}
          onClick={(event: React.MouseEvent) => {
            event.stopPropagation();
            list.update({ document: row.id }, true);
          }}
        >
          {row.title}
        </Anchor>
      ),
    },
    {
      accessor: "category",
      title: t("documents.field.category"),
      sortable: true,
      render: (row) => (isCategory(row.category) ? t(`documents.category.${row.category}`) : row.category),
    },
    {
      accessor: "employee_id",
      title: t("documents.field.employee_id"),
      render: (row) => {
        if (row.employee_id === null) return <Text size="sm" c="dimmed">{t("documents.noEmployee")}</Text>;
        const name = names.get(row.employee_id);
        if (name === undefined) return "…";
        return name ?? <Text size="sm" c="dimmed">{t("documents.unknownEmployee")}</Text>;
      },
    },
    {
      accessor: "filename",
      title: t("documents.field.filename"),
      sortable: true,
      render: (row) => <span style={{ overflowWrap: "anywhere" }}>{row.filename}</span>,
    },
    {
      accessor: "size",
      title: t("documents.field.size"),
      sortable: true,
      textAlign: "right",
      render: (row) => <span style={{ whiteSpace: "nowrap" }}>{formatBytes(row.size)}</span>,
    },
    { accessor: "version", title: t("documents.field.version"), textAlign: "right" },
    {
      accessor: "expires_on",
      title: t("documents.field.expires_on"),
      sortable: true,
      render: (row) => <Expiry value={row.expires_on} />,
    },
    {
      accessor: "created_at",
      title: t("documents.field.created_at"),
      sortable: true,
      render: (row) => <span style={{ whiteSpace: "nowrap" }}>{formatDateTime(row.created_at)}</span>,
    },
  ];

  return (
    <>
      <Stack inert={uploadOpen || selected !== null} aria-hidden={uploadOpen || selected !== null ? true : undefined}>
        <Group justify="space-between">
          <Title order={1}>{t("documents.title")}</Title>
          <Group gap="xs">
            {exportable && <ExportButtons path="/api/v1/documents" query={exportQuery} name="documents" />}
            <Button
              leftSection={<IconUpload size={16} aria-hidden />}
              onClick={() => {
                list.update({ upload: "1" }, true);
              }}
            >
              {t("documents.uploadButton")}
            </Button>
          </Group>
        </Group>
        <Stack gap={4}>
          <Group align="flex-end" gap="sm">
            <ListSearch
              list={list}
              placeholder={meaning ? t("documents.meaningPlaceholder") : t("documents.searchPlaceholder")}
              wait={250}
              width={meaning ? 360 : 260}
            />
            <SegmentedControl
              aria-label={t("documents.searchBy")}
              value={mode}
              onChange={(value) => {
                list.update({ mode: value === "meaning" ? "meaning" : null });
              }}
              data={[
                { value: "words", label: t("documents.searchMode.words") },
                { value: "meaning", label: t("documents.searchMode.meaning"), disabled: semanticOff !== null },
              ]}
            />
          </Group>
          {meaning && (
            <Text size="xs" c="dimmed">
              {t("documents.meaningHint")}
            </Text>
          )}
        </Stack>
        {semanticOff === "shown" && (
          <Alert
            color="blue"
            variant="light"
            icon={<IconInfoCircle aria-hidden />}
            role="status"
            withCloseButton
            closeButtonLabel={t("common.close")}
            onClose={() => {
              setSemanticOff("dismissed");
            }}
          >
            {t("documents.meaningOff")}
          </Alert>
        )}
        <ListFilters active={["employee_id", "category", "expiring"].filter((key) => filters[key] !== undefined).length}>
          <EmployeePicker
            label={t("documents.field.employee_id")}
            placeholder={t("documents.anyEmployee")}
            value={filters.employee_id ?? null}
            onChange={(value) => {
              list.update({ employee_id: value });
            }}
            w={{ base: "100%", sm: 220 }}
          />
          <Select
            label={t("documents.field.category")}
            placeholder={t("documents.anyCategory")}
            data={CATEGORIES.map((c) => ({ value: c, label: t(`documents.category.${c}`) }))}
            value={isCategory(filters.category) ? filters.category : null}
            onChange={(value) => {
              list.update({ category: value });
            }}
            clearable
            w={{ base: "100%", sm: 170 }}
          />
          <Select
            label={t("documents.expiring")}
            placeholder={t("documents.anyExpiry")}
            data={EXPIRING.map((d) => ({ value: d, label: t("documents.expiringWithin", { count: Number(d) }) }))}
            value={expiringDays}
            onChange={(value) => {
              list.update({ expiring: value });
            }}
            clearable
            w={{ base: "100%", sm: 220 }}
          />
        </ListFilters>
        {documents.isError && !isSemanticOff(documents.error) && <ErrorMessage error={documents.error} />}
        <PagedTable<DocumentRecord>
          list={list}
          defaultSort={DEFAULT_SORT}
          data={documents.data}
          fetching={documents.isFetching}
          columns={columns}
          sortable={!meaning}
          noRecordsText={filtered ? t("documents.emptyFiltered") : t("documents.empty")}
          onRowClick={(record) => {
            list.update({ document: record.id }, true);
          }}
        />
      </Stack>
      <UploadModal
        opened={uploadOpen}
        onClose={() => {
          list.update({ upload: null }, true);
        }}
        onUploaded={(created) => {
          // The new document's drawer: what the processing job finds appears there.
          list.update({ upload: null, document: created.id }, true);
        }}
        employeeId={filters.employee_id ?? (me.role === "employee" ? (me.employee_id ?? null) : null)}
      />
      <DocumentDrawer
        documentId={selected}
        onClose={() => {
          list.update({ document: null }, true);
        }}
      />
    </>
  );
}
