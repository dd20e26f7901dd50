import { Alert, Anchor, Button, Group, Paper, Progress, SimpleGrid, Stack, Switch, Table, Text, Title } from "@mantine/core";
import type { FileRejection } from "@mantine/dropzone";
import { notifications } from "@mantine/notifications";
import {
  IconAlertCircle,
  IconCircleCheck,
  IconDownload,
  IconFileSpreadsheet,
  IconFileImport,
} from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { isStaff, useMe } from "../../auth/AuthContext";
import { BackLink } from "../../components/BackLink";
import { FileDrop } from "../../components/FileDrop";
import { describeError } from "../../components/ErrorMessage";
import { download } from "../../lib/download";
import { formatBytes, formatNumber } from "../../lib/format";
import {
  busy,
  canImport,
  errorsByColumn,
  importErrorText,
  importReducer,
  initialImport,
  sendImport,
  SENSITIVE_COLUMNS,
  shownErrors,
  type ImportResult,
} from "./importLogic";

// What a file chooser offers (the server decides what it reads: a CSV or an XLSX).
const ACCEPT = {
  "text/csv": [".csv"],
  "application/vnd.ms-excel": [".csv"],
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
};

/** `/employees/import` (hr, admin): a file is checked with a dry run as soon as it is
 * chosen; Import writes it once the check found no problem. The API decides who may. */
export function ImportPage() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const [state, dispatch] = useReducer(importReducer, initialImport);
  const [rejected, setRejected] = useState<string | null>(null);
  const sent = useRef(0);

  // Each check or import is sent once per run; a newer choice aborts a check under way.
  const { run, phase, file, createDepartments } = state;
  useEffect(() => {
    if ((phase !== "checking" && phase !== "importing") || file === null) return;
    const dryRun = phase === "checking";
    // An import is never sent twice (a development remount must not repeat it).
    if (!dryRun && sent.current === run) return;
    sent.current = run;
    const controller = new AbortController();
    sendImport(
      file,
      { dryRun, createDepartments },
      {
        onProgress: (fraction) => {
          dispatch({ type: "progress", run, fraction });
        },
        signal: controller.signal,
      },
    )
      .then(async (result) => {
        dispatch({ type: "answered", run, result });
        if (!dryRun) {
          notifications.show({
            color: "green",
            message: t("imports.done", {
              created: result.created,
              updated: result.updated,
              count: result.created + result.updated + result.unchanged,
            }),
          });
          await Promise.all([
            client.invalidateQueries({ queryKey: ["employees"] }),
            client.invalidateQueries({ queryKey: ["departments"] }),
          ]);
        }
      })
      .catch((error: unknown) => {
        if (error instanceof DOMException && error.name === "AbortError") return;
        dispatch({ type: "failed", run, error });
      });
    return () => {
      // A check is only a question: abort it. An import already sent is left to finish.
      if (dryRun) controller.abort();
    };
  }, [run, phase, file, createDepartments, client, t]);

  if (!isStaff(me.role)) {
    return (
      <Stack>
        <BackLink to="/employees" label={t("employees.allEmployees")} />
        <Title order={1}>{t("imports.title")}</Title>
        <Alert color="red" icon={<IconAlertCircle aria-hidden />} role="alert">
          {t("imports.forbidden")}
        </Alert>
      </Stack>
    );
  }

  const working = busy(state);
  const choose = (files: File[]) => {
    const chosen = files[0];
    if (chosen === undefined) return;
    setRejected(null);
    dispatch({ type: "choose", file: chosen });
  };
  const reject = (rejections: FileRejection[]) => {
    const reason = rejections[0]?.errors.map((e) => e.message).join("; ") ?? "";
    setRejected(t("imports.rejected", { reason: reason.endsWith(".") ? reason : `${reason}.` }));
  };

  return (
    <Stack>
      <BackLink to="/employees" label={t("employees.allEmployees")} />
      <Title order={1}>{t("imports.title")}</Title>
      <Text size="sm" maw={760}>
        {t("imports.intro")}
      </Text>
      <Templates />

      {state.phase === "imported" && state.result !== null ? (
        <Done
          result={state.result}
          onAnother={() => {
            dispatch({ type: "reset" });
          }}
        />
      ) : (
        <>
          <div>
            <FileDrop
              onDrop={choose}
              onReject={reject}
              accept={ACCEPT}
              disabled={working}
              label={t("imports.file")}
              describedBy="import-file-status"
              idleIcon={<IconFileSpreadsheet size={40} aria-hidden />}
              title={t("imports.drop")}
              hint={t("imports.dropHint")}
              minHeight={100}
            />
            <Text
              id="import-file-status"
              size="sm"
              mt={4}
              c={rejected ? "red.8" : undefined}
              role={rejected ? "alert" : undefined}
            >
              {rejected ?? (state.file ? t("imports.chosen", { name: state.file.name, size: formatBytes(state.file.size) }) : "")}
            </Text>
          </div>
          <Switch
            label={t("imports.createDepartments")}
            description={t("imports.createDepartmentsHint")}
            checked={state.createDepartments}
            disabled={working}
            onChange={(event) => {
              dispatch({ type: "departments", value: event.currentTarget.checked });
            }}
          />
          {working && <Working phase={state.phase} progress={state.progress ?? 0} />}
          {state.error !== null && state.failedStep !== null && (
            <Alert
              color="red"
              icon={<IconAlertCircle aria-hidden />}
              title={state.failedStep === "check" ? t("imports.error.checkTitle") : t("imports.error.importTitle")}
              role="alert"
            >
              <Text size="sm">{importErrorText(state.error, t, state.failedStep)}</Text>
              {state.failedStep === "check" && state.file !== null && (
                <Button
                  mt="sm"
                  size="xs"
                  variant="white"
                  color="red"
                  onClick={() => {
                    dispatch({ type: "recheck" });
                  }}
                >
                  {t("imports.checkAgain")}
                </Button>
              )}
            </Alert>
          )}
          {state.check !== null && <CheckResult result={state.check} />}
          {state.file !== null && (
            <Group>
              <Button
                leftSection={<IconFileImport size={16} aria-hidden />}
                disabled={!canImport(state)}
                loading={state.phase === "importing"}
                aria-describedby={canImport(state) ? undefined : "import-disabled-hint"}
                onClick={() => {
                  dispatch({ type: "import" });
                }}
              >
                {t("imports.import")}
              </Button>
              {!canImport(state) && !working && (
                <Text id="import-disabled-hint" size="sm" c="dimmed">
                  {t("imports.importDisabledHint")}
                </Text>
              )}
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}

/** The template in each format (through the API: the token never goes into a URL). */
function Templates() {
  const { t } = useTranslation();
  const [loading, setLoading] = useState<"csv" | "xlsx" | null>(null);
  const get = async (format: "csv" | "xlsx") => {
    setLoading(format);
    try {
      await download(`/api/v1/imports/employees/template?format=${format}`, `employees-template.${format}`);
    } catch (error) {
      notifications.show({ color: "red", title: t("common.errorTitle"), message: describeError(error, t) });
    } finally {
      setLoading(null);
    }
  };
  return (
    <Group gap="xs">
      <Text size="sm">{t("imports.templates")}</Text>
      {(["csv", "xlsx"] as const).map((format) => (
        <Button
          key={format}
          size="xs"
          variant="default"
          leftSection={<IconDownload size={14} aria-hidden />}
          loading={loading === format}
          onClick={() => void get(format)}
        >
          {format === "csv" ? t("imports.templateCsv") : t("imports.templateXlsx")}
        </Button>
      ))}
    </Group>
  );
}

/** While the file goes up: how much is sent; then the server's part, of unknown length. */
function Working({ phase, progress }: { phase: string; progress: number }) {
  const { t } = useTranslation();
  const percent = Math.round(progress * 100);
  const sentAll = percent >= 100;
  const label =
    phase === "importing"
      ? sentAll
        ? t("imports.importingServer")
        : t("imports.importing", { percent })
      : sentAll
        ? t("imports.checking")
        : t("imports.uploading", { percent });
  return (
    <div>
      <Text size="sm" id="import-progress-label" aria-live="polite">
        {label}
      </Text>
      <Progress
        value={sentAll ? 100 : percent}
        striped={sentAll}
        animated={sentAll}
        aria-labelledby="import-progress-label"
      />
    </div>
  );
}

function Counts({ result, title }: { result: ImportResult; title: string }) {
  const { t } = useTranslation();
  const items = [
    ["created", result.created],
    ["updated", result.updated],
    ["unchanged", result.unchanged],
    ...(result.departments_created > 0 ? [["departmentsCreated", result.departments_created] as const] : []),
  ] as const;
  return (
    <section aria-label={title}>
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
        {items.map(([key, value]) => (
          <Paper key={key} withBorder p="sm" radius="md" role="group" aria-label={t(`imports.${key}`)}>
            <Text size="xs" c="dimmed">
              {t(`imports.${key}`)}
            </Text>
            <Text size="xl" fw={600}>
              {formatNumber(value)}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>
    </section>
  );
}

function CheckResult({ result }: { result: ImportResult }) {
  const { t } = useTranslation();
  const valid = result.error_count === 0;
  const changes = result.created + result.updated + result.departments_created;
  return (
    <Stack>
      <Counts result={result} title={t("imports.summaryTitle")} />
      {valid ? (
        <Alert color="green" icon={<IconCircleCheck aria-hidden />} role="status">
          {changes > 0 ? t("imports.readyToImport") : t("imports.nothingToChange")}
        </Alert>
      ) : (
        <RowErrors result={result} />
      )}
      <Preview result={result} />
    </Stack>
  );
}

function RowErrors({ result }: { result: ImportResult }) {
  const { t } = useTranslation();
  const { rows, more } = shownErrors(result);
  const columns = errorsByColumn(result.errors)
    .map(({ field, rows: count }) => t("imports.columnRows", { field: field === "row" ? t("imports.wholeRow") : field, count }))
    .join(", ");
  return (
    <Paper withBorder p="md" radius="md">
      <Group gap="xs" mb={4}>
        <IconAlertCircle size={18} color="var(--mantine-color-red-8)" aria-hidden />
        <Title order={2} size="h4">
          {t("imports.errorsTitle", { count: Math.max(result.error_count, result.errors.length) })}
        </Title>
      </Group>
      <Text size="sm">{t("imports.errorsHint")}</Text>
      <Text size="sm" c="dimmed" mb="sm">
        {t("imports.errorsByColumn", { list: columns })}
      </Text>
      <Table.ScrollContainer minWidth={480} mah={420}>
        <Table striped withTableBorder verticalSpacing={4} stickyHeader aria-label={t("imports.errorsTable")}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={80}>{t("imports.errorRow")}</Table.Th>
              <Table.Th w={200}>{t("imports.errorField")}</Table.Th>
              <Table.Th>{t("imports.errorMessage")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((error, index) => (
              <Table.Tr key={`${error.row}-${error.field}-${index}`}>
                <Table.Td>{error.row}</Table.Td>
                <Table.Td>
                  {error.field === "row" ? (
                    t("imports.wholeRow")
                  ) : (
                    <Text span size="sm" ff="monospace">
                      {error.field}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{error.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {more > 0 && (
        <Text size="sm" mt="xs">
          {t("imports.moreErrors", { count: more })}
        </Text>
      )}
    </Paper>
  );
}

function Preview({ result }: { result: ImportResult }) {
  const { t } = useTranslation();
  const [show, setShow] = useState(false);
  const { columns, rows } = result.preview;
  const sensitive = columns.some((column) => SENSITIVE_COLUMNS.has(column));
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {t("imports.previewTitle")}
        </Title>
        {sensitive && (
          <Switch
            size="sm"
            label={t("imports.showSensitive")}
            checked={show}
            onChange={(event) => {
              setShow(event.currentTarget.checked);
            }}
          />
        )}
      </Group>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t("imports.previewEmpty")}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={Math.min(2400, 120 * (columns.length + 1))}>
          <Table striped withTableBorder verticalSpacing={4} aria-label={t("imports.previewTable")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("imports.previewRow")}</Table.Th>
                {columns.map((column) => (
                  <Table.Th key={column}>
                    <Text span size="sm" fw={600} ff="monospace">
                      {column}
                    </Text>
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row, index) => (
                // The header is row 1 of the file: the first data row is row 2.
                <Table.Tr key={index}>
                  <Table.Td>{index + 2}</Table.Td>
                  {columns.map((column, at) => {
                    const value = row[at] ?? "";
                    const masked = SENSITIVE_COLUMNS.has(column) && !show && value !== "";
                    return (
                      <Table.Td key={column}>
                        {masked ? <span aria-label={t("employees.hidden")}>{t("imports.hiddenValue")}</span> : value}
                      </Table.Td>
                    );
                  })}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}

function Done({ result, onAnother }: { result: ImportResult; onAnother: () => void }) {
  const { t } = useTranslation();
  return (
    <Paper withBorder p="md" radius="md">
      <Stack>
        <Alert color="green" icon={<IconCircleCheck aria-hidden />} role="status">
          {t("imports.done", {
            created: result.created,
            updated: result.updated,
            count: result.created + result.updated + result.unchanged,
          })}
        </Alert>
        <Counts result={result} title={t("imports.doneTitle")} />
        <Group>
          <Anchor component={Link} to="/employees">
            {t("imports.backToList")}
          </Anchor>
          <Button variant="default" onClick={onAnother}>
            {t("imports.importAnother")}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
