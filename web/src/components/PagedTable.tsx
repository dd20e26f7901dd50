import { DataTable, type DataTableColumn, type DataTableSortProps } from "mantine-datatable";
import { useTranslation } from "react-i18next";

import { fromSortStatus, PAGE_SIZES, toSortStatus, type useListParams } from "../lib/useListParams";

interface Page<T> {
  items: T[];
  total: number;
}

/** A server-paged, server-sorted list: its page, size and sort are the URL's (the
 * list's `useListParams`), the rows and total the API's last answer. */
export function PagedTable<T>({
  list,
  defaultSort,
  data,
  fetching,
  columns,
  noRecordsText,
  onRowClick,
  sortable = true,
}: {
  list: ReturnType<typeof useListParams>;
  defaultSort: string;
  data: Page<T> | undefined;
  fetching: boolean;
  columns: DataTableColumn<T>[];
  noRecordsText: string;
  onRowClick?: (record: T) => void;
  /** false: the rows come in the server's own order (e.g. ranked by meaning); no column
   * sorts and none shows a sort. */
  sortable?: boolean;
}) {
  const { t } = useTranslation();
  const sorting: DataTableSortProps<T> = sortable
    ? {
        sortStatus: toSortStatus(list.sort, defaultSort),
        onSortStatusChange: (status) => {
          list.update({
            sort: fromSortStatus({ columnAccessor: String(status.columnAccessor), direction: status.direction }),
          });
        },
      }
    : {};
  return (
    <DataTable<T>
      withTableBorder
      borderRadius="sm"
      striped
      highlightOnHover
      minHeight={data?.items.length ? undefined : 180}
      records={data?.items ?? []}
      columns={sortable ? columns : columns.map((column) => ({ ...column, sortable: false }))}
      fetching={fetching}
      totalRecords={data?.total ?? 0}
      recordsPerPage={list.pageSize}
      page={list.page}
      onPageChange={(page) => {
        list.update({ page }, true);
      }}
      recordsPerPageOptions={[...PAGE_SIZES]}
      onRecordsPerPageChange={(size) => {
        list.update({ page_size: size });
      }}
      recordsPerPageLabel={t("common.pageSize")}
      {...sorting}
      noRecordsText={noRecordsText}
      onRowClick={
        onRowClick
          ? ({ record }) => {
              onRowClick(record);
            }
          : undefined
      }
      paginationText={({ from, to, totalRecords }) => `${from}–${to} / ${totalRecords}`}
    />
  );
}
