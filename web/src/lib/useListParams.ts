import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

export const PAGE_SIZES = [25, 50, 100, 200] as const;

export interface ListParams {
  page: number;
  pageSize: number;
  sort: string | null;
  /** Every other query parameter (the list's filters), as strings. */
  filters: Record<string, string>;
}

/** A list's page, size, sort and filters kept in the URL (bookmarkable; back returns to
 * the same page). Changing a filter or the sort goes back to page 1. */
export function useListParams(defaultSort: string | null, defaultPageSize = 50) {
  const [params, setParams] = useSearchParams();

  const value = useMemo<ListParams>(() => {
    const filters: Record<string, string> = {};
    for (const [key, v] of params) {
      if (!["page", "page_size", "sort"].includes(key) && v !== "") filters[key] = v;
    }
    const page = Number(params.get("page") ?? "1");
    const pageSize = Number(params.get("page_size") ?? String(defaultPageSize));
    return {
      page: Number.isInteger(page) && page >= 1 ? page : 1,
      pageSize: Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 500 ? pageSize : defaultPageSize,
      sort: params.get("sort") ?? defaultSort,
      filters,
    };
  }, [params, defaultSort, defaultPageSize]);

  const update = useCallback(
    (changes: Record<string, string | number | null>, keepPage = false) => {
      // The URL as it is now, not the search params of the last render (which
      // react-router would hand a function): a click that lands before the re-render
      // after a change (a debounced search, then "next page" at once) keeps that change.
      const next = new URLSearchParams(window.location.search);
      for (const [key, v] of Object.entries(changes)) {
        if (v === null || v === "") next.delete(key);
        else next.set(key, String(v));
      }
      if (!keepPage && !("page" in changes)) next.delete("page");
      // Rendered at once, not as a transition: the new page's request starts now.
      setParams(next, { replace: false, flushSync: true });
    },
    [setParams],
  );

  return { ...value, update };
}

/** "-hire_date" as mantine-datatable's sort status, and back. */
export function toSortStatus(sort: string | null, fallback: string) {
  const key = sort ?? fallback;
  return key.startsWith("-")
    ? { columnAccessor: key.slice(1), direction: "desc" as const }
    : { columnAccessor: key, direction: "asc" as const };
}

export function fromSortStatus(status: { columnAccessor: string; direction: "asc" | "desc" }): string {
  return status.direction === "desc" ? `-${status.columnAccessor}` : status.columnAccessor;
}
