// The service worker's life as the user sees it (vite-plugin-pwa, prompt mode): a new
// version waits until the user chooses "Reload to update", so no page changes under
// someone's unsaved form. Registered once, when the app starts.
import { Button, Group, Notification, Portal } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useRegisterSW } from "virtual:pwa-register/react";

export function UpdatePrompt() {
  const { t } = useTranslation();
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    updateServiceWorker,
  } = useRegisterSW({ immediate: true });
  if (!needRefresh) return null;
  return (
    <Portal>
      <Notification
        role="alert"
        title={t("common.updateReady")}
        onClose={() => {
          setNeedRefresh(false);
        }}
        closeButtonProps={{ "aria-label": t("common.close") }}
        style={{ position: "fixed", bottom: 16, right: 16, left: 16, maxWidth: 420, marginLeft: "auto", zIndex: 400 }}
      >
        <Group justify="flex-end" mt="xs">
          <Button size="sm" onClick={() => void updateServiceWorker(true)}>
            {t("common.reloadToUpdate")}
          </Button>
        </Group>
      </Notification>
    </Portal>
  );
}
