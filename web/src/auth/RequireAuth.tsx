import { Button, Center, Loader, Paper, Stack, Text, Title } from "@mantine/core";
import { useNetwork } from "@mantine/hooks";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useLocation, useNavigate } from "react-router";

import { useAuth } from "./AuthContext";
import { session } from "./session";

/** Children only for a signed-in user with a known profile, or, started offline (or on
 * a network that does not answer), for the owner of the offline copy (the layout then
 * offers its offline pages only); otherwise
 * the sign-in page, or a page that says the session has ended or needs the network. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { state, me, offlineCopy, slowStart } = useAuth();
  const location = useLocation();
  const { online } = useNetwork();
  if (state === "signed_out") {
    // After signing out on purpose, the next person starts from a plain sign-in page.
    if (session.signedOutByUser) return <Navigate to="/login" replace />;
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (state === "expired") return <SessionEnded />;
  // Started offline, or online in name only (the server has not answered): the saved copy.
  if (state === "unknown" && offlineCopy !== null && (!online || slowStart)) return children;
  if (state === "unknown" && !online) return <Offline />;
  if (me === null) {
    return (
      <Center h="100vh" role="status" aria-live="polite">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  return children;
}

/** A page instead of the app, saying why (the session ended, the network is gone). */
function Notice({ title, text, children }: { title: string; text: string; children?: ReactNode }) {
  return (
    <Center h="100vh" p="md">
      <Paper withBorder p="xl" maw={440} radius="md">
        <Stack>
          <Title order={1} size="h2">
            {title}
          </Title>
          <Text>{text}</Text>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

function SessionEnded() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <Notice title={t("auth.sessionEnded")} text={t("auth.sessionEndedText")}>
      <Button
        onClick={() => {
          void navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
        }}
      >
        {t("auth.signInAgain")}
      </Button>
    </Notice>
  );
}

function Offline() {
  const { t } = useTranslation();
  return <Notice title={t("auth.offline")} text={t("auth.offlineText")} />;
}
