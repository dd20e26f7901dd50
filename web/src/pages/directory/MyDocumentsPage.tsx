// "My documents" on the phone: one's own documents as a list, each opening in a viewer
// inside the app (PDF and images), with "Keep offline" for the ones needed on the go
// (offline/keep.ts: encrypted under a key that lives only while the app is open).
import { Alert, Badge, Button, Group, Modal, Stack, Switch, Text, Title, UnstyledButton } from "@mantine/core";
import { useMediaQuery, useNetwork } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconCloudOff, IconDownload, IconFileText, IconUpload } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useAuth, useViewer, isStaff } from "../../auth/AuthContext";
import { DocumentPreview } from "../../components/DocumentPreview";
import { describeError, ErrorMessage } from "../../components/ErrorMessage";
import { PageLoader } from "../../components/PageLoader";
import { download } from "../../lib/download";
import { formatBytes, formatDate } from "../../lib/format";
import { forgetOffline, keepOffline, keptContent, keptDocuments, type KeptDocument } from "../../offline/keep";
import { offlineQuery } from "../../offline/useOffline";
import { CATEGORIES, type Category } from "../documents/categories";
import { contentUrl, fetchContent } from "../documents/DocumentDrawer";
import { Expiry } from "../documents/Expiry";
import { UploadModal } from "../documents/UploadModal";
import classes from "./directory.module.css";
import { NoRecord } from "./parts";

// What an employee may upload about themselves (DESIGN §4); hr and admin: anything.
const OWN_CATEGORIES: readonly Category[] = ["identity", "certificate", "other"];
const PAGE_SIZE = 100;

export function MyDocumentsPage() {
  const { t } = useTranslation();
  const { me } = useAuth();
  const viewer = useViewer();
  const { online } = useNetwork();
  const [open, setOpen] = useState<KeptDocument | null>(null);
  const [uploading, setUploading] = useState(false);

  const employeeId = viewer.employeeId;
  const documents = useQuery({
    queryKey: ["documents", "mine", employeeId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/documents", {
          params: { query: { employee_id: employeeId, sort: "-created_at", page_size: PAGE_SIZE } },
        }),
      ),
    enabled: employeeId !== null && !viewer.offline,
  });
  const kept = useQuery({ queryKey: ["offline", "kept"], queryFn: keptDocuments, ...offlineQuery });
  const keptIds = new Set((kept.data ?? []).map((doc) => doc.id));

  if (employeeId === null) return <NoRecord title={t("offline.myDocuments")} />;
  // The API's list when it answers; the documents kept offline when it cannot.
  // Offline, only what was kept is there to open, so only that is listed.
  const offlineList = viewer.offline || !online || (documents.data === undefined && documents.isError);
  const items: KeptDocument[] | null = (offlineList ? kept.data : documents.data?.items) ?? null;

  return (
    <Stack maw={720} gap="sm">
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("offline.myDocuments")}
        </Title>
        {me !== null && online && (
          <Button leftSection={<IconUpload size={18} aria-hidden />} onClick={() => { setUploading(true); }}>
            {t("offline.upload")}
          </Button>
        )}
      </Group>
      {offlineList && (
        <Alert color="gray" icon={<IconCloudOff aria-hidden />} title={t("offline.badge")}>
          {t("offline.keptOnly")}
        </Alert>
      )}
      {documents.isError && !offlineList && <ErrorMessage error={documents.error} />}
      {items === null ? (
        <PageLoader />
      ) : items.length === 0 ? (
        <Text py="lg" ta="center">
          {offlineList ? t("offline.noneKept") : t("offline.noDocuments")}
        </Text>
      ) : (
        <ul className={classes.list} aria-label={t("offline.myDocuments")} style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {items.map((doc) => (
            <li key={doc.id}>
              <UnstyledButton className={classes.rowLink} onClick={() => { setOpen(doc); }} style={{ width: "100%", borderBottom: "1px solid var(--mantine-color-default-border)" }}>
                <Group wrap="nowrap" gap="sm" style={{ minWidth: 0, flex: 1 }}>
                  <IconFileText size={28} aria-hidden style={{ flexShrink: 0 }} />
                  <div style={{ minWidth: 0, flex: 1 }}>
                    <Text fw={600} truncate>
                      {doc.title}
                    </Text>
                    <Text size="sm" c="dimmed" truncate>
                      {t(`documents.category.${doc.category}`, { defaultValue: doc.category })} · {formatDate(doc.created_at)} ·{" "}
                      {formatBytes(doc.size)}
                    </Text>
                  </div>
                  {keptIds.has(doc.id) && (
                    <Badge variant="light" color="teal" style={{ flexShrink: 0 }}>
                      {t("offline.kept")}
                    </Badge>
                  )}
                </Group>
              </UnstyledButton>
            </li>
          ))}
        </ul>
      )}
      {open !== null && (
        <DocumentViewer
          key={open.id}
          doc={open}
          kept={keptIds.has(open.id)}
          onClose={() => {
            setOpen(null);
          }}
        />
      )}
      <UploadModal
        opened={uploading}
        onClose={() => { setUploading(false); }}
        employeeId={employeeId}
        fixedEmployee
        categories={me !== null && isStaff(me.role) ? CATEGORIES : OWN_CATEGORIES}
      />
    </Stack>
  );
}

/** One document, full screen on a phone: the preview, its details, "Keep offline". */
function DocumentViewer({ doc, kept, onClose }: { doc: KeptDocument; kept: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const phone = useMediaQuery("(max-width: 48em)");
  const { online } = useNetwork();
  // The switch shows what was asked at once; the list's badge follows when it is done.
  const [asked, setAsked] = useState<boolean | null>(null);
  const busy = asked !== null;

  // Kept: from the encrypted copy (works offline); otherwise from the API.
  const load = async (signal: AbortSignal): Promise<Blob> => {
    if (kept) {
      const blob = await keptContent(doc.id);
      if (blob !== null) return blob;
    }
    return fetchContent(doc.id, signal);
  };
  const toggleKept = async (keep: boolean) => {
    setAsked(keep);
    try {
      if (keep) await keepOffline(doc, await fetchContent(doc.id));
      else await forgetOffline(doc.id);
      notifications.show({ message: keep ? t("offline.keptDone", { title: doc.title }) : t("offline.forgotten", { title: doc.title }) });
    } catch (error) {
      notifications.show({ color: "red", title: t("offline.keepFailed"), message: describeError(error, t) });
    } finally {
      setAsked(null);
    }
  };
  return (
    <Modal
      opened
      onClose={onClose}
      fullScreen={phone}
      size="xl"
      title={<Text fw={700}>{doc.title}</Text>}
      closeButtonProps={{ "aria-label": t("common.close") }}
    >
      <Stack gap="sm">
        <Group gap="xs">
          <Badge variant="light">{t(`documents.category.${doc.category}`, { defaultValue: doc.category })}</Badge>
          <Text size="sm" c="dimmed">
            {formatDate(doc.created_at)} · {formatBytes(doc.size)}
          </Text>
          <Expiry value={doc.expires_on} />
        </Group>
        <Switch
          size="lg"
          checked={asked ?? kept}
          disabled={busy || (!kept && !online)}
          onChange={(event) => void toggleKept(event.currentTarget.checked)}
          label={t("offline.keep")}
          description={t("offline.keepHint")}
        />
        <DocumentPreview document={doc} load={load} height={phone ? "70vh" : 560} />
        {online && (
          <Button
            variant="default"
            leftSection={<IconDownload size={18} aria-hidden />}
            onClick={() => void download(contentUrl(doc.id), doc.filename)}
          >
            {t("documents.detail.download")}
          </Button>
        )}
      </Stack>
    </Modal>
  );
}
