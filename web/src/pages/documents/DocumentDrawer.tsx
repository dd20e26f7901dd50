import {
  Alert,
  Badge,
  Button,
  Center,
  Drawer,
  FileButton,
  Group,
  Loader,
  Progress,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMediaQuery } from "@mantine/hooks";
import { modals } from "@mantine/modals";
import { notifications } from "@mantine/notifications";
import { IconAlertCircle, IconDownload, IconEdit, IconTrash, IconUpload } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, authorisedFetch, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { isStaff, useMe } from "../../auth/AuthContext";
import { describeError, ErrorMessage } from "../../components/ErrorMessage";
import { download } from "../../lib/download";
import { formatBytes, formatDateTime } from "../../lib/format";
import { fullName, type DocumentRecord } from "../../lib/queries";
import { describeUploadError, upload } from "../../lib/upload";
import { DocumentPreview } from "../../components/DocumentPreview";
import { CATEGORIES, isCategory } from "./categories";
import { Expiry } from "./Expiry";
import { Suggestions } from "./Suggestions";

const PROCESSING_POLL_MS = 1500;
const PROCESSING_POLLS = 40;

export function contentUrl(id: string, version?: number): string {
  return `/api/v1/documents/${encodeURIComponent(id)}/content${version === undefined ? "" : `?version=${version}`}`;
}

/** The current version's bytes (the preview's and "Keep offline"'s source). */
export async function fetchContent(id: string, signal?: AbortSignal): Promise<Blob> {
  return (await authorisedFetch(contentUrl(id), signal === undefined ? {} : { signal })).blob();
}

export function DocumentDrawer({ documentId, onClose }: { documentId: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const phone = useMediaQuery("(max-width: 48em)");
  return (
    <Drawer
      opened={documentId !== null}
      onClose={onClose}
      position="right"
      size={phone ? "100%" : "xl"}
      title={<Title order={2} size="h4">{t("documents.detail.title")}</Title>}
    >
      {documentId !== null && <DocumentDetail id={documentId} onDeleted={onClose} />}
    </Drawer>
  );
}

function DocumentDetail({ id, onDeleted }: { id: string; onDeleted: () => void }) {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);

  const record = useQuery({
    queryKey: ["documents", "one", id],
    queryFn: async () => {
      const result = await api.GET("/api/v1/documents/{document_id}", { params: { path: { document_id: id } } });
      return { document: unwrap(result), etag: result.response.headers.get("ETag") };
    },
    // Until the processing job has read the file (a few seconds), look again now and then.
    refetchInterval: (query) =>
      query.state.data?.document.processed === false && query.state.dataUpdateCount < PROCESSING_POLLS
        ? PROCESSING_POLL_MS
        : false,
  });
  const document = record.data?.document;
  const owner = useQuery({
    queryKey: ["employee-name", document?.employee_id ?? null],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/employees/{employee_id}", {
          params: { path: { employee_id: document?.employee_id ?? "" } },
        }),
      ),
    enabled: Boolean(document?.employee_id),
    staleTime: 300_000,
    retry: false,
  });

  if (record.isPending) return <Center py="xl"><Loader aria-label={t("common.loading")} /></Center>;
  if (record.isError) return <ErrorMessage error={record.error} />;
  const doc = record.data.document;
  const etag = record.data.etag;

  const remove = () => {
    modals.openConfirmModal({
      title: t("documents.detail.deleteTitle", { title: doc.title }),
      children: <Text size="sm">{t("documents.detail.deleteText")}</Text>,
      labels: { confirm: t("documents.detail.deleteConfirm"), cancel: t("common.cancel") },
      confirmProps: { color: "red" },
      onConfirm: () => {
        void (async () => {
          try {
            unwrap(
              await api.DELETE("/api/v1/documents/{document_id}", {
                params: { path: { document_id: id }, header: { "if-match": etag } },
              }),
            );
            notifications.show({ color: "green", message: t("documents.detail.deleted", { title: doc.title }) });
            onDeleted();
            await client.invalidateQueries({ queryKey: ["documents"] });
          } catch (error) {
            notifications.show({ color: "red", title: t("common.errorTitle"), message: describeError(error, t) });
            if (error instanceof ApiError && error.status === 412) await record.refetch();
          }
        })();
      },
    });
  };

  return (
    <Stack>
      <div>
        <Title order={3} size="h3" style={{ overflowWrap: "anywhere" }}>
          {doc.title}
        </Title>
        <Group gap="xs" mt={4}>
          <Badge variant="light">{isCategory(doc.category) ? t(`documents.category.${doc.category}`) : doc.category}</Badge>
          <Text size="sm" c="dimmed">
            {t("documents.field.version")} {doc.version}
          </Text>
        </Group>
      </div>
      <Group gap="xs">
        <DownloadButton url={contentUrl(doc.id)} name={doc.filename} label={t("documents.detail.download")} primary />
        <VersionUpload documentId={doc.id} />
        <Button variant="default" leftSection={<IconEdit size={16} aria-hidden />} onClick={() => { setEditing((v) => !v); }} aria-expanded={editing}>
          {t("documents.detail.edit")}
        </Button>
        {isStaff(me.role) && (
          <Button variant="outline" color="red" leftSection={<IconTrash size={16} aria-hidden />} onClick={remove}>
            {t("documents.detail.delete")}
          </Button>
        )}
      </Group>
      <Suggestions document={doc} etag={etag} staff={isStaff(me.role)} onStale={() => void record.refetch()} />
      {editing && (
        <EditForm
          document={doc}
          etag={etag}
          onDone={() => { setEditing(false); }}
          onStale={() => void record.refetch()}
        />
      )}
      <DocumentPreview document={doc} load={(signal) => fetchContent(doc.id, signal)} />
      <Table variant="vertical" layout="fixed" withTableBorder>
        <Table.Tbody>
          <Meta label={t("documents.field.employee_id")}>
            {doc.employee_id === null
              ? t("documents.noEmployee")
              : owner.data
                ? fullName(owner.data)
                : owner.isError
                  ? t("documents.unknownEmployee")
                  : "…"}
          </Meta>
          <Meta label={t("documents.field.filename")}>{doc.filename}</Meta>
          <Meta label={t("documents.field.content_type")}>{doc.content_type}</Meta>
          <Meta label={t("documents.field.size")}>{formatBytes(doc.size)}</Meta>
          <Meta label={t("documents.field.expires_on")}>
            {doc.expires_on ? <Expiry value={doc.expires_on} /> : t("documents.detail.noExpiry")}
          </Meta>
          <Meta label={t("documents.field.created_at")}>{formatDateTime(doc.created_at)}</Meta>
          {doc.tags.length > 0 && <Meta label={t("documents.field.tags")}>{doc.tags.join(", ")}</Meta>}
          <Meta label={t("documents.field.sha256")}>
            <Text size="xs" ff="monospace" style={{ overflowWrap: "anywhere" }}>
              {doc.sha256}
            </Text>
          </Meta>
        </Table.Tbody>
      </Table>
      <Versions document={doc} />
    </Stack>
  );
}

function Meta({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={140}>{label}</Table.Th>
      <Table.Td style={{ overflowWrap: "anywhere" }}>{children}</Table.Td>
    </Table.Tr>
  );
}

function DownloadButton({ url, name, label, primary = false }: { url: string; name: string; label: string; primary?: boolean }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variant={primary ? "filled" : "subtle"}
      size={primary ? "sm" : "xs"}
      leftSection={<IconDownload size={16} aria-hidden />}
      loading={busy}
      onClick={() => {
        setBusy(true);
        download(url, name)
          .then(() => {
            notifications.show({ color: "green", message: t("documents.detail.downloaded") });
          })
          .catch((error: unknown) => {
            notifications.show({ color: "red", title: t("common.errorTitle"), message: describeError(error, t) });
          })
          .finally(() => {
            setBusy(false);
          });
      }}
    >
      {label}
    </Button>
  );
}

function VersionUpload({ documentId }: { documentId: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = async (file: File | null) => {
    if (file === null) return;
    setError(null);
    setProgress(0);
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const updated = await upload<DocumentRecord>(
        `/api/v1/documents/${encodeURIComponent(documentId)}/versions`,
        form,
        { onProgress: setProgress },
      );
      notifications.show({ color: "green", message: t("documents.detail.newVersionDone", { version: updated.version }) });
      await client.invalidateQueries({ queryKey: ["documents"] });
    } catch (caught) {
      setError(describeUploadError(caught, t));
    } finally {
      setProgress(null);
    }
  };
  const percent = Math.round((progress ?? 0) * 100);

  return (
    <>
      <FileButton onChange={(file) => void send(file)}>
        {(props) => (
          <Button {...props} variant="default" leftSection={<IconUpload size={16} aria-hidden />} loading={progress !== null}>
            {t("documents.detail.newVersion")}
          </Button>
        )}
      </FileButton>
      {progress !== null && (
        <Stack gap={2} w="100%">
          <Text size="sm" id={`version-progress-${documentId}`}>
            {t("documents.upload.progress", { percent })}
          </Text>
          <Progress value={percent} aria-labelledby={`version-progress-${documentId}`} />
        </Stack>
      )}
      {error !== null && (
        <Alert
          w="100%"
          color="red"
          icon={<IconAlertCircle aria-hidden />}
          title={t("common.errorTitle")}
          role="alert"
          withCloseButton
          closeButtonLabel={t("common.close")}
          onClose={() => { setError(null); }}
        >
          {error}
        </Alert>
      )}
    </>
  );
}

interface EditValues {
  title: string;
  category: string | null;
  expires_on: string;
}

function EditForm({
  document: doc,
  etag,
  onDone,
  onStale,
}: {
  document: DocumentRecord;
  etag: string | null;
  onDone: () => void;
  onStale: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const form = useForm<EditValues>({
    mode: "controlled",
    initialValues: { title: doc.title, category: doc.category, expires_on: doc.expires_on ?? "" },
    validate: {
      title: (value) => (value.trim() ? null : t("common.required")),
      category: (value) => (value ? null : t("common.required")),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setSaving(true);
    setError(null);
    try {
      unwrap(
        await api.PATCH("/api/v1/documents/{document_id}", {
          params: { path: { document_id: doc.id }, header: { "if-match": etag } },
          body: {
            title: values.title.trim(),
            category: isCategory(values.category) ? values.category : null,
            expires_on: values.expires_on || null,
          },
        }),
      );
      notifications.show({ color: "green", message: t("documents.detail.saved") });
      await client.invalidateQueries({ queryKey: ["documents"] });
      onDone();
    } catch (caught) {
      if (caught instanceof ApiError && Object.keys(caught.fields).length > 0) {
        for (const [field, message] of Object.entries(caught.fields)) form.setFieldError(field, message);
      } else {
        setError(caught);
      }
      if (caught instanceof ApiError && caught.status === 412) onStale();
    } finally {
      setSaving(false);
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm" p="sm" style={{ border: "1px solid var(--mantine-color-default-border)", borderRadius: 4 }}>
        <TextInput label={t("documents.field.title")} required maxLength={255} {...form.getInputProps("title")} />
        <Select
          label={t("documents.field.category")}
          required
          data={CATEGORIES.map((c) => ({ value: c, label: t(`documents.category.${c}`) }))}
          {...form.getInputProps("category")}
        />
        <TextInput
          label={t("documents.field.expires_on")}
          description={t("documents.detail.clearExpiry")}
          type="date"
          {...form.getInputProps("expires_on")}
        />
        {error !== null && <ErrorMessage error={error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={saving}>
            {t("common.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Versions({ document: doc }: { document: DocumentRecord }) {
  const { t } = useTranslation();
  const versions = useQuery({
    queryKey: ["documents", "versions", doc.id, doc.version],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/documents/{document_id}/versions", { params: { path: { document_id: doc.id } } }),
      ),
  });
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        {t("documents.detail.versions")}
      </Title>
      {versions.isError && <ErrorMessage error={versions.error} />}
      {versions.isPending && <Loader size="sm" aria-label={t("common.loading")} />}
      {versions.data && (
        <Table.ScrollContainer minWidth={420}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("documents.field.version")}</Table.Th>
                <Table.Th>{t("documents.field.filename")}</Table.Th>
                <Table.Th>{t("documents.field.size")}</Table.Th>
                <Table.Th>{t("documents.field.created_at")}</Table.Th>
                <Table.Th>
                  <VisuallyHidden>{t("documents.detail.download")}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...versions.data]
                .sort((a, b) => b.version - a.version)
                .map((v) => (
                  <Table.Tr key={v.version}>
                    <Table.Td>
                      {v.version}
                      {v.version === doc.version && (
                        <Badge ml={6} size="xs" variant="outline">
                          {t("documents.detail.current")}
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td style={{ overflowWrap: "anywhere" }}>{v.filename}</Table.Td>
                    <Table.Td>{formatBytes(v.size)}</Table.Td>
                    <Table.Td>{formatDateTime(v.created_at)}</Table.Td>
                    <Table.Td>
                      <DownloadButton
                        url={contentUrl(doc.id, v.version)}
                        name={v.filename}
                        label={t("documents.detail.downloadVersion", { version: v.version })}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
