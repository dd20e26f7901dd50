import { Badge } from "@mantine/core";
import { IconCircleCheck, IconCircleX, IconClockPause } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

const LOOK = {
  active: { color: "green", Icon: IconCircleCheck },
  on_leave: { color: "yellow", Icon: IconClockPause },
  terminated: { color: "gray", Icon: IconCircleX },
} as const;

/** A status in words and an icon, never colour alone. */
export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  const look = status in LOOK ? LOOK[status as keyof typeof LOOK] : LOOK.active;
  return (
    <Badge
      variant="light"
      color={look.color}
      leftSection={<look.Icon size={12} aria-hidden />}
      // Never cut to "A…" in a narrow column: the word is the status.
      style={{ minWidth: "max-content" }}
    >
      {t(`employees.status.${status}`, { defaultValue: status })}
    </Badge>
  );
}
