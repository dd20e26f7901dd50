import { Badge, Button, Collapse, Group } from "@mantine/core";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import { IconFilter } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** A list's filters: in a row on a wide screen; behind a "Filters" button (with how
 * many are set) on a phone, so the rows come first. */
export function ListFilters({ active, children }: { active: number; children: ReactNode }) {
  const { t } = useTranslation();
  const phone = useMediaQuery("(max-width: 48em)", false);
  const [opened, { toggle }] = useDisclosure(false);
  const row = (
    <Group align="end" gap="sm">
      {children}
    </Group>
  );
  if (!phone) return row;
  return (
    <>
      <Button
        variant="default"
        leftSection={<IconFilter size={16} aria-hidden />}
        rightSection={active > 0 ? <Badge size="sm" circle>{active}</Badge> : null}
        onClick={toggle}
        aria-expanded={opened}
        w="fit-content"
      >
        {t("common.filters")}
      </Button>
      <Collapse expanded={opened}>{row}</Collapse>
    </>
  );
}
