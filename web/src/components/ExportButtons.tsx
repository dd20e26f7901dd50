import { Button, Group } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDownload } from "@tabler/icons-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { download, queryString } from "../lib/download";
import { describeError } from "./ErrorMessage";

/** "Export CSV" and "Export XLSX" of a list: every matching row through the API's
 * `format=` (an audited export), with the list's filters. */
export function ExportButtons({
  path,
  query,
  name,
}: {
  path: string;
  query: Record<string, string | number | boolean | null | undefined>;
  name: string;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState<"csv" | "xlsx" | null>(null);

  const run = async (format: "csv" | "xlsx") => {
    setBusy(format);
    try {
      await download(`${path}${queryString({ ...query, format })}`, `${name}.${format}`);
      notifications.show({ color: "green", message: t("common.exported") });
    } catch (error) {
      notifications.show({ color: "red", title: t("common.errorTitle"), message: describeError(error, t) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <Group gap="xs">
      {(["csv", "xlsx"] as const).map((format) => (
        <Button
          key={format}
          variant="default"
          size="sm"
          leftSection={<IconDownload size={16} aria-hidden />}
          loading={busy === format}
          disabled={busy !== null && busy !== format}
          onClick={() => void run(format)}
        >
          {format === "csv" ? t("common.exportCsv") : t("common.exportXlsx")}
        </Button>
      ))}
    </Group>
  );
}
