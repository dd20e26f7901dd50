// Server state shared by several pages.
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type Department = components["schemas"]["DepartmentOut"];
export type Employee = components["schemas"]["EmployeeOut"];
export type DocumentRecord = components["schemas"]["DocumentOut"];
export type User = components["schemas"]["UserOut"];

/** Every department the caller may see (organisations have tens, not thousands). */
export function useDepartments() {
  return useQuery({
    queryKey: ["departments", "all"],
    queryFn: async () => {
      const all: Department[] = [];
      for (let page = 1; ; page += 1) {
        const data = unwrap(
          await api.GET("/api/v1/departments", { params: { query: { page, page_size: 500, sort: "name" } } }),
        );
        all.push(...data.items);
        if (all.length >= data.total || data.items.length === 0) return all;
      }
    },
    staleTime: 60_000,
  });
}

export function departmentNames(departments: Department[] | undefined): Map<string, string> {
  return new Map((departments ?? []).map((d) => [d.id, d.name]));
}

export function fullName(person: { first_name?: string | null; last_name?: string | null }): string {
  return [person.first_name, person.last_name].filter(Boolean).join(" ");
}
