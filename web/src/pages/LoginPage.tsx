import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { jsonOrNull } from "../api/client";
import { toApiError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { signIn } from "../auth/session";
import { describeError } from "../components/ErrorMessage";

/** Where to go after signing in: a path of this app only (never another site). */
export function safeNext(next: string | null): string {
  if (next === null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}

export function LoginPage() {
  const { t } = useTranslation();
  const { state } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { email: "", password: "" },
    validate: {
      email: (value) => (value.trim() ? null : t("common.required")),
      password: (value) => (value ? null : t("common.required")),
    },
  });
  const next = safeNext(params.get("next"));

  if (state === "signed_in") return <Navigate to={next} replace />;

  const submit = form.onSubmit(async ({ email, password }) => {
    setBusy(true);
    setError(null);
    try {
      const response = await signIn(email.trim(), password);
      if (response.ok) {
        void navigate(next, { replace: true });
        return;
      }
      const problem = toApiError(response, await jsonOrNull(response));
      setError(problem.status === 401 ? t("auth.badCredentials") : describeError(problem, t));
    } catch (cause) {
      setError(describeError(cause, t) || t("common.networkError"));
    } finally {
      setBusy(false);
    }
  });

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420} component="main">
        <form onSubmit={submit} noValidate>
          <Stack>
            <div>
              <Title order={1} size="h2">
                {t("auth.signInTitle")}
              </Title>
              <Text c="dimmed" size="sm">
                {t("auth.signInSubtitle")}
              </Text>
            </div>
            {error !== null && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label={t("auth.email")}
              type="email"
              autoComplete="username"
              required
              autoFocus
              {...form.getInputProps("email")}
            />
            <PasswordInput
              label={t("auth.password")}
              autoComplete="current-password"
              required
              // Its own name must not contain "password": the field alone answers to it.
              visibilityToggleButtonProps={{ "aria-label": t("auth.showCharacters") }}
              {...form.getInputProps("password")}
            />
            <Button type="submit" loading={busy}>
              {t("auth.signIn")}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
