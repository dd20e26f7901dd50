import { Group, Text } from "@mantine/core";
import { IconAlertTriangle, IconClockExclamation } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

import { formatDate, today } from "../../lib/format";
import { expiryState } from "./categories";

/** An expiry date, with "Expired" or "Expires in N days" in words and an icon (never
 * colour alone). */
export function Expiry({ value }: { value: string | null | undefined }) {
  const { t } = useTranslation();
  const { state, days } = expiryState(value, today());
  if (state === "none") return <Text size="sm" c="dimmed">—</Text>;
  if (state === "later") return <Text size="sm">{formatDate(value)}</Text>;
  const expired = state === "expired";
  const Icon = expired ? IconAlertTriangle : IconClockExclamation;
  return (
    <Group gap={4} wrap="nowrap">
      <Icon size={16} aria-hidden color={expired ? "var(--mantine-color-red-7)" : "var(--mantine-color-orange-7)"} />
      {/* Text colours that keep 4.5:1 on a striped row: dark red, or the body colour
          (the icon carries the orange). */}
      <Text size="sm" c={expired ? "red.9" : undefined} fw={600} style={{ whiteSpace: "nowrap" }}>
        {formatDate(value)} ·{" "}
        {expired ? t("documents.expired") : state === "today" ? t("documents.expiresToday") : t("documents.expiresSoon", { days })}
      </Text>
    </Group>
  );
}
