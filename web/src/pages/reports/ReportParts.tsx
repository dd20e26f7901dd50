import { Box, Card, Group, Skeleton, Stack, Table, Text, Title } from "@mantine/core";
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

import { ErrorMessage } from "../../components/ErrorMessage";

/** A report's answer: a skeleton while it loads, its error in words, then `children`
 * (dimmed while a changed filter's answer is on its way). */
export function Loaded<T>({
  query,
  children,
}: {
  query: Pick<UseQueryResult<T>, "isPending" | "isError" | "error" | "data" | "isFetching" | "isPlaceholderData">;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  if (query.isPending) {
    return (
      <Stack gap="sm" role="status" aria-label={t("common.loading")}>
        <Skeleton height={32} width="30%" />
        <Skeleton height={240} />
        <Skeleton height={120} />
      </Stack>
    );
  }
  if (query.isError) return <ErrorMessage error={query.error} />;
  return (
    <Box
      aria-busy={query.isPlaceholderData}
      style={{ opacity: query.isPlaceholderData ? 0.6 : 1, transition: "opacity 120ms" }}
    >
      {children(query.data as T)}
    </Box>
  );
}

/** One part of a report: a heading, a line saying what it counts, its content. */
export function ReportCard({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
  return (
    <Card withBorder padding="md" radius="md" component="section" aria-label={title}>
      <Stack gap="sm">
        <div>
          <Title order={2} size="h4">
            {title}
          </Title>
          {hint && (
            <Text size="sm" c="dimmed">
              {hint}
            </Text>
          )}
        </div>
        {children}
      </Stack>
    </Card>
  );
}

/** A chart named for screen readers (`label`: what it shows), with a caption under it;
 * its numbers are in the table that follows it. */
export function ChartFigure({ label, caption, children }: { label: string; caption?: string; children: ReactNode }) {
  return (
    <Box component="figure" m={0}>
      <div role="img" aria-label={label}>
        {children}
      </div>
      {caption && (
        <Text component="figcaption" size="xs" c="dimmed" mt={4}>
          {caption}
        </Text>
      )}
    </Box>
  );
}

/** A big number with a line under it. */
export function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fz={28} fw={700} lh={1.2}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </div>
  );
}

export interface Column<T> {
  title: string;
  numeric?: boolean;
  render: (row: T) => ReactNode;
}

/** The exact numbers of a report, as a table (the chart's accessible form). */
export function NumbersTable<T>({
  label,
  columns,
  rows,
  rowKey,
  minWidth = 320,
  maxHeight,
}: {
  label: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  minWidth?: number;
  /** Scroll inside this height (the header stays), for long lists. */
  maxHeight?: number;
}) {
  return (
    <Table.ScrollContainer minWidth={minWidth} maxHeight={maxHeight}>
      <Table striped withTableBorder fz="sm" aria-label={label} stickyHeader>
        <Table.Thead>
          <Table.Tr>
            {columns.map((column) => (
              <Table.Th key={column.title} ta={column.numeric ? "right" : undefined} scope="col">
                {column.title}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={rowKey(row)}>
              {columns.map((column) => (
                <Table.Td key={column.title} ta={column.numeric ? "right" : undefined}>
                  {column.render(row)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** A row of figures that wraps on a phone. */
export function Figures({ children }: { children: ReactNode }) {
  return (
    <Group gap="xl" align="start" wrap="wrap">
      {children}
    </Group>
  );
}
