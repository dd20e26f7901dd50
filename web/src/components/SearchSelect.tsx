import { Select, type SelectProps } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

export interface Option {
  value: string;
  label: string;
}

export type SearchSelectProps = Omit<
  SelectProps,
  "data" | "value" | "onChange" | "searchValue" | "onSearchChange"
> & {
  value: string | null;
  onChange: (id: string | null) => void;
};

/** A select whose options the server finds as the user types (no list of everything is
 * loaded): `search` asks for the options matching the words (null: none typed); the
 * chosen value keeps its label (`selectedLabel`; undefined: not shown until known). */
export function SearchSelect({
  name,
  search,
  selectedLabel,
  value,
  onChange,
  ...props
}: SearchSelectProps & {
  name: string;
  search: (words: string | null) => Promise<Option[]>;
  selectedLabel: string | undefined;
}) {
  const [typed, setTyped] = useState("");
  const [debounced] = useDebouncedValue(typed.trim(), 200);
  const found = useQuery({
    queryKey: [name, debounced],
    queryFn: () => search(debounced || null),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const options = new Map<string, string>();
  if (value !== null && selectedLabel !== undefined) options.set(value, selectedLabel);
  for (const option of found.data ?? []) options.set(option.value, option.label);
  return (
    <Select
      {...props}
      searchable
      clearable
      value={value}
      onChange={onChange}
      searchValue={typed}
      onSearchChange={setTyped}
      filter={({ options: all }) => all}
      data={[...options].map(([id, label]) => ({ value: id, label }))}
      nothingFoundMessage={found.isFetching ? "…" : undefined}
    />
  );
}
