import { Alert, Button, Group, Modal, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { formatDate, today } from "../../lib/format";
import { ConflictAlert, isStale, writeErrorText, type Tagged } from "./employeeParts";

/** Terminate with a date (default today) and a reason, after saying what will happen.
 * Today: DELETE (the API's terminate, which dates it today); another date: a PATCH of
 * status, termination date and reason, effective that day. Both with If-Match. */
export function TerminateModal({
  tagged,
  name,
  onClose,
  onReload,
}: {
  tagged: Tagged;
  name: string;
  onClose: () => void;
  onReload: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [date, setDate] = useState(today());
  const [reason, setReason] = useState("");
  const id = tagged.record.id;
  const header = tagged.etag ? { "if-match": tagged.etag } : {};

  const terminate = useMutation({
    mutationFn: async () => {
      const why = reason.trim() || null;
      if (date === today()) {
        unwrap(
          await api.DELETE("/api/v1/employees/{employee_id}", {
            params: { path: { employee_id: id }, query: why === null ? {} : { reason: why }, header },
          }),
        );
      } else {
        unwrap(
          await api.PATCH("/api/v1/employees/{employee_id}", {
            params: { path: { employee_id: id }, header },
            body: { status: "terminated", termination_date: date, effective_date: date, ...(why === null ? {} : { termination_reason: why }) },
          }),
        );
      }
    },
    onSuccess: async () => {
      notifications.show({ color: "green", message: t("employees.terminated", { name, date: formatDate(date) }) });
      onClose();
      await Promise.all([
        client.invalidateQueries({ queryKey: ["employee", id] }),
        client.invalidateQueries({ queryKey: ["employee-history", id] }),
        client.invalidateQueries({ queryKey: ["employees"] }),
      ]);
    },
  });

  const validDate = /^\d{4}-\d{2}-\d{2}$/.test(date);

  return (
    <Modal opened onClose={onClose} title={t("employees.terminateTitle", { name })} centered>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (validDate) terminate.mutate();
        }}
      >
        <Stack>
          <Text size="sm">{t("employees.terminateText", { name })}</Text>
          <TextInput
            type="date"
            label={t("employees.field.termination_date")}
            description={t("employees.terminationDateHint")}
            value={date}
            onChange={(event) => {
              setDate(event.currentTarget.value);
            }}
            error={validDate ? undefined : t("employees.validation.date")}
            required
            data-autofocus
          />
          <Textarea
            label={t("employees.terminationReason")}
            description={t("employees.terminationReasonHint")}
            value={reason}
            onChange={(event) => {
              setReason(event.currentTarget.value);
            }}
            maxLength={2000}
            autosize
            minRows={2}
          />
          {terminate.isError &&
            (isStale(terminate.error) ? (
              <ConflictAlert
                onReload={() => {
                  terminate.reset();
                  onReload();
                }}
              />
            ) : (
              <Alert color="red" role="alert" title={t("common.errorTitle")}>
                {writeErrorText(terminate.error, t)}
              </Alert>
            ))}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" color="red" loading={terminate.isPending} disabled={!validDate}>
              {t("employees.terminate")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
