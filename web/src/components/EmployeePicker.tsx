import { Select, type SelectProps } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../api/client";
import { fullName } from "../lib/queries";

type Props = Omit<SelectProps, "data" | "value" | "onChange" | "searchValue" | "onSearchChange"> & {
  value: string | null;
  onChange: (id: string | null) => void;
};

/** Pick an employee by typing part of a name, email or number: the server searches
 * (no list of everyone is loaded). */
export function EmployeePicker({ value, onChange, ...props }: Props) {
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search.trim(), 200);

  const selected = useQuery({
    queryKey: ["employee-name", value],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/employees/{employee_id}", { params: { path: { employee_id: value ?? "" } } })),
    enabled: value !== null,
    staleTime: 300_000,
  });
  const found = useQuery({
    queryKey: ["employee-picker", debounced],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/employees", {
          params: { query: { q: debounced || null, page_size: 20, sort: "last_name" } },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });

  const options = new Map<string, string>();
  if (value !== null && selected.data) options.set(value, fullName(selected.data));
  for (const person of found.data?.items ?? []) {
    options.set(person.id, `${fullName(person)}${person.employee_number ? ` (${person.employee_number})` : ""}`);
  }

  return (
    <Select
      {...props}
      searchable
      clearable
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      data={[...options].map(([id, label]) => ({ value: id, label }))}
      nothingFoundMessage={found.isFetching ? "…" : undefined}
    />
  );
}
