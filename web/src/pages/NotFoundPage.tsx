import { Button, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Stack maw={480}>
      <Title order={1}>{t("common.notFound")}</Title>
      <Text>{t("common.notFoundText")}</Text>
      <Button component={Link} to="/" w="fit-content">
        {t("common.backHome")}
      </Button>
    </Stack>
  );
}
