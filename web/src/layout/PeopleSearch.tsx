import { Button, Kbd, Text } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { Spotlight, spotlight } from "@mantine/spotlight";
import { IconSearch } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";

import { api, unwrap } from "../api/client";

/** The top bar's people search (Ctrl/⌘+K anywhere): directory fields only. */
export function PeopleSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [query, setQuery] = useState("");
  const [debounced] = useDebouncedValue(query.trim(), 200);
  const found = useQuery({
    queryKey: ["people-search", debounced],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/employees", {
          params: { query: { q: debounced, page_size: 8, sort: "last_name" } },
        }),
      ),
    enabled: debounced.length > 0,
    placeholderData: keepPreviousData,
  });
  const items = debounced ? (found.data?.items ?? []) : [];

  return (
    <>
      <Button
        variant="default"
        leftSection={<IconSearch size={16} aria-hidden />}
        rightSection={<Kbd size="xs">{t("nav.searchShortcut")}</Kbd>}
        onClick={() => {
          spotlight.open();
        }}
        visibleFrom="sm"
        w={280}
        justify="space-between"
        c="dimmed"
        fw={400}
      >
        {t("nav.searchPeople")}
      </Button>
      <Spotlight.Root query={query} onQueryChange={setQuery} shortcut={["mod + K"]} scrollable>
        <Spotlight.Search
          placeholder={t("nav.searchPeopleHint")}
          aria-label={t("nav.searchPeople")}
          leftSection={<IconSearch size={18} aria-hidden />}
        />
        <Spotlight.ActionsList>
          {items.map((person) => (
            <Spotlight.Action
              key={person.id}
              onClick={() => {
                void navigate(`/employees/${person.id}`);
              }}
            >
              <div>
                <Text size="sm">
                  {person.first_name} {person.last_name}
                </Text>
                <Text size="xs" c="dimmed">
                  {[person.job_title, person.email].filter(Boolean).join(" · ")}
                </Text>
              </div>
            </Spotlight.Action>
          ))}
          {debounced && found.isSuccess && items.length === 0 && (
            <Spotlight.Empty>{t("nav.noPeopleFound")}</Spotlight.Empty>
          )}
        </Spotlight.ActionsList>
      </Spotlight.Root>
    </>
  );
}

export function openPeopleSearch(): void {
  spotlight.open();
}
