// Data subject rights on a person's page (hr, admin): the legal hold and erasure shown in
// the header card, and the dialogs that place a hold or erase. The API is the authority:
// its refusals (409 legal hold / not terminated, 503 erasure incomplete) are said in words.
import { Alert, Badge, Button, Checkbox, Group, List, Modal, Stack, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconAlertTriangle, IconGavel, IconShieldX } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { formatDate, formatDateTime } from "../../lib/format";
import type { Employee } from "../../lib/queries";
import { rightsErrorText } from "./rights";

const REASON_MAX = 500;

/** After a change of the rights state: the record, its name everywhere, its documents. */
function useRefresh(id: string) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ["employee", id] }),
      client.invalidateQueries({ queryKey: ["employee-name", id] }),
      client.invalidateQueries({ queryKey: ["employee-history", id] }),
      client.invalidateQueries({ queryKey: ["employees"] }),
      client.invalidateQueries({ queryKey: ["documents"] }),
    ]);
}

/** The legal hold (badge, since when, why) and the erasure state, in words and icons. */
export function RightsBadges({ record }: { record: Employee }) {
  const { t } = useTranslation();
  const erased = Boolean(record.erasure_requested_at) || Boolean(record.erased_at);
  return (
    <>
      {record.legal_hold && (
        <Badge variant="light" color="orange" leftSection={<IconGavel size={12} aria-hidden />} style={{ minWidth: "max-content" }}>
          {t("employees.rights.legalHold")}
        </Badge>
      )}
      {erased && (
        <Badge variant="filled" color="dark" leftSection={<IconShieldX size={12} aria-hidden />} style={{ minWidth: "max-content" }}>
          {t("employees.rights.erased")}
        </Badge>
      )}
    </>
  );
}

/** The sentences under the name: the hold's since-date and reason, the erasure's state. */
export function RightsNotice({ record, onFinish }: { record: Employee; onFinish?: () => void }) {
  const { t } = useTranslation();
  return (
    <>
      {record.legal_hold && (
        <Text size="sm">
          <IconGavel size={14} aria-hidden />{" "}
          {t("employees.rights.legalHoldSince", {
            date: formatDate(record.legal_hold.since),
            reason: record.legal_hold.reason,
          })}
        </Text>
      )}
      {record.erased_at ? (
        <Text size="sm">
          <IconShieldX size={14} aria-hidden /> {t("employees.rights.erasedOn", { date: formatDateTime(record.erased_at) })}
          {record.erasure_reason ? ` ${t("employees.rights.erasureReason", { reason: record.erasure_reason })}` : ""}
        </Text>
      ) : (
        record.erasure_requested_at && (
          <Group gap="xs">
            <Text size="sm">
              <IconShieldX size={14} aria-hidden />{" "}
              {t("employees.rights.erasurePending", { date: formatDateTime(record.erasure_requested_at) })}
            </Text>
            {onFinish && (
              <Button size="compact-sm" variant="light" onClick={onFinish}>
                {t("employees.rights.finishErasure")}
              </Button>
            )}
          </Group>
        )
      )}
    </>
  );
}

function ReasonField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error: string | null;
}) {
  const { t } = useTranslation();
  return (
    <Textarea
      label={t("employees.rights.reason")}
      description={t("employees.rights.reasonHint")}
      value={value}
      onChange={(event) => {
        onChange(event.currentTarget.value);
      }}
      maxLength={REASON_MAX}
      required
      withAsterisk
      autosize
      minRows={2}
      error={error}
      data-autofocus
    />
  );
}

function Refusal({ error }: { error: unknown }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={t("common.errorTitle")} role="alert">
      {rightsErrorText(error, t)}
    </Alert>
  );
}

/** "Place legal hold": asks why; while it is on, nothing of the person is deleted. With
 * `current` (the reason of the hold that is on): changes that reason, the hold staying. */
export function LegalHoldModal({
  id,
  name,
  current,
  onClose,
}: {
  id: string;
  name: string;
  current?: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const refresh = useRefresh(id);
  const editing = current !== undefined;
  const [reason, setReason] = useState(current ?? "");
  const [missing, setMissing] = useState(false);
  const place = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT("/api/v1/employees/{employee_id}/legal-hold", {
          params: { path: { employee_id: id } },
          body: { reason: reason.trim() },
        }),
      ),
    onSuccess: async () => {
      const message = editing ? "employees.rights.holdUpdated" : "employees.rights.holdPlaced";
      notifications.show({ color: "green", message: t(message, { name }) });
      onClose();
      await refresh();
    },
  });
  return (
    <Modal
      opened
      onClose={onClose}
      title={t(editing ? "employees.rights.editHoldTitle" : "employees.rights.placeHoldTitle", { name })}
      centered
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!reason.trim()) {
            setMissing(true);
            return;
          }
          place.mutate();
        }}
        noValidate
      >
        <Stack>
          <Text size="sm">{t("employees.rights.placeHoldText")}</Text>
          <ReasonField
            value={reason}
            onChange={(value) => {
              setReason(value);
              setMissing(false);
            }}
            error={missing ? t("employees.rights.reasonRequired") : null}
          />
          {place.isError && <Refusal error={place.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" loading={place.isPending} leftSection={<IconGavel size={16} aria-hidden />}>
              {t(editing ? "employees.rights.saveHoldReason" : "employees.rights.placeHold")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** "Release legal hold", after saying what that allows again. */
export function ReleaseHoldModal({ id, name, onClose }: { id: string; name: string; onClose: () => void }) {
  const { t } = useTranslation();
  const refresh = useRefresh(id);
  const release = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.DELETE("/api/v1/employees/{employee_id}/legal-hold", {
          params: { path: { employee_id: id } },
        }),
      ),
    onSuccess: async () => {
      notifications.show({ color: "green", message: t("employees.rights.holdReleased", { name }) });
      onClose();
      await refresh();
    },
  });
  return (
    <Modal opened onClose={onClose} title={t("employees.rights.releaseTitle", { name })} centered>
      <Stack>
        <Text size="sm">{t("employees.rights.releaseText")}</Text>
        {release.isError && <Refusal error={release.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("common.cancel")}
          </Button>
          <Button
            color="orange"
            loading={release.isPending}
            onClick={() => {
              release.mutate();
            }}
            data-autofocus
          >
            {t("employees.rights.releaseHold")}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** "Erase": says exactly what happens, asks why and for a confirmation. Also finishes an
 * erasure a storage backend interrupted (`finish`: the reason given then is sent again). */
export function EraseModal({
  id,
  name,
  finish,
  onClose,
}: {
  id: string;
  name: string;
  /** The reason of an erasure already begun: only "finish" is asked. */
  finish?: string | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const refresh = useRefresh(id);
  const finishing = finish !== undefined;
  const [reason, setReason] = useState(finish ?? "");
  const [missing, setMissing] = useState(false);
  const [understood, setUnderstood] = useState(finishing);
  const erase = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/v1/employees/{employee_id}/erase", {
          params: { path: { employee_id: id } },
          body: { reason: reason.trim() },
        }),
      ),
    onSuccess: async (done) => {
      notifications.show({
        color: "green",
        message: done.state === "erased" ? t("employees.rights.erasedToast") : t("employees.rights.erasurePendingToast"),
      });
      onClose();
      await refresh();
    },
    onError: async () => {
      // A 503 after the erasure began changed the record: show what it is now.
      await refresh();
    },
  });
  return (
    <Modal opened onClose={onClose} title={t("employees.rights.eraseTitle", { name })} centered size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!reason.trim()) {
            setMissing(true);
            return;
          }
          if (understood) erase.mutate();
        }}
        noValidate
      >
        <Stack>
          <Text size="sm">{t("employees.rights.eraseIntro")}</Text>
          <List size="sm" spacing={4}>
            <List.Item>{t("employees.rights.eraseKey")}</List.Item>
            <List.Item>{t("employees.rights.eraseDocuments")}</List.Item>
            <List.Item>{t("employees.rights.erasePseudonym")}</List.Item>
            <List.Item>{t("employees.rights.eraseKept")}</List.Item>
          </List>
          <Text size="sm" fw={700}>
            {t("employees.rights.eraseFinal")}
          </Text>
          {!finishing && (
            <>
              <ReasonField
                value={reason}
                onChange={(value) => {
                  setReason(value);
                  setMissing(false);
                }}
                error={missing ? t("employees.rights.reasonRequired") : null}
              />
              <Checkbox
                label={t("employees.rights.eraseConfirm")}
                checked={understood}
                onChange={(event) => {
                  setUnderstood(event.currentTarget.checked);
                }}
              />
            </>
          )}
          {erase.isError && <Refusal error={erase.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" color="red" loading={erase.isPending} disabled={!understood}>
              {finishing ? t("employees.rights.finishErasure") : t("employees.rights.eraseSubmit")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
