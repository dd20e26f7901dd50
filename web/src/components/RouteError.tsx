import { Alert, Button, Center, Stack } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useRouteError } from "react-router";

import { ApiError } from "../api/errors";

/** A page that failed to load or render: the reason in words and a way on. */
export function RouteError() {
  const error = useRouteError();
  const { t } = useTranslation();
  const message = error instanceof ApiError ? error.message : t("common.errorTitle");
  return (
    <Center p="xl">
      <Stack maw={480}>
        <Alert color="red" title={t("common.errorTitle")} role="alert">
          {message}
        </Alert>
        <Button
          onClick={() => {
            window.location.reload();
          }}
        >
          {t("common.reload")}
        </Button>
      </Stack>
    </Center>
  );
}
