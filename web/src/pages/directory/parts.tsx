// Pieces the phone pages share: a person as a tappable row, the call and mail buttons,
// and the line that says how fresh the offline copy is.
import { ActionIcon, Alert, Avatar, Group, Progress, Stack, Text, Title, UnstyledButton } from "@mantine/core";
import { IconMail, IconPhone } from "@tabler/icons-react";
import { memo, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { describeError } from "../../components/ErrorMessage";
import { formatDateTime, formatNumber, initials } from "../../lib/format";
import type { Searchable } from "../../offline/search";
import { useSyncStatus } from "../../offline/useOffline";
import classes from "./directory.module.css";

export function personName(entry: Searchable): string {
  return `${entry.person.first_name} ${entry.person.last_name}`;
}

/** Job title and department, as one line. */
export function roleLine(entry: Searchable): string {
  return [entry.person.job_title, entry.department].filter(Boolean).join(" · ");
}

export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, "")}`;
}

/** One person: the row opens their card; call and mail act at once. (Memoised: a row
 * that stays in the results as the search narrows is not rendered again.) */
export const PersonRow = memo(function PersonRow({
  entry,
  current = false,
  actions = true,
}: {
  entry: Searchable;
  current?: boolean;
  actions?: boolean;
}) {
  const { t } = useTranslation();
  const { person } = entry;
  const name = personName(entry);
  return (
    <Group className={classes.row} wrap="nowrap" gap="xs" data-current={current || undefined}>
      <UnstyledButton component={Link} to={`/directory/${person.id}`} className={classes.rowLink}>
        <Group wrap="nowrap" gap="sm">
          <Avatar radius="xl" color="blue" aria-hidden>
            {initials(person.first_name, person.last_name)}
          </Avatar>
          <div className={classes.rowText}>
            <Text fw={600} truncate>
              {name}
              {current && (
                <Text span c="dimmed" fw={400}>
                  {" "}
                  ({t("offline.you")})
                </Text>
              )}
            </Text>
            <Text size="sm" c="dimmed" truncate>
              {roleLine(entry) || person.email}
            </Text>
          </div>
        </Group>
      </UnstyledButton>
      {actions && !current && <ContactButtons name={name} phone={person.phone ?? null} email={person.email} compact />}
    </Group>
  );
});

export function ContactButtons({
  name,
  phone,
  email,
  compact = false,
}: {
  name: string;
  phone: string | null;
  email: string;
  compact?: boolean;
}) {
  const { t } = useTranslation();
  if (compact) {
    return (
      <Group gap={4} wrap="nowrap">
        {phone !== null && (
          <ActionIcon component="a" href={telHref(phone)} variant="light" size={44} aria-label={t("offline.callName", { name })}>
            <IconPhone size={20} aria-hidden />
          </ActionIcon>
        )}
        <ActionIcon component="a" href={`mailto:${email}`} variant="light" size={44} aria-label={t("offline.mailName", { name })}>
          <IconMail size={20} aria-hidden />
        </ActionIcon>
      </Group>
    );
  }
  return (
    <Group grow gap="sm">
      {phone !== null && (
        <UnstyledButton component="a" href={telHref(phone)} className={classes.contact} aria-label={t("offline.callName", { name })}>
          <IconPhone size={22} aria-hidden />
          <span>{t("offline.call")}</span>
        </UnstyledButton>
      )}
      <UnstyledButton component="a" href={`mailto:${email}`} className={classes.contact} aria-label={t("offline.mailName", { name })}>
        <IconMail size={22} aria-hidden />
        <span>{t("offline.mail")}</span>
      </UnstyledButton>
    </Group>
  );
}

/** How fresh the offline copy is, with the sync's progress while it runs. */
export function SyncLine({ count }: { count: number | null }) {
  const { t } = useTranslation();
  const status = useSyncStatus();
  let line: ReactNode;
  if (status.running && status.total !== null && status.total > 0) {
    const percent = Math.round((status.done / status.total) * 100);
    return (
      <Stack gap={4} role="status" aria-live="polite">
        <Text size="sm" id="sync-label">
          {t("offline.syncing", { done: formatNumber(status.done), total: formatNumber(status.total) })}
        </Text>
        <Progress value={percent} aria-labelledby="sync-label" animated />
      </Stack>
    );
  }
  if (status.error !== null) {
    line = t("offline.syncFailed", { reason: describeError(status.error, t) });
  } else if (count !== null && status.syncedAt !== null) {
    line = t("offline.saved", { count, when: formatDateTime(new Date(status.syncedAt).toISOString()) });
  } else if (count !== null) {
    line = t("offline.savedCount", { count });
  } else {
    line = t("offline.notSaved");
  }
  return (
    <Text size="sm" c="dimmed" role="status" aria-live="polite" data-testid="sync-line">
      {line}
    </Text>
  );
}

/** A phone page that has nothing to show yet, and says why. */
export function PageNote({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack maw={720}>
      <Title order={1} size="h2">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

/** For an account that is not an employee's: no team, no own documents. */
export function NoRecord({ title }: { title: string }) {
  const { t } = useTranslation();
  return (
    <PageNote title={title}>
      <Alert color="gray">{t("offline.noRecord")}</Alert>
    </PageNote>
  );
}
