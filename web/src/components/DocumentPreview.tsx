// A document shown inside the app: an image or a PDF from an object URL of its bytes
// (revoked when the view closes or the document changes). The bytes come from where the
// caller says: the API, or the copy kept offline.
import { Center, Loader, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import type { DocumentRecord } from "../lib/queries";
import { ErrorMessage } from "./ErrorMessage";

// Larger files are not fetched for a preview (the download still works).
const PREVIEW_LIMIT = 20 * 1024 * 1024;

export function previewKind(contentType: string): "image" | "pdf" | null {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "image/png" || type === "image/jpeg") return "image";
  if (type === "application/pdf") return "pdf";
  return null;
}

type Previewed = Pick<DocumentRecord, "id" | "version" | "title" | "content_type" | "size">;

export function DocumentPreview({
  document: doc,
  load,
  height = 520,
}: {
  document: Previewed;
  load: (signal: AbortSignal) => Promise<Blob>;
  height?: number | string;
}) {
  const { t } = useTranslation();
  const kind = previewKind(doc.content_type);
  const tooLarge = doc.size > PREVIEW_LIMIT;
  const [state, setState] = useState<{ key: string; url: string | null; error: unknown }>({
    key: "",
    url: null,
    error: null,
  });
  const key = `${doc.id}:${doc.version}`;

  useEffect(() => {
    if (kind === null || tooLarge) return;
    const controller = new AbortController();
    let url: string | null = null;
    load(controller.signal)
      .then((blob) => {
        if (controller.signal.aborted) return;
        // The type the API decided from the bytes, so the frame shows a PDF as a PDF.
        url = URL.createObjectURL(new Blob([blob], { type: kind === "pdf" ? "application/pdf" : blob.type }));
        setState({ key, url, error: null });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ key, url: null, error });
      });
    return () => {
      controller.abort();
      if (url !== null) URL.revokeObjectURL(url);
    };
    // `load` is the caller's inline function: the document's key says when to load again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, kind, tooLarge]);

  if (kind === null || tooLarge) {
    return (
      <Text size="sm" c="dimmed">
        {tooLarge ? t("documents.detail.previewTooLarge") : t("documents.detail.noPreview")}
      </Text>
    );
  }
  const current = state.key === key ? state : { url: null, error: null };
  if (current.error !== null) return <ErrorMessage error={current.error} title={t("documents.detail.preview")} />;
  if (current.url === null) {
    return (
      <Center h={200} role="status" aria-live="polite">
        <Loader size="sm" aria-hidden />
        <Text size="sm" ml="xs">
          {t("documents.detail.previewLoading")}
        </Text>
      </Center>
    );
  }
  return kind === "image" ? (
    <img
      src={current.url}
      alt={t("documents.detail.preview") + ": " + doc.title}
      style={{ maxWidth: "100%", maxHeight: 480, objectFit: "contain", alignSelf: "flex-start", border: "1px solid var(--mantine-color-default-border)" }}
    />
  ) : (
    <iframe
      src={current.url}
      title={t("documents.detail.preview") + ": " + doc.title}
      style={{ width: "100%", height, border: "1px solid var(--mantine-color-default-border)" }}
    />
  );
}
