import { Button, Group, Modal, PasswordInput, Select, Stack, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { EmployeePicker } from "../../components/EmployeePicker";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PasswordRules } from "./PasswordRules";
import { ROLES, type Role } from "./userApi";
import { passwordError, userFieldErrors } from "./userLogic";

interface Values {
  email: string;
  full_name: string;
  role: Role;
  password: string;
  employee_id: string | null;
}

const FIELDS = ["email", "full_name", "role", "password", "employee_id"];

export function NewUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const form = useForm<Values>({
    mode: "controlled",
    initialValues: { email: "", full_name: "", role: "employee", password: "", employee_id: null },
    validateInputOnBlur: true,
    validate: {
      email: (v) => (v.trim() ? null : t("common.required")),
      full_name: (v) => (v.trim() ? null : t("common.required")),
      password: (v, values) => {
        if (!v) return t("common.required");
        const broken = passwordError(v, values.email.trim());
        return broken ? t(`users.passwordRule.${broken}`, { min: 12 }) : null;
      },
    },
  });

  const close = () => {
    form.reset();
    setError(null);
    onClose();
  };

  const submit = form.onSubmit(async (values) => {
    setError(null);
    try {
      const user = unwrap(
        await api.POST("/api/v1/users", {
          body: {
            email: values.email.trim(),
            full_name: values.full_name.trim(),
            role: values.role,
            password: values.password,
            employee_id: values.employee_id,
          },
        }),
      );
      notifications.show({
        color: "green",
        message: t("users.created", { name: user.full_name, role: t(`users.role.${user.role}`) }),
      });
      await client.invalidateQueries({ queryKey: ["users"] });
      close();
    } catch (cause) {
      const fields = userFieldErrors(cause, t);
      const known = Object.entries(fields).filter(([field]) => FIELDS.includes(field));
      for (const [field, message] of known) form.setFieldError(field, message);
      if (known.length === 0) setError(cause);
    }
  });

  return (
    <Modal opened={opened} onClose={close} title={t("users.newUser")} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          {error !== null && <ErrorMessage error={error} />}
          <TextInput
            label={t("users.field.email")}
            type="email"
            autoComplete="off"
            required
            data-autofocus
            {...form.getInputProps("email")}
          />
          <TextInput label={t("users.field.full_name")} required {...form.getInputProps("full_name")} />
          <Select
            label={t("users.field.role")}
            required
            allowDeselect={false}
            data={ROLES.map((role) => ({ value: role, label: `${t(`users.role.${role}`)} — ${t(`users.roleHint.${role}`)}` }))}
            {...form.getInputProps("role")}
          />
          <PasswordInput
            label={t("users.field.password")}
            autoComplete="new-password"
            required
            aria-describedby="new-user-password-rules"
            {...form.getInputProps("password")}
          />
          <PasswordRules id="new-user-password-rules" password={form.values.password} email={form.values.email} />
          <EmployeePicker
            label={t("users.field.employee_id")}
            description={t("users.employeeHint")}
            value={form.values.employee_id}
            onChange={(id) => {
              form.setFieldValue("employee_id", id);
            }}
            error={form.errors.employee_id}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" loading={form.submitting}>
              {t("common.create")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
