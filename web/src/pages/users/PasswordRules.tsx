import { List, Text, ThemeIcon, VisuallyHidden } from "@mantine/core";
import { IconCheck, IconPoint } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

import { MIN_PASSWORD_LENGTH, passwordRules } from "./userLogic";

/** The password rules, each marked kept or not yet (icon and words, not colour alone). */
export function PasswordRules({ password, email, id }: { password: string; email: string; id: string }) {
  const { t } = useTranslation();
  return (
    <div id={id}>
      <Text size="sm" c="dimmed">
        {t("users.passwordRulesTitle")}
      </Text>
      <List size="sm" spacing={2} center>
        {passwordRules(password, email).map(({ rule, ok }) => (
          <List.Item
            key={rule}
            icon={
              <ThemeIcon color={ok ? "teal" : "gray"} variant="light" size={18} radius="xl">
                {ok ? <IconCheck size={12} aria-hidden /> : <IconPoint size={12} aria-hidden />}
              </ThemeIcon>
            }
          >
            {t(`users.passwordRule.${rule}`, { min: MIN_PASSWORD_LENGTH })}
            <VisuallyHidden>
              {" "}
              ({ok ? t("users.passwordKept") : t("users.passwordBroken")})
            </VisuallyHidden>
          </List.Item>
        ))}
      </List>
    </div>
  );
}
