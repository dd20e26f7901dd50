import { Anchor, Card, Group, Skeleton, Stack, Text, Title } from "@mantine/core";
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { ErrorMessage } from "../../components/ErrorMessage";
import { CardBoundary } from "./CardBoundary";

/** A dashboard card: its title, a skeleton while `query` loads, its error in words. */
export function DashCard<T>({
  title,
  query,
  link,
  children,
}: {
  title: string;
  query: Pick<UseQueryResult<T>, "isPending" | "isError" | "error" | "data">;
  link?: { to: string; label: string };
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Card withBorder padding="md" radius="md" component="section" aria-label={title}>
      <Stack gap="xs" h="100%">
        <Group justify="space-between" wrap="nowrap" align="start">
          <Title order={2} size="h5">
            {title}
          </Title>
          {link && (
            <Anchor component={Link} to={link.to} size="sm" style={{ whiteSpace: "nowrap" }}>
              {link.label}
            </Anchor>
          )}
        </Group>
        <CardBoundary message={t("dashboard.cardFailed")}>
          {query.isPending ? (
            <Stack gap={6} role="status" aria-label={t("common.loading")}>
              <Skeleton height={28} width="40%" />
              <Skeleton height={12} width="70%" />
            </Stack>
          ) : query.isError ? (
            <ErrorMessage error={query.error} />
          ) : (
            children(query.data as T)
          )}
        </CardBoundary>
      </Stack>
    </Card>
  );
}

/** A big number with a line under it. */
export function Figure({ value, hint }: { value: string; hint?: string }) {
  return (
    <div>
      <Text fz={32} fw={700} lh={1.1}>
        {value}
      </Text>
      {hint && (
        <Text size="sm" c="dimmed">
          {hint}
        </Text>
      )}
    </div>
  );
}
