// A person's card from the offline copy: how to reach them, where they sit, their
// manager and their reports. With the network on, a link to their full record.
import { Anchor, Avatar, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useNetwork } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";

import { useViewer } from "../../auth/AuthContext";
import { BackLink } from "../../components/BackLink";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageLoader } from "../../components/PageLoader";
import { initials } from "../../lib/format";
import { personCard } from "../../offline/directory";
import { offlineQuery } from "../../offline/useOffline";
import { ContactButtons, PersonRow, personName, roleLine } from "./parts";
import classes from "./directory.module.css";

export function PersonPage() {
  const { t } = useTranslation();
  const { id = "" } = useParams();
  const viewer = useViewer();
  const { online } = useNetwork();
  const card = useQuery({ queryKey: ["offline", "card", id], queryFn: () => personCard(id), ...offlineQuery });

  if (card.isPending) return <PageLoader />;
  if (card.isError) return <ErrorMessage error={card.error} title={t("offline.card")} />;
  const back = <BackLink to="/directory" label={t("offline.backToDirectory")} />;
  if (card.data === null) {
    return (
      <Stack maw={560}>
        {back}
        <Text>{t("offline.notInDirectory")}</Text>
      </Stack>
    );
  }
  const { person, manager, reports } = card.data;
  const name = personName(person);
  const details: [string, string | null][] = [
    [t("employees.field.employee_number"), person.person.employee_number],
    [t("employees.field.email"), person.person.email],
    [t("employees.field.phone"), person.person.phone ?? null],
    [t("employees.field.location"), person.person.location ?? null],
  ];
  return (
    <Stack maw={560} gap="md">
      {back}
      <Card withBorder padding="lg" radius="md">
        <Stack gap="md">
          <Group wrap="nowrap">
            <Avatar size={64} radius="xl" color="blue" aria-hidden>
              {initials(person.person.first_name, person.person.last_name)}
            </Avatar>
            <div style={{ minWidth: 0 }}>
              <Title order={1} size="h3">
                {name}
              </Title>
              <Text c="dimmed">{roleLine(person) || t("common.none")}</Text>
            </div>
          </Group>
          <ContactButtons name={name} phone={person.person.phone ?? null} email={person.person.email} />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs" component="dl" style={{ margin: 0 }}>
            {details.map(([label, value]) => (
              <div key={label}>
                <Text component="dt" size="xs" c="dimmed">
                  {label}
                </Text>
                <Text component="dd" m={0} style={{ overflowWrap: "anywhere" }}>
                  {value ?? "—"}
                </Text>
              </div>
            ))}
          </SimpleGrid>
          {online && !viewer.offline && (
            <Anchor component={Link} to={`/employees/${person.person.id}`} className={classes.rowLink}>
              {t("offline.fullRecord")}
            </Anchor>
          )}
        </Stack>
      </Card>
      {manager !== null && (
        <section aria-labelledby="card-manager">
          <Title order={2} size="h5" id="card-manager" mb={4}>
            {t("offline.manager")}
          </Title>
          <PersonRow entry={manager} current={manager.person.id === viewer.employeeId} />
        </section>
      )}
      {reports.length > 0 && (
        <section aria-labelledby="card-reports">
          <Title order={2} size="h5" id="card-reports" mb={4}>
            {t("offline.reports", { count: reports.length })}
          </Title>
          <ul style={{ listStyle: "none", margin: 0, padding: 0 }}>
            {reports.map((entry) => (
              <li key={entry.person.id}>
                <PersonRow entry={entry} current={entry.person.id === viewer.employeeId} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </Stack>
  );
}
