// "My team" as an org chart from the offline copy: my manager, me among my peers, and
// the people below me, each opening further down on a tap. Works with the network off.
import { ActionIcon, Alert, Group, Stack, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { useViewer } from "../../auth/AuthContext";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageLoader } from "../../components/PageLoader";
import { personCard } from "../../offline/directory";
import type { Searchable } from "../../offline/search";
import { offlineQuery } from "../../offline/useOffline";
import { NoRecord, PageNote, PersonRow, personName, SyncLine } from "./parts";

export function TeamPage() {
  const { t } = useTranslation();
  const { employeeId } = useViewer();
  const mine = useQuery({
    queryKey: ["offline", "card", employeeId],
    queryFn: () => personCard(employeeId ?? ""),
    enabled: employeeId !== null,
    ...offlineQuery,
  });
  const managerId = mine.data?.manager?.person.id ?? null;
  const peers = useQuery({
    queryKey: ["offline", "card", managerId],
    queryFn: () => personCard(managerId ?? ""),
    enabled: managerId !== null,
    ...offlineQuery,
  });

  if (employeeId === null) return <NoRecord title={t("offline.team")} />;
  if (mine.isPending || (managerId !== null && peers.isPending)) return <PageLoader />;
  if (mine.isError) return <ErrorMessage error={mine.error} title={t("offline.team")} />;
  if (mine.data === null) {
    return (
      <PageNote title={t("offline.team")}>
        <SyncLine count={null} />
        <Alert color="gray">{t("offline.teamNotSaved")}</Alert>
      </PageNote>
    );
  }
  const me = mine.data.person;
  const around = peers.data?.reports ?? [me];
  return (
    <Stack maw={720} gap="md">
      <Title order={1} size="h2">
        {t("offline.team")}
      </Title>
      {mine.data.manager !== null && (
        <section aria-labelledby="team-manager">
          <Title order={2} size="h5" id="team-manager" mb={4}>
            {t("offline.manager")}
          </Title>
          <PersonRow entry={mine.data.manager} />
        </section>
      )}
      <section aria-labelledby="team-peers">
        <Title order={2} size="h5" id="team-peers" mb={4}>
          {around.length <= 1 ? t("offline.youAlone") : t("offline.peers", { count: around.length - 1 })}
        </Title>
        <ul role="tree" aria-labelledby="team-peers" style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {around.map((entry) => (
            <TeamNode key={entry.person.id} entry={entry} me={employeeId} open={entry.person.id === employeeId} />
          ))}
        </ul>
      </section>
    </Stack>
  );
}

/** One person in the chart; their reports (if any) open beneath them. */
function TeamNode({ entry, me, open = false, depth = 0 }: { entry: Searchable; me: string; open?: boolean; depth?: number }) {
  const { t } = useTranslation();
  const [opened, { toggle }] = useDisclosure(open);
  const below = useQuery({
    queryKey: ["offline", "card", entry.person.id],
    queryFn: () => personCard(entry.person.id),
    ...offlineQuery,
  });
  const reports = below.data?.reports ?? [];
  const name = personName(entry);
  return (
    <li role="treeitem" aria-expanded={reports.length > 0 ? opened : undefined} aria-selected={false}>
      <Group gap={0} wrap="nowrap" pl={depth * 20}>
        <div style={{ flex: 1, minWidth: 0 }}>
          <PersonRow entry={entry} current={entry.person.id === me} />
        </div>
        {reports.length > 0 && (
          <ActionIcon
            variant="subtle"
            size={44}
            onClick={toggle}
            aria-label={opened ? t("offline.hideReports", { name }) : t("offline.showReports", { name, count: reports.length })}
          >
            {opened ? <IconChevronDown size={18} aria-hidden /> : <IconChevronRight size={18} aria-hidden />}
          </ActionIcon>
        )}
      </Group>
      {opened && reports.length > 0 && (
        <ul role="group" style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {reports.map((report) => (
            <TeamNode key={report.person.id} entry={report} me={me} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}
