import { Alert, Button, Group, Modal, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useQueryClient } from "@tanstack/react-query";
import { useState, type Dispatch, type SetStateAction } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { mapFieldErrors, PHONE, selfServiceBody, type SelfServiceValues } from "./employeeForm";
import { ConflictAlert, hidden, isStale, writeErrorText, type Revealed, type Tagged } from "./employeeParts";

/** An employee's own phone, home address and bank account. The address and account are
 * filled in only when already shown on the page; empty means "unchanged". A change of the
 * phone alone shows at once (optimistic); anything else waits for the server. */
export function SelfServiceModal({
  id,
  tagged,
  addressShown,
  revealed,
  onRevealed,
  onClose,
  onReload,
}: {
  id: string;
  tagged: Tagged;
  addressShown: boolean;
  revealed: Revealed;
  onRevealed: Dispatch<SetStateAction<Revealed>>;
  onClose: () => void;
  onReload: () => Promise<Tagged | undefined>;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const known = {
    home_address: addressShown,
    bank_account: typeof revealed.bank_account === "string",
  };
  const initialFrom = (record: Tagged["record"]): SelfServiceValues => ({
    phone: record.phone ?? "",
    home_address: known.home_address ? (record.home_address ?? "") : "",
    bank_account: known.bank_account ? (revealed.bank_account ?? "") : "",
  });
  const [initial, setInitial] = useState(() => initialFrom(tagged.record));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const form = useForm<SelfServiceValues>({
    mode: "controlled",
    initialValues: initial,
    validateInputOnBlur: true,
    validate: {
      phone: (value) => (PHONE.test(value.trim()) && value.trim().length <= 40 ? null : t("employees.validation.phone")),
    },
  });

  const save = async (values: SelfServiceValues) => {
    const body = selfServiceBody(initial, values, known);
    if (Object.keys(body).length === 0) {
      notifications.show({ message: t("employees.form.nothingChanged") });
      onClose();
      return;
    }
    setBusy(true);
    setError(null);
    const key = ["employee", id];
    const before = client.getQueryData<Tagged>(key);
    const phoneOnly = Object.keys(body).length === 1 && "phone" in body;
    if (phoneOnly && before) {
      client.setQueryData<Tagged>(key, { ...before, record: { ...before.record, phone: body.phone ?? null } });
    }
    try {
      const result = await api.PATCH("/api/v1/employees/{employee_id}", {
        params: { path: { employee_id: id }, header: tagged.etag ? { "if-match": tagged.etag } : {} },
        body,
      });
      const record = unwrap(result);
      client.setQueryData<Tagged>(key, { record, etag: result.response.headers.get("ETag") });
      if ("bank_account" in body) {
        // What was typed is now the account; shown only if it was shown before.
        onRevealed((current) =>
          known.bank_account ? { ...current, bank_account: body.bank_account ?? null } : hidden(current, "bank_account"),
        );
      }
      void client.invalidateQueries({ queryKey: ["employees"] });
      notifications.show({ color: "green", message: t("employees.self.saved") });
      onClose();
    } catch (caught) {
      if (phoneOnly && before) client.setQueryData<Tagged>(key, before);
      if (caught instanceof ApiError && caught.status === 422) {
        const { errors, unmatched } = mapFieldErrors(caught.fields);
        form.setErrors(errors);
        if (unmatched.length > 0 || Object.keys(errors).length === 0) setError(caught);
      } else {
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  };

  const reload = async () => {
    const fresh = await onReload();
    if (fresh) {
      const values = initialFrom(fresh.record);
      setInitial(values);
      form.setValues(values);
      form.resetDirty(values);
    }
    setError(null);
  };

  return (
    <Modal opened onClose={onClose} title={t("employees.selfServiceTitle")} centered>
      <form onSubmit={form.onSubmit((values) => void save(values))}>
        <Stack>
          <Text size="sm" c="dimmed">
            {t("employees.selfServiceHint")}
          </Text>
          <TextInput
            label={t("employees.field.phone")}
            description={t("employees.self.phoneHint")}
            type="tel"
            autoComplete="tel"
            data-autofocus
            {...form.getInputProps("phone")}
          />
          <Textarea
            label={t("employees.field.home_address")}
            description={known.home_address ? undefined : t("employees.self.addressHint")}
            autosize
            minRows={2}
            maxLength={2000}
            {...form.getInputProps("home_address")}
          />
          <TextInput
            label={t("employees.field.bank_account")}
            description={known.bank_account ? undefined : t("employees.self.bankHint")}
            autoComplete="off"
            maxLength={64}
            {...form.getInputProps("bank_account")}
          />
          {error !== null &&
            (isStale(error) ? (
              <ConflictAlert onReload={() => void reload()} />
            ) : (
              <Alert color="red" role="alert" title={t("common.errorTitle")}>
                {writeErrorText(error, t)}
              </Alert>
            ))}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" loading={busy}>
              {t("common.save")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
