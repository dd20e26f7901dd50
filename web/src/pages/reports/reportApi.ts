// The analytics API (`/api/v1/analytics/*`) as query hooks: one query key per report and
// filter, shared by the Reports page and the dashboard.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];
export type Headcount = Schemas["Headcount"];
export type Turnover = Schemas["Turnover"];
export type Tenure = Schemas["Tenure"];
export type TenureBucket = Schemas["TenureBucket"];
export type SalaryBands = Schemas["SalaryBands"];
export type PayBand = Schemas["PayBand"];
export type DocumentCompliance = Schemas["DocumentCompliance"];
export type GroupBy = SalaryBands["group_by"];

/** A series' months (empty: the API's default, the twelve months to this one) and its
 * department (a subtree; empty: everyone the caller may see). */
export interface PeriodFilter {
  from?: string | null;
  to?: string | null;
  department_id?: string | null;
}

export interface DepartmentFilter {
  department_id?: string | null;
}

// How many missing documents the page lists (the file has them all).
export const MISSING_SHOWN = 50;

const STALE = 60_000;

export function useHeadcount(filter: PeriodFilter) {
  const query = { from: filter.from ?? null, to: filter.to ?? null, department_id: filter.department_id ?? null };
  return useQuery({
    queryKey: ["analytics", "headcount", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/analytics/headcount", { params: { query } })),
    placeholderData: keepPreviousData,
    staleTime: STALE,
  });
}

export function useTurnover(filter: PeriodFilter) {
  const query = { from: filter.from ?? null, to: filter.to ?? null, department_id: filter.department_id ?? null };
  return useQuery({
    queryKey: ["analytics", "turnover", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/analytics/turnover", { params: { query } })),
    placeholderData: keepPreviousData,
    staleTime: STALE,
  });
}

export function useTenure(filter: DepartmentFilter) {
  const query = { department_id: filter.department_id ?? null };
  return useQuery({
    queryKey: ["analytics", "tenure", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/analytics/tenure", { params: { query } })),
    placeholderData: keepPreviousData,
    staleTime: STALE,
  });
}

export function useSalaryBands(filter: DepartmentFilter & { group_by: GroupBy }) {
  const query = { department_id: filter.department_id ?? null, group_by: filter.group_by };
  return useQuery({
    queryKey: ["analytics", "salary-bands", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/analytics/salary-bands", { params: { query } })),
    placeholderData: keepPreviousData,
    staleTime: STALE,
  });
}

export function useDocumentCompliance(filter: DepartmentFilter) {
  const query = { department_id: filter.department_id ?? null, limit: MISSING_SHOWN };
  return useQuery({
    queryKey: ["analytics", "documents", query],
    queryFn: async () => unwrap(await api.GET("/api/v1/analytics/documents", { params: { query } })),
    placeholderData: keepPreviousData,
    staleTime: STALE,
  });
}
