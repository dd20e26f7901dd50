import { Select, type SelectProps } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { useUser } from "./users";

type Props = Omit<SelectProps, "data" | "value" | "onChange" | "searchValue" | "onSearchChange"> & {
  value: string | null;
  onChange: (id: string | null) => void;
};

/** Pick a user account by typing part of an email or name (the server searches). */
export function UserSelect({ value, onChange, ...props }: Props) {
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search.trim(), 200);
  const selected = useUser(value);
  const found = useQuery({
    queryKey: ["user-picker", debounced],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/users", { params: { query: { q: debounced || null, page_size: 20, sort: "full_name" } } })),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const options = new Map<string, string>();
  if (value !== null) options.set(value, selected.data ? `${selected.data.full_name} (${selected.data.email})` : value);
  for (const user of found.data?.items ?? []) options.set(user.id, `${user.full_name} (${user.email})`);
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
