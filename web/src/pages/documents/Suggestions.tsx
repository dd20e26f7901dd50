import { Alert, Button, Group, Loader, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconBulb } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import { describeError } from "../../components/ErrorMessage";
import { formatDate } from "../../lib/format";
import type { DocumentRecord } from "../../lib/queries";
import { type Category, isCategory } from "./categories";

export interface Suggested {
  /** The job has not read the current version yet. */
  checking: boolean;
  /** A category to offer: another than the document's, or the same one not yet confirmed. */
  category: { value: Category; percent: number | null; differs: boolean } | null;
  /** An expiry date the text states, offered while the document has none. */
  expiry: string | null;
}

/** What the document drawer offers from the processing job's findings. */
export function suggestedFor(doc: DocumentRecord): Suggested {
  if (!doc.processed) return { checking: true, category: null, expiry: null };
  const value = doc.suggested_category;
  const differs = value !== doc.category;
  const category =
    isCategory(value) && (differs || doc.category_reviewed_at === null)
      ? {
          value,
          percent: doc.category_confidence === null ? null : Math.round(doc.category_confidence * 100),
          differs,
        }
      : null;
  const expiry = doc.expires_on === null && doc.suggested_expires_on ? doc.suggested_expires_on : null;
  return { checking: false, category, expiry };
}

/** The job's findings with the buttons that apply them (a PATCH like any edit: the
 * server decides who may, and records hr's choice as a reviewed category). */
export function Suggestions({
  document: doc,
  etag,
  staff,
  onStale,
}: {
  document: DocumentRecord;
  etag: string | null;
  staff: boolean;
  onStale: () => void;
}) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const found = suggestedFor(doc);

  const apply = async (body: { category?: Category; expires_on?: string }, message: string) => {
    setBusy(true);
    try {
      unwrap(
        await api.PATCH("/api/v1/documents/{document_id}", {
          params: { path: { document_id: doc.id }, header: { "if-match": etag } },
          body,
        }),
      );
      notifications.show({ color: "green", message });
      await client.invalidateQueries({ queryKey: ["documents"] });
    } catch (error) {
      notifications.show({ color: "red", title: t("common.errorTitle"), message: describeError(error, t) });
      if (error instanceof ApiError && error.status === 412) onStale();
    } finally {
      setBusy(false);
    }
  };

  if (found.checking) {
    return (
      <Group gap="xs" role="status">
        <Loader size="xs" aria-hidden />
        <Text size="sm" c="dimmed">
          {t("documents.suggest.checking")}
        </Text>
      </Group>
    );
  }
  const category = staff ? found.category : null;
  if (category === null && found.expiry === null) return null;
  const current = isCategory(doc.category) ? t(`documents.category.${doc.category}`) : doc.category;
  return (
    <Alert variant="light" color="blue" icon={<IconBulb size={18} aria-hidden />} title={t("documents.suggest.title")}>
      <Stack gap="sm">
        {category !== null && (
          <Stack gap={6}>
            <Text size="sm">
              {category.differs
                ? t("documents.suggest.category", {
                    category: t(`documents.category.${category.value}`),
                    percent: category.percent ?? "?",
                  })
                : t("documents.suggest.categoryMatches", { category: current, percent: category.percent ?? "?" })}
            </Text>
            <Group gap="xs">
              {category.differs && (
                <Button
                  size="xs"
                  loading={busy}
                  onClick={() =>
                    void apply(
                      { category: category.value },
                      t("documents.suggest.categorySet", { category: t(`documents.category.${category.value}`) }),
                    )
                  }
                >
                  {t("documents.suggest.useCategory", { category: t(`documents.category.${category.value}`) })}
                </Button>
              )}
              {isCategory(doc.category) && (
                <Button
                  size="xs"
                  variant={category.differs ? "default" : "filled"}
                  loading={busy}
                  onClick={() =>
                    void apply({ category: doc.category as Category }, t("documents.suggest.categoryKept", { category: current }))
                  }
                >
                  {category.differs ? t("documents.suggest.keepCategory", { category: current }) : t("documents.suggest.confirm")}
                </Button>
              )}
            </Group>
          </Stack>
        )}
        {found.expiry !== null && (
          <Stack gap={6}>
            <Text size="sm">{t("documents.suggest.expiry", { date: formatDate(found.expiry) })}</Text>
            <Group gap="xs">
              <Button
                size="xs"
                variant="default"
                loading={busy}
                onClick={() =>
                  void apply(
                    { expires_on: found.expiry ?? undefined },
                    t("documents.suggest.expirySet", { date: formatDate(found.expiry) }),
                  )
                }
              >
                {t("documents.suggest.setExpiry")}
              </Button>
            </Group>
          </Stack>
        )}
      </Stack>
    </Alert>
  );
}
