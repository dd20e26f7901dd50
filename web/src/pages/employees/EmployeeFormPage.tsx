import {
  Alert,
  Anchor,
  Button,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconArrowLeft } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useBlocker, useNavigate, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { isStaff, useMe } from "../../auth/AuthContext";
import { EmployeePicker } from "../../components/EmployeePicker";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageLoader } from "../../components/PageLoader";
import { fullName, useDepartments } from "../../lib/queries";
import {
  checkField,
  conflictField,
  createBody,
  emptyValues,
  EMPLOYMENT_TYPES,
  FORM_FIELDS,
  mapFieldErrors,
  patchBody,
  STATUSES,
  valuesFromEmployee,
  type EmployeeFormValues,
  type FormField,
} from "./employeeForm";
import { ConflictAlert, isStale, useEmployee, writeErrorText } from "./employeeParts";

/** The edit form reads the sensitive fields it may change, but never the national ID or
 * bank account: those are write-only here ("leave empty to keep"). */
const EDIT_FIELDS = "salary,salary_currency,date_of_birth,home_address";

export function NewEmployeePage() {
  const me = useMe();
  if (!isStaff(me.role)) return <NotAllowed />;
  return <EmployeeForm mode="create" initial={emptyValues()} />;
}

export function EditEmployeePage() {
  const { id = "" } = useParams();
  const me = useMe();
  const loaded = useEmployee(id, EDIT_FIELDS);
  // A reload after a 412 starts the form again from the record as it now is.
  const [generation, setGeneration] = useState(0);
  if (!isStaff(me.role)) return <NotAllowed />;
  if (loaded.isPending) return <PageLoader />;
  if (loaded.isError) return <ErrorMessage error={loaded.error} />;
  const { record, etag } = loaded.data;
  return (
    <EmployeeForm
      key={`${id}:${generation}`}
      mode="edit"
      id={id}
      name={fullName(record)}
      initial={valuesFromEmployee(record)}
      etag={etag}
      onReload={async () => {
        await loaded.refetch();
        setGeneration((n) => n + 1);
      }}
    />
  );
}

function NotAllowed() {
  const { t } = useTranslation();
  return (
    <Stack maw={520}>
      <Alert color="red" role="alert" title={t("common.errorTitle")}>
        {t("common.forbidden")}
      </Alert>
      <Anchor component={Link} to="/employees">
        {t("employees.allEmployees")}
      </Anchor>
    </Stack>
  );
}

interface FormProps {
  mode: "create" | "edit";
  initial: EmployeeFormValues;
  id?: string;
  name?: string;
  etag?: string | null;
  onReload?: () => Promise<void>;
}

function EmployeeForm({ mode, initial, id, name, etag, onReload }: FormProps) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const departments = useDepartments();
  const [failure, setFailure] = useState<unknown>(null);
  const [unmatched, setUnmatched] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const [reloading, setReloading] = useState(false);
  const leaving = useRef(false);
  const back = mode === "edit" && id ? `/employees/${id}` : "/employees";

  const form = useForm<EmployeeFormValues>({
    mode: "controlled",
    initialValues: initial,
    validateInputOnBlur: true,
    validate: (values) => {
      const errors: Partial<Record<FormField, string>> = {};
      for (const field of FORM_FIELDS) {
        const problem = checkField(field, values);
        if (problem !== null) errors[field] = t(`employees.validation.${problem}`);
      }
      return errors;
    },
  });
  const dirty = form.isDirty();

  // Unsaved changes: a confirmation before leaving inside the app, the browser's own on unload.
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      !leaving.current && form.isDirty() && currentLocation.pathname !== nextLocation.pathname,
  );
  useEffect(() => {
    if (!dirty) return undefined;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => {
      window.removeEventListener("beforeunload", warn);
    };
  }, [dirty]);

  const leave = (to: string) => {
    leaving.current = true;
    void navigate(to);
  };

  const showError = (error: unknown) => {
    if (error instanceof ApiError && error.status === 422) {
      const mapped = mapFieldErrors(error.fields);
      form.setErrors(mapped.errors);
      setUnmatched(mapped.unmatched);
      if (Object.keys(mapped.errors).length === 0) setFailure(error);
      focusFirst(Object.keys(mapped.errors));
      return;
    }
    const field = error instanceof ApiError ? conflictField(error) : null;
    if (field !== null && error instanceof ApiError) {
      form.setFieldError(field, error.message);
      focusFirst([field]);
      return;
    }
    setFailure(error);
  };

  const submit = async (values: EmployeeFormValues) => {
    setFailure(null);
    setUnmatched([]);
    setSaving(true);
    try {
      if (mode === "create") {
        const created = unwrap(await api.POST("/api/v1/employees", { body: createBody(values) }));
        void client.invalidateQueries({ queryKey: ["employees"] });
        notifications.show({ color: "green", message: t("employees.created") });
        leave(`/employees/${created.id}`);
        return;
      }
      if (id === undefined) return;
      const body = patchBody(initial, values);
      if (Object.keys(body).length === 0) {
        notifications.show({ message: t("employees.form.nothingChanged") });
        leave(back);
        return;
      }
      unwrap(
        await api.PATCH("/api/v1/employees/{employee_id}", {
          params: { path: { employee_id: id }, header: etag ? { "if-match": etag } : {} },
          body,
        }),
      );
      await Promise.all(
        [["employee", id], ["employee-name", id], ["employee-history", id], ["employees"]].map((queryKey) =>
          client.invalidateQueries({ queryKey }),
        ),
      );
      notifications.show({ color: "green", message: t("employees.updated") });
      leave(back);
    } catch (error) {
      showError(error);
    } finally {
      setSaving(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    // Escape first closes an open dropdown (Department, Manager, …), then cancels.
    const target = event.target as HTMLElement;
    if (target.getAttribute("aria-expanded") === "true") return;
    void navigate(back);
  };

  // Descriptions below the inputs, so the inputs of a row line up.
  const input = (field: FormField) => ({
    id: `employee-${field}`,
    inputWrapperOrder: ["label", "input", "description", "error"] as ("label" | "input" | "description" | "error")[],
    ...form.getInputProps(field),
  });
  const label = (field: FormField) => t(`employees.field.${field}`);

  return (
    <Stack maw={960}>
      <Anchor component={Link} to={back} size="sm">
        <Group gap={4} component="span">
          <IconArrowLeft size={14} aria-hidden />
          {mode === "edit" ? name : t("employees.allEmployees")}
        </Group>
      </Anchor>
      <div>
        <Title order={1}>{mode === "edit" ? t("employees.editTitle", { name }) : t("employees.newTitle")}</Title>
        <Text size="sm" c="dimmed">
          {t("employees.form.editHint")}
        </Text>
      </div>
      <form
        noValidate
        onKeyDown={onKeyDown}
        onSubmit={(event) => {
          form.onSubmit(
            (values) => void submit(values),
            (errors) => {
              focusFirst(Object.keys(errors));
            },
          )(event);
        }}
      >
        <Stack>
          <FormSection title={t("employees.section.directory")} hint={t("employees.form.directoryHint")}>
            <TextInput label={label("first_name")} withAsterisk autoComplete="off" maxLength={100} {...input("first_name")} />
            <TextInput label={label("last_name")} withAsterisk autoComplete="off" maxLength={100} {...input("last_name")} />
            <TextInput label={label("email")} withAsterisk type="email" autoComplete="off" maxLength={320} {...input("email")} />
            <TextInput label={label("employee_number")} withAsterisk autoComplete="off" maxLength={32} {...input("employee_number")} />
            <TextInput label={label("job_title")} maxLength={120} {...input("job_title")} />
            <Select
              label={label("department_id")}
              placeholder={t("employees.noDepartment")}
              data={(departments.data ?? []).map((d) => ({ value: d.id, label: d.name }))}
              searchable
              clearable
              {...input("department_id")}
            />
            <EmployeePicker
              label={label("manager_id")}
              placeholder={t("employees.noManager")}
              {...input("manager_id")}
              value={form.values.manager_id}
              onChange={(value) => {
                form.setFieldValue("manager_id", value);
              }}
            />
            <TextInput label={label("location")} maxLength={120} {...input("location")} />
            <TextInput
              label={label("phone")}
              description={t("employees.form.phoneHint")}
              type="tel"
              autoComplete="off"
              maxLength={40}
              {...input("phone")}
            />
          </FormSection>
          <FormSection title={t("employees.section.employment")} hint={t("employees.form.employmentHint")}>
            <Select
              label={label("employment_type")}
              data={EMPLOYMENT_TYPES.map((value) => ({ value, label: t(`employees.type.${value}`) }))}
              allowDeselect={false}
              {...input("employment_type")}
            />
            {mode === "edit" && (
              <Select
                label={label("status")}
                data={STATUSES.map((value) => ({ value, label: t(`employees.status.${value}`) }))}
                allowDeselect={false}
                {...input("status")}
              />
            )}
            <TextInput label={label("hire_date")} withAsterisk type="date" {...input("hire_date")} />
            {mode === "edit" && (
              <TextInput
                label={label("effective_date")}
                description={t("employees.form.effectiveHint")}
                type="date"
                {...input("effective_date")}
              />
            )}
          </FormSection>
          <FormSection title={t("employees.section.sensitive")} hint={t("employees.form.sensitiveHint")}>
            <TextInput
              label={label("salary")}
              description={t("employees.form.salaryHint")}
              inputMode="decimal"
              autoComplete="off"
              {...input("salary")}
            />
            <TextInput
              label={label("salary_currency")}
              description={t("employees.form.currencyHint")}
              autoComplete="off"
              maxLength={3}
              {...input("salary_currency")}
              onChange={(event) => {
                form.setFieldValue("salary_currency", event.currentTarget.value.toUpperCase());
              }}
            />
            <TextInput
              label={label("ssn")}
              description={mode === "edit" ? t("employees.form.writeOnlyHint") : undefined}
              autoComplete="off"
              maxLength={64}
              {...input("ssn")}
            />
            <TextInput
              label={label("bank_account")}
              description={mode === "edit" ? t("employees.form.writeOnlyHint") : undefined}
              autoComplete="off"
              maxLength={64}
              {...input("bank_account")}
            />
            <TextInput label={label("date_of_birth")} type="date" {...input("date_of_birth")} />
            <Textarea label={label("home_address")} autosize minRows={2} maxLength={2000} {...input("home_address")} />
          </FormSection>
          {unmatched.length > 0 && (
            <Alert color="red" role="alert" title={t("employees.form.otherErrors")}>
              {unmatched.map((line) => (
                <Text key={line} size="sm">
                  {line}
                </Text>
              ))}
            </Alert>
          )}
          {failure !== null &&
            (isStale(failure) && onReload ? (
              <ConflictAlert
                reloading={reloading}
                onReload={() => {
                  setReloading(true);
                  void onReload().finally(() => {
                    setReloading(false);
                  });
                }}
              />
            ) : (
              <Alert color="red" role="alert" title={t("common.errorTitle")}>
                {writeErrorText(failure, t)}
              </Alert>
            ))}
          <Group>
            <Button type="submit" loading={saving}>
              {t("common.save")}
            </Button>
            <Button
              variant="default"
              onClick={() => {
                void navigate(back);
              }}
            >
              {t("common.cancel")}
            </Button>
          </Group>
        </Stack>
      </form>
      <Modal
        opened={blocker.state === "blocked"}
        onClose={() => blocker.reset?.()}
        title={t("employees.form.leaveTitle")}
        centered
      >
        <Text size="sm">{t("common.unsavedChanges")}</Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => blocker.reset?.()} data-autofocus>
            {t("common.stay")}
          </Button>
          <Button color="red" onClick={() => blocker.proceed?.()}>
            {t("common.leave")}
          </Button>
        </Group>
      </Modal>
    </Stack>
  );
}

function FormSection({ title, hint, children }: { title: string; hint: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <Paper withBorder p="md" radius="md" role="group" aria-labelledby={headingId}>
      <Title order={2} size="h4" id={headingId}>
        {title}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {hint}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="sm">
        {children}
      </SimpleGrid>
    </Paper>
  );
}

/** Move the focus to the first field with an error, in the form's order. */
function focusFirst(fields: string[]) {
  const first = FORM_FIELDS.find((field) => fields.includes(field));
  if (first === undefined) return;
  const element = document.getElementById(`employee-${first}`);
  element?.focus();
}
