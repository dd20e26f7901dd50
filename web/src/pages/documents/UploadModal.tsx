import { Alert, Button, FileButton, Group, Modal, Progress, Select, Stack, Text, TextInput } from "@mantine/core";
import type { FileRejection } from "@mantine/dropzone";
import { useForm } from "@mantine/form";
import { useMediaQuery } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconAlertCircle, IconCamera, IconFile, IconUpload } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { ApiError } from "../../api/errors";
import { EmployeePicker } from "../../components/EmployeePicker";
import { FileDrop } from "../../components/FileDrop";
import { formatBytes } from "../../lib/format";
import type { DocumentRecord } from "../../lib/queries";
import { describeUploadError, upload } from "../../lib/upload";
import { CATEGORIES, type Category } from "./categories";

interface Values {
  category: string | null;
  title: string;
  expires_on: string;
  employee_id: string | null;
}

/** The multipart body of an upload: the fields first, then the file (the API streams
 * the file to storage as it arrives, so it must come last). */
export function uploadForm(values: Values, file: File): FormData {
  const form = new FormData();
  if (values.employee_id) form.append("employee_id", values.employee_id);
  form.append("category", values.category ?? "");
  if (values.title.trim()) form.append("title", values.title.trim());
  if (values.expires_on) form.append("expires_on", values.expires_on);
  form.append("file", file, file.name);
  return form;
}

interface UploadOptions {
  employeeId: string | null;
  /** The categories offered (the user's own upload: those the API lets them use). */
  categories?: readonly Category[];
  /** The employee is given (one's own documents): no picker. */
  fixedEmployee?: boolean;
}

export function UploadModal({
  opened,
  onClose,
  onUploaded,
  ...options
}: UploadOptions & {
  opened: boolean;
  onClose: () => void;
  /** Called with the new document instead of onClose after an upload. */
  onUploaded?: (document: DocumentRecord) => void;
}) {
  const { t } = useTranslation();
  const phone = useMediaQuery("(max-width: 48em)");
  return (
    <Modal opened={opened} onClose={onClose} title={t("documents.upload.title")} size="lg" fullScreen={phone}>
      {/* Mounted only while open: each opening starts from a clean form. */}
      {opened && <UploadForm onDone={onClose} onUploaded={onUploaded ?? onClose} {...options} />}
    </Modal>
  );
}

function UploadForm({
  onDone,
  onUploaded,
  employeeId,
  categories = CATEGORIES,
  fixedEmployee = false,
}: UploadOptions & { onDone: () => void; onUploaded: (document: DocumentRecord) => void }) {
  const { t } = useTranslation();
  // On a touch screen, a photo straight from the camera (a paper certificate, an ID).
  const touch = useMediaQuery("(pointer: coarse)");
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [abort, setAbort] = useState<AbortController | null>(null);
  const form = useForm<Values>({
    mode: "controlled",
    initialValues: { category: null, title: "", expires_on: "", employee_id: employeeId },
    validate: {
      category: (value) => (value ? null : t("common.required")),
    },
  });

  const choose = (files: File[]) => {
    const chosen = files[0] ?? null;
    setFile(chosen);
    setFileError(null);
    setError(null);
  };
  const reject = (rejections: FileRejection[]) => {
    const reason = rejections[0]?.errors.map((e) => e.message).join("; ") ?? "";
    setFileError(t("documents.upload.rejected", { reason }));
  };

  const submit = form.onSubmit(async (values) => {
    if (file === null) {
      setFileError(t("documents.upload.noFile"));
      return;
    }
    setError(null);
    setProgress(0);
    const controller = new AbortController();
    setAbort(controller);
    try {
      const created = await upload<DocumentRecord>("/api/v1/documents", uploadForm(values, file), {
        onProgress: setProgress,
        signal: controller.signal,
      });
      await client.invalidateQueries({ queryKey: ["documents"] });
      notifications.show({ color: "green", message: t("documents.upload.done", { title: created.title }) });
      onUploaded(created);
    } catch (caught) {
      if (caught instanceof DOMException && caught.name === "AbortError") {
        setProgress(null);
        return;
      }
      const fields = caught instanceof ApiError ? caught.fields : {};
      let shown = false;
      for (const [field, message] of Object.entries(fields)) {
        if (field === "file") {
          setFileError(message);
          shown = true;
        } else if (field in form.values) {
          form.setFieldError(field, message);
          shown = true;
        }
      }
      if (!shown || (caught instanceof ApiError && caught.status !== 422)) setError(describeUploadError(caught, t));
      setProgress(null);
    } finally {
      setAbort(null);
    }
  });

  const busy = progress !== null;
  const percent = Math.round((progress ?? 0) * 100);

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <div>
          <FileDrop
            onDrop={choose}
            onReject={reject}
            disabled={busy}
            label={t("documents.upload.file")}
            describedBy="upload-file-status"
            idleIcon={<IconFile size={40} aria-hidden />}
            title={t("documents.upload.drop")}
            hint={t("documents.upload.dropHint")}
            minHeight={110}
          />
          {touch && (
            <FileButton onChange={(chosen) => { choose(chosen === null ? [] : [chosen]); }} accept="image/*" capture="environment" disabled={busy}>
              {(props) => (
                <Button {...props} variant="light" fullWidth mt="xs" leftSection={<IconCamera size={18} aria-hidden />}>
                  {t("documents.upload.camera")}
                </Button>
              )}
            </FileButton>
          )}
          <Text id="upload-file-status" size="sm" mt={4} c={fileError ? "red.8" : undefined} role={fileError ? "alert" : undefined}>
            {fileError ?? (file ? t("documents.upload.chosen", { name: file.name, size: formatBytes(file.size) }) : "")}
          </Text>
        </div>
        <Select
          label={t("documents.field.category")}
          data={categories.map((c) => ({ value: c, label: t(`documents.category.${c}`) }))}
          required
          withAsterisk
          disabled={busy}
          {...form.getInputProps("category")}
        />
        <TextInput
          label={t("documents.field.title")}
          description={t("documents.upload.titleHint")}
          maxLength={255}
          disabled={busy}
          {...form.getInputProps("title")}
        />
        <TextInput
          label={t("documents.field.expires_on")}
          type="date"
          disabled={busy}
          {...form.getInputProps("expires_on")}
        />
        {!fixedEmployee && (
          <EmployeePicker
            label={t("documents.field.employee_id")}
            placeholder={t("documents.noEmployee")}
            disabled={busy}
            value={form.values.employee_id}
            onChange={(value) => {
              form.setFieldValue("employee_id", value);
            }}
            error={form.errors.employee_id}
          />
        )}
        {busy && (
          <div>
            <Text size="sm" id="upload-progress-label">
              {t("documents.upload.progress", { percent })}
            </Text>
            <Progress value={percent} aria-labelledby="upload-progress-label" animated={percent < 100} />
          </div>
        )}
        {error !== null && (
          <Alert color="red" icon={<IconAlertCircle aria-hidden />} title={t("common.errorTitle")} role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button
            variant="default"
            onClick={() => {
              if (abort) abort.abort();
              else onDone();
            }}
          >
            {t("documents.upload.cancel")}
          </Button>
          <Button type="submit" loading={busy} leftSection={<IconUpload size={16} aria-hidden />}>
            {t("documents.upload.submit")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
