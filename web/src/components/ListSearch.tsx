import { TextInput } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { IconSearch } from "@tabler/icons-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import type { useListParams } from "../lib/useListParams";

/** A list's "Search" box: what is typed goes into the URL's `q` once typing pauses for
 * `wait` ms (every keystroke would be a request and a history entry). */
export function ListSearch({
  list,
  placeholder,
  wait,
  width,
}: {
  list: ReturnType<typeof useListParams>;
  placeholder: string;
  wait: number;
  width: number;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState(list.filters.q ?? "");
  const setQuery = useDebouncedCallback((q: string) => {
    list.update({ q: q.trim() || null });
  }, wait);
  return (
    <TextInput
      label={t("common.search")}
      placeholder={placeholder}
      leftSection={<IconSearch size={16} aria-hidden />}
      value={search}
      onChange={(event) => {
        setSearch(event.currentTarget.value);
        setQuery(event.currentTarget.value);
      }}
      w={{ base: "100%", sm: width }}
      type="search"
    />
  );
}
