import { Alert } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";

import { ApiError } from "../api/errors";

/** What to tell a user of an error, in words (never swallowed). */
export function describeError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return t("common.networkError");
    if (error.status === 429) {
      const minutes = error.retryAfter === null ? null : Math.ceil(error.retryAfter / 60);
      return minutes !== null && minutes > 1
        ? t("common.throttled", { minutes })
        : t("common.throttledSoon");
    }
    if (error.status === 412) return t("common.conflictStale");
    return error.message;
  }
  return error instanceof Error ? error.message : t("common.errorTitle");
}

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" icon={<IconAlertCircle aria-hidden />} title={title ?? t("common.errorTitle")} role="alert">
      {describeError(error, t)}
    </Alert>
  );
}
