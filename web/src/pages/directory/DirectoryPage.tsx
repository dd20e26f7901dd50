// The staff directory on the phone: the offline copy searched as one types, with the
// network on or off.
import { Alert, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useDebouncedValue } from "@mantine/hooks";
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";

import { ErrorMessage } from "../../components/ErrorMessage";
import { formatNumber } from "../../lib/format";
import { savedDirectory, searchDirectory } from "../../offline/directory";
import { offlineQuery, useSyncStatus } from "../../offline/useOffline";
import { PersonRow, SyncLine } from "./parts";
import classes from "./directory.module.css";

const SHOWN = 30;

export function DirectoryPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  // The words live in the page as they are typed and reach the URL once typing pauses
  // (so back returns to the same search), not on every keystroke: a URL change
  // renders the whole app again.
  const [query, setQuery] = useState(() => params.get("q") ?? "");
  const [settled] = useDebouncedValue(query, 400);
  useEffect(() => {
    if ((params.get("q") ?? "") !== settled) setParams(settled === "" ? {} : { q: settled }, { replace: true });
  }, [params, setParams, settled]);
  const deferred = useDeferredValue(query);
  const status = useSyncStatus();

  // The copy in memory once; each search runs over it as the words are typed.
  const saved = useQuery({ queryKey: ["offline", "directory"], queryFn: savedDirectory, ...offlineQuery });
  const entries = saved.data ?? null;
  const matches = useMemo(
    () => (entries === null ? null : searchDirectory(entries, deferred, SHOWN)),
    [entries, deferred],
  );
  // From the keystroke to its rows on screen (User Timing, read by bench/pwa.py).
  const typedAt = useRef<number | null>(null);
  useEffect(() => {
    if (typedAt.current === null || deferred !== query) return;
    performance.measure("shre:directory-shown", { start: typedAt.current, end: performance.now() });
    typedAt.current = null;
  }, [matches, deferred, query]);

  const count = entries === null ? null : entries.length;
  return (
    <Stack gap="sm" maw={720}>
      <Title order={1} size="h2">
        {t("offline.directory")}
      </Title>
      <SyncLine count={count} />
      <TextInput
        type="search"
        size="md"
        value={query}
        onChange={(event) => {
          typedAt.current = performance.now();
          setQuery(event.currentTarget.value);
        }}
        leftSection={<IconSearch size={18} aria-hidden />}
        aria-label={t("offline.searchLabel")}
        placeholder={t("offline.searchHint")}
        autoComplete="off"
        enterKeyHint="search"
      />
      {saved.isError && <ErrorMessage error={saved.error} title={t("offline.directory")} />}
      {count === null && !saved.isPending && !status.running && (
        <Alert color="gray">{t("offline.noCopy")}</Alert>
      )}
      {matches !== null && (
        <>
          <Text size="sm" c="dimmed" aria-live="polite">
            {matches.total > matches.items.length
              ? t("offline.showingSome", { shown: matches.items.length, total: formatNumber(matches.total) })
              : t("offline.found", { count: matches.total })}
          </Text>
          {matches.total === 0 ? (
            <Text py="lg" ta="center">
              {t("offline.nobody", { query: deferred })}
            </Text>
          ) : (
            <ul className={classes.list} aria-label={t("offline.results")} style={{ listStyle: "none", margin: 0, padding: 0 }}>
              {matches.items.map((entry) => (
                <li key={entry.person.id}>
                  <PersonRow entry={entry} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Stack>
  );
}
