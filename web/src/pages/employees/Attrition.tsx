// Attrition risk (hr and admin): a person's card on their page, and the list's badge.
// The API decides who may see it (403 otherwise); these only leave out what it refused.
import { Badge, Button, Group, List, Paper, Skeleton, Stack, Text, Title, VisuallyHidden } from "@mantine/core";
import {
  IconAlertCircle,
  IconAlertTriangle,
  IconArrowDownRight,
  IconArrowRight,
  IconArrowUpRight,
  IconCircleCheck,
  IconRefresh,
} from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatDate, formatNumber, formatPercent } from "../../lib/format";
import {
  plainName,
  riskByEmployee,
  riskLevel,
  riskRefusal,
  topFactors,
  type AttritionRisk,
  type Direction,
  type FactorWording,
  type RiskLevel,
} from "./attrition";

/** Every current employee's score in one request (retrained daily: kept a while). */
export const ALL_RISKS = 10_000;

// Module-level, so react-query keeps the map until the data changes (not each render).
const scoresById = (data: AttritionRisk) => riskByEmployee(data.items);

export function useRiskScores(enabled: boolean) {
  return useQuery({
    queryKey: ["attrition-risk", { limit: ALL_RISKS }],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/analytics/attrition-risk", { params: { query: { limit: ALL_RISKS } } })),
    select: scoresById,
    enabled,
    staleTime: 30 * 60_000,
    gcTime: 60 * 60_000,
  });
}

const LEVEL_LOOK: Record<RiskLevel, { color: string; Icon: typeof IconCircleCheck }> = {
  low: { color: "green", Icon: IconCircleCheck },
  medium: { color: "yellow", Icon: IconAlertCircle },
  high: { color: "red", Icon: IconAlertTriangle },
};

/** The risk as a percentage in a badge of its level's colour, with an icon and the level
 * in words for screen readers (never colour alone). */
export function RiskBadge({ risk }: { risk: number }) {
  const { t } = useTranslation();
  const level = riskLevel(risk);
  const look = LEVEL_LOOK[level];
  const label = t(`employees.risk.level.${level}`);
  return (
    <Badge
      variant="light"
      color={look.color}
      leftSection={<look.Icon size={12} aria-hidden />}
      title={label}
      style={{ minWidth: "max-content" }}
    >
      {formatPercent(risk, 0)}
      <VisuallyHidden>, {label}</VisuallyHidden>
    </Badge>
  );
}

const DIRECTION_ICON: Record<Direction, typeof IconArrowUpRight> = {
  raises: IconArrowUpRight,
  lowers: IconArrowDownRight,
  neutral: IconArrowRight,
};

function FactorLine({ factor }: { factor: FactorWording }) {
  const { t } = useTranslation();
  const Icon = DIRECTION_ICON[factor.direction];
  const label = factor.known ? t(`employees.risk.factor.${factor.name}`) : plainName(factor.name);
  return (
    <List.Item icon={<Icon size={16} aria-hidden />}>
      <Text size="sm">
        {t("employees.risk.factorLine", { factor: label, direction: t(`employees.risk.direction.${factor.direction}`) })}
      </Text>
    </List.Item>
  );
}

/** One person's attrition risk: the percentage and its level, the model's horizon, the
 * three factors that weigh most, and how well the model did on its backtest. */
export function AttritionCard({ employeeId }: { employeeId: string }) {
  const { t } = useTranslation();
  const title = t("employees.risk.title");
  const query = useQuery({
    queryKey: ["attrition-risk", { employee_id: employeeId }],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/analytics/attrition-risk", {
          params: { query: { employee_id: employeeId } },
        }),
      ),
    staleTime: 5 * 60_000,
  });
  const refusal = query.isError ? riskRefusal(query.error) : null;
  // Not for this user after all: nothing to show.
  if (refusal === "forbidden") return null;

  const retry = (
    <Button
      size="xs"
      variant="light"
      leftSection={<IconRefresh size={14} aria-hidden />}
      loading={query.isFetching}
      onClick={() => void query.refetch()}
    >
      {t("common.retry")}
    </Button>
  );

  let body;
  if (query.isPending) {
    body = (
      <Stack gap={6} role="status" aria-label={t("common.loading")}>
        <Skeleton height={28} width="30%" />
        <Skeleton height={12} width="60%" />
        <Skeleton height={12} width="50%" />
      </Stack>
    );
  } else if (query.isError) {
    if (refusal === "not_ready") {
      body = (
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{t("employees.risk.notReady")}</Text>
          {retry}
        </Stack>
      );
    } else if (refusal === "too_little_history") {
      body = <Text size="sm">{query.error.message}</Text>;
    } else {
      body = (
        <Stack gap="xs" align="flex-start">
          <ErrorMessage error={query.error} />
          {retry}
        </Stack>
      );
    }
  } else {
    const { model, items } = query.data;
    const item = items.find((entry) => entry.employee_id === employeeId);
    const quality = t("employees.risk.quality", {
      count: model.samples,
      auc: formatNumber(model.auc, 2),
      samples: formatNumber(model.samples),
    });
    const trained = t("employees.risk.trained", { date: formatDate(model.trained_at) });
    if (item === undefined) {
      body = (
        <Stack gap={4}>
          <Text size="sm">{t("employees.risk.noScore")}</Text>
          <Text size="xs" c="dimmed">
            {quality} · {trained}
          </Text>
        </Stack>
      );
    } else {
      const level = riskLevel(item.risk);
      const look = LEVEL_LOOK[level];
      const factors = topFactors(item.factors, 3);
      body = (
        <Stack gap="sm">
          <div>
            <Group gap="sm" align="center">
              <Text fz={32} fw={700} lh={1.1}>
                {formatPercent(item.risk, 0)}
              </Text>
              <Badge variant="light" color={look.color} leftSection={<look.Icon size={12} aria-hidden />}>
                {t(`employees.risk.level.${level}`)}
              </Badge>
            </Group>
            <Text size="sm" c="dimmed">
              {t("employees.risk.horizon", { count: model.horizon_months })}
            </Text>
          </div>
          {factors.length > 0 && (
            <div>
              <Title order={3} size="h6" mb={4}>
                {t("employees.risk.factorsTitle")}
              </Title>
              <List spacing={4} size="sm" center>
                {factors.map((factor) => (
                  <FactorLine key={factor.name} factor={factor} />
                ))}
              </List>
            </div>
          )}
          <div>
            <Text size="xs" c="dimmed">
              {quality} · {trained}
            </Text>
            <Text size="xs" c="dimmed">
              {t("employees.risk.caveat")}
            </Text>
          </div>
        </Stack>
      );
    }
  }

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {body}
    </Paper>
  );
}
