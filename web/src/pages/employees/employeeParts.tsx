// Pieces the employee page and form share: one record with its ETag, a person's name as
// a link, and a write's error in words.
import { Alert, Anchor, Button, Group, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { describeError } from "../../components/ErrorMessage";
import { fullName, type Employee } from "../../lib/queries";

export type Revealable = "ssn" | "bank_account";
/** A revealed value (null: the API returned none, "not visible to you"); absent: hidden. */
export type Revealed = Partial<Record<Revealable, string | null>>;

/** `revealed` without `field`: hidden again. */
export function hidden(revealed: Revealed, field: Revealable): Revealed {
  return Object.fromEntries(Object.entries(revealed).filter(([key]) => key !== field));
}

export interface Tagged {
  record: Employee;
  etag: string | null;
}

/** One employee as the caller may see it, and its ETag (for If-Match). Held in memory
 * only while a page shows it (gcTime 0): sensitive values do not linger. */
export function useEmployee(id: string, fields?: string) {
  return useQuery({
    queryKey: fields ? ["employee", id, { fields }] : ["employee", id],
    queryFn: async (): Promise<Tagged> => {
      const result = await api.GET("/api/v1/employees/{employee_id}", {
        params: { path: { employee_id: id }, query: fields ? { fields } : {} },
      });
      return { record: unwrap(result), etag: result.response.headers.get("ETag") };
    },
    gcTime: 0,
    staleTime: 0,
  });
}

/** A person's name (fetched by id, shared with EmployeePicker's cache) linking to their page. */
export function PersonLink({ id }: { id: string }) {
  const person = useQuery({
    queryKey: ["employee-name", id],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/employees/{employee_id}", { params: { path: { employee_id: id } } })),
    staleTime: 300_000,
    // Only the name is wanted: drop anything else the record carries.
    select: (data) => fullName(data),
  });
  return (
    <Anchor component={Link} to={`/employees/${id}`} size="sm" className="touch-link">
      {person.data ?? "…"}
    </Anchor>
  );
}

/** A write's error in words: the crypto-shredded record (410) has its own message. */
export function writeErrorText(error: unknown, t: TFunction): string {
  if (error instanceof ApiError && error.status === 410) return t("employees.keyDestroyed");
  return describeError(error, t);
}

export function isStale(error: unknown): boolean {
  return error instanceof ApiError && error.status === 412;
}

/** "Someone changed this record, reload" with the way to do it. */
export function ConflictAlert({ onReload, reloading }: { onReload: () => void; reloading?: boolean }) {
  const { t } = useTranslation();
  return (
    <Alert color="orange" icon={<IconAlertTriangle aria-hidden />} title={t("employees.form.conflictTitle")} role="alert">
      <Text size="sm">{t("common.conflictStale")}</Text>
      <Group mt="sm">
        <Button size="xs" variant="white" color="orange" onClick={onReload} loading={reloading}>
          {t("common.reload")}
        </Button>
      </Group>
    </Alert>
  );
}
