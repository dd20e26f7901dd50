import { Alert, Button, Group, Modal, PasswordInput, Select, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { EmployeePicker } from "../../components/EmployeePicker";
import type { User } from "../../lib/queries";
import { PasswordRules } from "./PasswordRules";
import { patchUser, ROLES, type Role, type UserUpdate } from "./userApi";
import { passwordError, userErrorMessage, userFieldErrors } from "./userLogic";

export type DialogKind = "role" | "link" | "password";

export interface OpenDialog {
  kind: DialogKind;
  user: User;
  etag: string | null;
}

/** Change role, link an employee or set a password: one user, one PATCH with the
 * ETag read when the dialog opened. */
export function UserDialog({ dialog, onClose }: { dialog: OpenDialog | null; onClose: () => void }) {
  const { t } = useTranslation();
  const title =
    dialog === null
      ? ""
      : {
          role: t("users.changeRoleTitle", { name: dialog.user.full_name }),
          link: t("users.linkEmployeeTitle", { name: dialog.user.full_name }),
          password: t("users.resetPasswordTitle", { name: dialog.user.full_name }),
        }[dialog.kind];
  return (
    <Modal opened={dialog !== null} onClose={onClose} title={title} size="md">
      {dialog !== null && <DialogBody key={`${dialog.kind}-${dialog.user.id}`} dialog={dialog} onClose={onClose} />}
    </Modal>
  );
}

function DialogBody({ dialog, onClose }: { dialog: OpenDialog; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { user, etag, kind } = dialog;
  const name = user.full_name;
  const [role, setRole] = useState<Role>(user.role);
  const [employee, setEmployee] = useState<string | null>(user.employee_id);
  const [password, setPassword] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const demoting = kind === "role" && user.role === "admin" && role !== "admin";

  const save = async () => {
    setError(null);
    setFieldError(null);
    let body: UserUpdate;
    let success: string;
    if (kind === "role") {
      body = { role };
      success = t("users.roleChanged", { name, role: t(`users.role.${role}`) });
    } else if (kind === "link") {
      if (employee === null) {
        setFieldError(t("common.required"));
        return;
      }
      body = { employee_id: employee };
      success = t("users.linked", { name });
    } else {
      const broken = password ? passwordError(password, user.email) : "length";
      if (broken !== null) {
        setFieldError(t(`users.passwordRule.${broken}`, { min: 12 }));
        return;
      }
      body = { password };
      success = t("users.passwordSet", { name });
    }
    setBusy(true);
    try {
      await patchUser(user.id, etag, body);
      notifications.show({ color: "green", message: success });
      await client.invalidateQueries({ queryKey: ["users"] });
      await client.invalidateQueries({ queryKey: ["user", user.id] });
      onClose();
    } catch (cause) {
      const fields = userFieldErrors(cause, t);
      const field = kind === "role" ? fields.role : kind === "link" ? fields.employee_id : fields.password;
      if (field !== undefined) setFieldError(field);
      else setError(userErrorMessage(cause, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
      noValidate
    >
      <Stack>
        {error !== null && (
          <Alert color="red" role="alert" icon={<IconAlertTriangle aria-hidden />} title={t("users.error.refused")}>
            {error}
          </Alert>
        )}
        {kind === "role" && (
          <>
            <Text size="sm">
              {t("users.changeRoleText", { name, from: t(`users.role.${user.role}`) })}
            </Text>
            <Select
              label={t("users.field.role")}
              allowDeselect={false}
              data={ROLES.map((r) => ({ value: r, label: `${t(`users.role.${r}`)} — ${t(`users.roleHint.${r}`)}` }))}
              value={role}
              onChange={(value) => {
                if (value !== null) setRole(value);
              }}
              error={fieldError}
              data-autofocus
            />
            {demoting && (
              <Alert color="yellow" icon={<IconAlertTriangle aria-hidden />}>
                {t("users.demoteWarning", { name })}
              </Alert>
            )}
          </>
        )}
        {kind === "link" && (
          <>
            <Text size="sm">{t("users.linkEmployeeText")}</Text>
            <EmployeePicker
              label={t("users.field.employee_id")}
              value={employee}
              onChange={setEmployee}
              error={fieldError}
              data-autofocus
            />
          </>
        )}
        {kind === "password" && (
          <>
            <Text size="sm">{t("users.resetPasswordText", { name })}</Text>
            <PasswordInput
              label={t("users.field.newPassword")}
              autoComplete="new-password"
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
              }}
              onBlur={() => {
                const broken = password ? passwordError(password, user.email) : null;
                setFieldError(broken ? t(`users.passwordRule.${broken}`, { min: 12 }) : null);
              }}
              error={fieldError}
              aria-describedby="reset-password-rules"
              data-autofocus
            />
            <PasswordRules id="reset-password-rules" password={password} email={user.email} />
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("common.cancel")}
          </Button>
          <Button
            type="submit"
            loading={busy}
            color={demoting ? "red" : undefined}
            disabled={kind === "role" && role === user.role}
          >
            {kind === "role"
              ? demoting
                ? t("users.demote")
                : t("users.changeRole")
              : kind === "link"
                ? t("users.link")
                : t("users.setPassword")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
