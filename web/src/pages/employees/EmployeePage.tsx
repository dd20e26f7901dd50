import {
  Anchor,
  Avatar,
  Button,
  Group,
  Pagination,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import {
  IconEraser,
  IconEye,
  IconEyeOff,
  IconFileUpload,
  IconFileZip,
  IconGavel,
  IconLock,
  IconLockOpen,
  IconPencil,
  IconUserOff,
} from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { isStaff, useMe } from "../../auth/AuthContext";
import { BackLink } from "../../components/BackLink";
import { describeError, ErrorMessage } from "../../components/ErrorMessage";
import { PageLoader } from "../../components/PageLoader";
import { formatDate, formatDateTime, formatMoney, initials } from "../../lib/format";
import { departmentNames, fullName, useDepartments, type Employee } from "../../lib/queries";
import { AttritionCard } from "./Attrition";
import { maySeeSensitive } from "./employeeForm";
import { hidden, PersonLink, useEmployee, type Revealable, type Revealed } from "./employeeParts";
import { exportPersonalData, isErased, rightsActions, rightsErrorText } from "./rights";
import { EraseModal, LegalHoldModal, ReleaseHoldModal, RightsBadges, RightsNotice } from "./RightsModals";
import { SelfServiceModal } from "./SelfServiceModal";
import { StatusBadge } from "./StatusBadge";
import { TerminateModal } from "./TerminateModal";

const TABS = ["profile", "history", "documents", "reports", "audit"] as const;
type Tab = (typeof TABS)[number];

export function EmployeePage() {
  const { id = "" } = useParams();
  // Keyed by id: moving to another person starts hidden again (nothing revealed carries over).
  return <EmployeeView key={id} id={id} />;
}

function EmployeeView({ id }: { id: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const detail = useEmployee(id);
  const [params, setParams] = useSearchParams();
  const [revealed, setRevealed] = useState<Revealed>({});
  const [showValues, setShowValues] = useState(false);
  const [terminating, setTerminating] = useState(false);
  const [selfEditing, setSelfEditing] = useState(false);
  const [rightsDialog, setRightsDialog] = useState<"hold" | "editHold" | "release" | "erase" | "finish" | null>(null);
  const [exporting, setExporting] = useState(false);

  if (detail.isPending) return <PageLoader />;
  if (detail.isError) {
    return (
      <Stack>
        <BackLink to="/employees" label={t("employees.allEmployees")} />
        <ErrorMessage error={detail.error} />
      </Stack>
    );
  }
  const { record } = detail.data;
  const staff = isStaff(me.role);
  const admin = me.role === "admin";
  const self = me.employee_id === id;
  const tabs = TABS.filter((tab) => tab !== "audit" || admin);
  const wanted = params.get("tab") as Tab | null;
  const tab: Tab = wanted !== null && tabs.includes(wanted) ? wanted : "profile";
  const name = fullName(record);
  // An erased record has no personal data left: no editing, uploads or sensitive fields.
  const erased = isErased(record);
  const rights = rightsActions(record, me.role);
  const exportData = async () => {
    setExporting(true);
    try {
      await exportPersonalData(id);
      notifications.show({ color: "green", message: t("employees.rights.exported") });
    } catch (error) {
      notifications.show({ color: "red", title: t("common.errorTitle"), message: rightsErrorText(error, t) });
    } finally {
      setExporting(false);
    }
  };
  // Who may upload for this person (DESIGN §4): hr/admin, the person, a manager over their
  // subtree (whose employment fields the API shows them). The API decides; this only
  // leaves out a button that could not work.
  const mayUpload = !erased && (staff || self || (me.role === "manager" && "status" in record));

  return (
    <Stack>
      <BackLink to="/employees" label={t("employees.allEmployees")} />
      <HeaderCard
        record={record}
        onFinishErasure={
          rights.finishErasure
            ? () => {
                setRightsDialog("finish");
              }
            : undefined
        }
        actions={
          <Group gap="xs">
            {staff && !erased && (
              <Button component={Link} to={`/employees/${id}/edit`} leftSection={<IconPencil size={16} aria-hidden />}>
                {t("common.edit")}
              </Button>
            )}
            {self && !staff && !erased && (
              <Button
                leftSection={<IconPencil size={16} aria-hidden />}
                onClick={() => {
                  setSelfEditing(true);
                }}
              >
                {t("employees.selfServiceTitle")}
              </Button>
            )}
            {mayUpload && (
              <Button
              component={Link}
              to={`/documents?employee_id=${id}&upload=1`}
              variant="default"
              leftSection={<IconFileUpload size={16} aria-hidden />}
            >
              {t("employees.uploadDocument")}
            </Button>
            )}
            {staff && record.status !== "terminated" && !erased && (
              <Button
                variant="outline"
                color="red"
                leftSection={<IconUserOff size={16} aria-hidden />}
                onClick={() => {
                  setTerminating(true);
                }}
              >
                {t("employees.terminate")}
              </Button>
            )}
            {rights.export && (
              <Button
                variant="default"
                leftSection={<IconFileZip size={16} aria-hidden />}
                loading={exporting}
                onClick={() => void exportData()}
              >
                {t("employees.rights.export")}
              </Button>
            )}
            {rights.placeHold && (
              <Button
                variant="default"
                leftSection={<IconGavel size={16} aria-hidden />}
                onClick={() => {
                  setRightsDialog("hold");
                }}
              >
                {t("employees.rights.placeHold")}
              </Button>
            )}
            {rights.editHold && (
              <Button
                variant="default"
                leftSection={<IconPencil size={16} aria-hidden />}
                onClick={() => {
                  setRightsDialog("editHold");
                }}
              >
                {t("employees.rights.editHold")}
              </Button>
            )}
            {rights.releaseHold && (
              <Button
                variant="default"
                leftSection={<IconLockOpen size={16} aria-hidden />}
                onClick={() => {
                  setRightsDialog("release");
                }}
              >
                {t("employees.rights.releaseHold")}
              </Button>
            )}
            {rights.erase && (
              <Button
                variant="outline"
                color="red"
                leftSection={<IconEraser size={16} aria-hidden />}
                onClick={() => {
                  setRightsDialog("erase");
                }}
              >
                {t("employees.rights.erase")}
              </Button>
            )}
          </Group>
        }
      />
      <Tabs
        value={tab}
        onChange={(value) => {
          setParams(
            (current) => {
              const next = new URLSearchParams(current);
              if (value === null || value === "profile") next.delete("tab");
              else next.set("tab", value);
              return next;
            },
            { replace: true },
          );
        }}
        keepMounted={false}
      >
        <Tabs.List style={{ flexWrap: "wrap" }}>
          {tabs.map((value) => (
            <Tabs.Tab key={value} value={value}>
              {t(`employees.tabs.${value}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="profile" pt="md">
          <Stack>
            <ProfileTab
              record={record}
              sensitive={!erased && maySeeSensitive(me, id)}
              erased={erased}
              revealed={revealed}
              onRevealed={(field, value) => {
                setRevealed((current) => ({ ...current, [field]: value }));
              }}
              onHide={(field) => {
                setRevealed((current) => hidden(current, field));
              }}
              showValues={showValues}
              onShowValues={setShowValues}
            />
            {/* hr and admin; only current employees are scored. */}
            {staff && record.status !== "terminated" && <AttritionCard employeeId={id} />}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <HistoryTab id={id} record={record} showValues={showValues} onShowValues={setShowValues} erased={erased} />
        </Tabs.Panel>
        <Tabs.Panel value="documents" pt="md">
          <DocumentsTab id={id} />
        </Tabs.Panel>
        <Tabs.Panel value="reports" pt="md">
          <ReportsTab id={id} />
        </Tabs.Panel>
        {admin && (
          <Tabs.Panel value="audit" pt="md">
            <AuditTab id={id} />
          </Tabs.Panel>
        )}
      </Tabs>
      {terminating && (
        <TerminateModal
          tagged={detail.data}
          name={name}
          onClose={() => {
            setTerminating(false);
          }}
          onReload={() => void detail.refetch()}
        />
      )}
      {(rightsDialog === "hold" || rightsDialog === "editHold") && (
        <LegalHoldModal
          id={id}
          name={name}
          current={rightsDialog === "editHold" ? (record.legal_hold?.reason ?? "") : undefined}
          onClose={() => {
            setRightsDialog(null);
          }}
        />
      )}
      {rightsDialog === "release" && (
        <ReleaseHoldModal
          id={id}
          name={name}
          onClose={() => {
            setRightsDialog(null);
          }}
        />
      )}
      {(rightsDialog === "erase" || rightsDialog === "finish") && (
        <EraseModal
          id={id}
          name={name}
          finish={rightsDialog === "finish" ? (record.erasure_reason ?? "") : undefined}
          onClose={() => {
            setRightsDialog(null);
          }}
        />
      )}
      {selfEditing && (
        <SelfServiceModal
          id={id}
          tagged={detail.data}
          addressShown={showValues}
          revealed={revealed}
          onRevealed={setRevealed}
          onClose={() => {
            setSelfEditing(false);
          }}
          onReload={async () => (await detail.refetch()).data}
        />
      )}
    </Stack>
  );
}


function HeaderCard({
  record,
  actions,
  onFinishErasure,
}: {
  record: Employee;
  actions: ReactNode;
  onFinishErasure?: () => void;
}) {
  const { t } = useTranslation();
  const departments = useDepartments();
  const department = record.department_id ? departmentNames(departments.data).get(record.department_id) : null;
  return (
    <Paper withBorder p="md" radius="md">
      <Group align="flex-start" wrap="nowrap" gap="md">
        <Avatar size={64} radius="xl" color="blue" aria-hidden>
          {initials(record.first_name, record.last_name)}
        </Avatar>
        <Stack gap={4} style={{ minWidth: 0, flex: 1 }}>
          <Group gap="sm" align="center">
            <Title order={1} size="h2" style={{ overflowWrap: "anywhere" }}>
              {fullName(record)}
            </Title>
            {record.status && <StatusBadge status={record.status} />}
            <RightsBadges record={record} />
          </Group>
          {record.job_title && <Text c="dimmed">{record.job_title}</Text>}
          <Group mt={4} style={{ rowGap: 4, columnGap: 24 }}>
            <Text size="sm">
              <Text span c="dimmed" size="sm">
                {t("employees.field.department_id")}:{" "}
              </Text>
              {department ?? t("employees.noDepartment")}
            </Text>
            <Group gap={4}>
              <Text span c="dimmed" size="sm">
                {t("employees.field.manager_id")}:
              </Text>
              {record.manager_id ? <PersonLink id={record.manager_id} /> : <Text size="sm">{t("employees.noManager")}</Text>}
            </Group>
          </Group>
          <RightsNotice record={record} onFinish={onFinishErasure} />
        </Stack>
      </Group>
      <Group mt="md" aria-label={t("employees.actions")} role="group">
        {actions}
      </Group>
    </Paper>
  );
}

// --- profile -------------------------------------------------------------------------
function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" component="dt">
        {label}
      </Text>
      <Text size="sm" component="dd" m={0} style={{ overflowWrap: "anywhere", whiteSpace: "pre-line" }}>
        {children}
      </Text>
    </div>
  );
}

function Section({ title, children, extra }: { title: string; children: ReactNode; extra?: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {extra}
      </Group>
      <SimpleGrid component="dl" cols={{ base: 1, sm: 2, md: 3 }} spacing="md" verticalSpacing="sm" m={0}>
        {children}
      </SimpleGrid>
    </Paper>
  );
}

function ProfileTab({
  record,
  sensitive,
  erased,
  revealed,
  onRevealed,
  onHide,
  showValues,
  onShowValues,
}: {
  record: Employee;
  sensitive: boolean;
  erased: boolean;
  revealed: Revealed;
  onRevealed: (field: Revealable, value: string | null) => void;
  onHide: (field: Revealable) => void;
  showValues: boolean;
  onShowValues: (show: boolean) => void;
}) {
  const { t } = useTranslation();
  const departments = useDepartments();
  const text = (value: string | null | undefined) => value || t("employees.noValue");
  const has = (field: keyof Employee) => field in record;
  const hidden = (value: ReactNode) => (showValues ? value : <span aria-label={t("employees.hidden")}>{t("employees.valueHidden")}</span>);
  const employment = has("status") || has("hire_date") || has("employment_type");
  // An erased record: its data key is gone, nothing sensitive to show or reveal.
  const withSensitive = !erased && (sensitive || has("salary") || has("date_of_birth") || has("home_address"));

  return (
    <Stack>
      <Section title={t("employees.section.directory")}>
        <Item label={t("employees.field.employee_number")}>{text(record.employee_number)}</Item>
        <Item label={t("employees.field.email")}>
          {record.email && !erased ? <Anchor href={`mailto:${record.email}`} size="sm">{record.email}</Anchor> : text(record.email)}
        </Item>
        <Item label={t("employees.field.phone")}>{text(record.phone)}</Item>
        <Item label={t("employees.field.job_title")}>{text(record.job_title)}</Item>
        <Item label={t("employees.field.department_id")}>
          {record.department_id
            ? (departmentNames(departments.data).get(record.department_id) ?? "…")
            : t("employees.noDepartment")}
        </Item>
        <Item label={t("employees.field.manager_id")}>
          {record.manager_id ? <PersonLink id={record.manager_id} /> : t("employees.noManager")}
        </Item>
        <Item label={t("employees.field.location")}>{text(record.location)}</Item>
      </Section>
      {employment && (
        <Section title={t("employees.section.employment")}>
          <Item label={t("employees.field.employment_type")}>
            {record.employment_type ? t(`employees.type.${record.employment_type}`, { defaultValue: record.employment_type }) : text(null)}
          </Item>
          <Item label={t("employees.field.status")}>
            {record.status ? t(`employees.status.${record.status}`, { defaultValue: record.status }) : text(null)}
          </Item>
          <Item label={t("employees.field.hire_date")}>{formatDate(record.hire_date)}</Item>
          {(record.termination_date || record.status === "terminated") && (
            <Item label={t("employees.field.termination_date")}>{formatDate(record.termination_date)}</Item>
          )}
          {record.termination_reason && (
            <Item label={t("employees.field.termination_reason")}>{record.termination_reason}</Item>
          )}
        </Section>
      )}
      {erased && (
        <Paper withBorder p="md" radius="md">
          <Text size="sm" c="dimmed">
            {t("employees.rights.erasedHint")}
          </Text>
        </Paper>
      )}
      {withSensitive && (
        <Section
          title={t("employees.section.sensitive")}
          extra={
            <Button
              size="xs"
              variant="subtle"
              leftSection={showValues ? <IconEyeOff size={14} aria-hidden /> : <IconEye size={14} aria-hidden />}
              aria-label={showValues ? t("employees.hideValuesLabel") : t("employees.showValuesLabel")}
              aria-pressed={showValues}
              onClick={() => {
                onShowValues(!showValues);
              }}
            >
              {showValues ? t("employees.hideValues") : t("employees.showValues")}
            </Button>
          }
        >
          {has("salary") && (
            <Item label={t("employees.field.salary")}>{hidden(formatMoney(record.salary, record.salary_currency))}</Item>
          )}
          {has("date_of_birth") && (
            <Item label={t("employees.field.date_of_birth")}>{hidden(formatDate(record.date_of_birth))}</Item>
          )}
          {has("home_address") && (
            <Item label={t("employees.field.home_address")}>{hidden(text(record.home_address))}</Item>
          )}
          {sensitive && (
            <>
              <RevealItem
                id={record.id}
                field="ssn"
                value={revealed.ssn}
                onRevealed={onRevealed}
                onHide={onHide}
              />
              <RevealItem
                id={record.id}
                field="bank_account"
                value={revealed.bank_account}
                onRevealed={onRevealed}
                onHide={onHide}
              />
            </>
          )}
        </Section>
      )}
    </Stack>
  );
}

/** A national ID or bank account: hidden until "Reveal", which reads it with one audited
 * request; the value lives only in this page's state. */
function RevealItem({
  id,
  field,
  value,
  onRevealed,
  onHide,
}: {
  id: string;
  field: Revealable;
  value: string | null | undefined;
  onRevealed: (field: Revealable, value: string | null) => void;
  onHide: (field: Revealable) => void;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const label = t(`employees.field.${field}`);

  const reveal = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = unwrap(
        await api.GET("/api/v1/employees/{employee_id}", {
          params: { path: { employee_id: id }, query: { fields: field } },
        }),
      );
      onRevealed(field, data[field] ?? null);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div role="group" aria-label={label}>
      <Text size="xs" c="dimmed" component="dt">
        {label}
      </Text>
      <Group component="dd" m={0} gap="xs" wrap="nowrap">
        {value === undefined && (
          <>
            <Text size="sm" c="dimmed" aria-label={t("employees.hidden")}>
              <IconLock size={12} aria-hidden /> {t("employees.valueHidden")}
            </Text>
            <Button size="compact-xs" variant="light" onClick={() => void reveal()} loading={busy} title={t("employees.revealHint")}>
              {t("employees.reveal")}
            </Button>
          </>
        )}
        {value === null && (
          <Text size="sm" c="dimmed">
            {t("employees.notVisible")}
          </Text>
        )}
        {typeof value === "string" && (
          <>
            <Text size="sm" ff="monospace" style={{ overflowWrap: "anywhere" }}>
              {value}
            </Text>
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => {
                onHide(field);
              }}
              aria-label={`${t("employees.hide")}: ${label}`}
            >
              {t("employees.hide")}
            </Button>
          </>
        )}
      </Group>
      {error !== null && (
        <Text size="xs" c="red" role="alert">
          {t("employees.revealFailed", { reason: describeError(error, t) })}
        </Text>
      )}
    </div>
  );
}

// --- history ---------------------------------------------------------------------------
function HistoryTab({
  id,
  record,
  showValues,
  onShowValues,
  erased,
}: {
  id: string;
  record: Employee;
  showValues: boolean;
  onShowValues: (show: boolean) => void;
  erased: boolean;
}) {
  const { t } = useTranslation();
  const departments = useDepartments();
  const names = departmentNames(departments.data);
  const history = useQuery({
    queryKey: ["employee-history", id],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/employees/{employee_id}/history", { params: { path: { employee_id: id } } })),
    gcTime: 0,
  });
  if (history.isPending) return <PageLoader />;
  if (history.isError) return <ErrorMessage error={history.error} />;
  if (history.data.length === 0) return <Text c="dimmed">{t("employees.noHistory")}</Text>;

  const value = (field: string, raw: string | null): ReactNode => {
    if (raw === null || raw === "") return t("employees.noValue");
    switch (field) {
      case "department_id":
        return names.get(raw) ?? "…";
      case "manager_id":
        return <PersonLink id={raw} />;
      case "status":
        return t(`employees.status.${raw}`, { defaultValue: raw });
      case "employment_type":
        return t(`employees.type.${raw}`, { defaultValue: raw });
      case "salary":
        return showValues && !erased ? formatMoney(raw, record.salary_currency) : t("employees.valueHidden");
      default:
        return raw;
    }
  };

  return (
    <Stack gap="xs">
      {!erased && history.data.some((change) => change.field === "salary") && (
        <Group gap="xs">
          <Text size="xs" c="dimmed">
            {showValues ? t("employees.history.salaryShown") : t("employees.history.salaryHidden")}
          </Text>
          <Button
            size="compact-xs"
            variant="subtle"
            leftSection={showValues ? <IconEyeOff size={14} aria-hidden /> : <IconEye size={14} aria-hidden />}
            aria-pressed={showValues}
            onClick={() => {
              onShowValues(!showValues);
            }}
          >
            {showValues ? t("employees.hideValues") : t("employees.showValues")}
          </Button>
        </Group>
      )}
      <Table.ScrollContainer minWidth={640}>
        <Table striped withTableBorder verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("employees.history.field")}</Table.Th>
              <Table.Th>{t("employees.history.change")}</Table.Th>
              <Table.Th>{t("employees.history.effective")}</Table.Th>
              <Table.Th>{t("employees.history.recorded")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {history.data.map((change) => (
              <Table.Tr key={change.id}>
                <Table.Td>{t(`employees.field.${change.field}`, { defaultValue: change.field })}</Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <span>{value(change.field, change.old_value)}</span>
                    <span aria-label={t("employees.to")}>→</span>
                    <span>{value(change.field, change.new_value)}</span>
                  </Group>
                </Table.Td>
                <Table.Td>{formatDate(change.effective_date)}</Table.Td>
                <Table.Td>{formatDateTime(change.changed_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

// --- documents -------------------------------------------------------------------------
function DocumentsTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const documents = useQuery({
    queryKey: ["documents", { employee_id: id, page_size: 100 }],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/documents", {
          params: { query: { employee_id: id, page_size: 100, sort: "-created_at" } },
        }),
      ),
  });
  const listUrl = `/documents?employee_id=${id}`;
  if (documents.isPending) return <PageLoader />;
  if (documents.isError) return <ErrorMessage error={documents.error} />;
  const items = documents.data.items;

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {t("common.rows", { count: documents.data.total })}
        </Text>
        <Group gap="xs">
          <Button component={Link} to={`${listUrl}&upload=1`} size="xs" variant="default" leftSection={<IconFileUpload size={14} aria-hidden />}>
            {t("employees.uploadDocument")}
          </Button>
          <Button component={Link} to={listUrl} size="xs" variant="light">
            {t("employees.documents.open")}
          </Button>
        </Group>
      </Group>
      {items.length === 0 ? (
        <Paper withBorder p="lg" radius="md">
          <Text c="dimmed" ta="center">
            {t("employees.documents.empty")}
          </Text>
        </Paper>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped withTableBorder verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("employees.documents.title")}</Table.Th>
                <Table.Th>{t("employees.documents.category")}</Table.Th>
                <Table.Th>{t("employees.documents.expires")}</Table.Th>
                <Table.Th>{t("employees.documents.uploaded")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((doc) => (
                <Table.Tr key={doc.id}>
                  <Table.Td>
                    <Anchor component={Link} to={listUrl} size="sm">
                      {doc.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{t(`documents.category.${doc.category}`, { defaultValue: doc.category })}</Table.Td>
                  <Table.Td>{formatDate(doc.expires_on)}</Table.Td>
                  <Table.Td>{formatDateTime(doc.created_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

// --- reports ---------------------------------------------------------------------------
function ReportsTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const [depth, setDepth] = useState<"direct" | "all">("direct");
  const departments = useDepartments();
  const names = departmentNames(departments.data);
  const reports = useQuery({
    queryKey: ["employee-reports", id, depth],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/employees/{employee_id}/reports", {
          params: { path: { employee_id: id }, query: { depth } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <SegmentedControl
          aria-label={t("employees.reports.depth")}
          value={depth}
          onChange={(value) => {
            setDepth(value);
          }}
          data={[
            { value: "direct", label: t("employees.directReports") },
            { value: "all", label: t("employees.allReports") },
          ]}
        />
        {reports.data && (
          <Text size="sm" c="dimmed">
            {t("employees.reports.count", { count: reports.data.length })}
          </Text>
        )}
      </Group>
      {reports.isPending && <PageLoader />}
      {reports.isError && <ErrorMessage error={reports.error} />}
      {reports.data?.length === 0 && <Text c="dimmed">{t("employees.noReports")}</Text>}
      {reports.data !== undefined && reports.data.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped withTableBorder verticalSpacing="xs" style={{ opacity: reports.isFetching ? 0.6 : 1 }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("employees.field.name")}</Table.Th>
                <Table.Th>{t("employees.field.job_title")}</Table.Th>
                <Table.Th>{t("employees.field.department_id")}</Table.Th>
                <Table.Th>{t("employees.field.status")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {reports.data.map((person) => (
                <Table.Tr key={person.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/employees/${person.id}`} size="sm">
                      {fullName(person)}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{person.job_title ?? t("employees.noValue")}</Table.Td>
                  <Table.Td>
                    {person.department_id ? (names.get(person.department_id) ?? "…") : t("employees.noValue")}
                  </Table.Td>
                  <Table.Td>{person.status ? <StatusBadge status={person.status} /> : t("employees.noValue")}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

// --- audit (admin) -----------------------------------------------------------------------
const AUDIT_PAGE_SIZE = 25;

function AuditTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const events = useQuery({
    queryKey: ["audit", { target_id: id, page, page_size: AUDIT_PAGE_SIZE }],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/audit", {
          params: { query: { target_id: id, page, page_size: AUDIT_PAGE_SIZE, sort: "-at" } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  if (events.isPending) return <PageLoader />;
  if (events.isError) return <ErrorMessage error={events.error} />;
  const { items, total } = events.data;
  if (total === 0) return <Text c="dimmed">{t("employees.auditTab.empty")}</Text>;
  const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));

  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {t("common.rows", { count: total })}
      </Text>
      <Table.ScrollContainer minWidth={640}>
        <Table striped withTableBorder verticalSpacing="xs" style={{ opacity: events.isFetching ? 0.6 : 1 }}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("employees.auditTab.at")}</Table.Th>
              <Table.Th>{t("employees.auditTab.action")}</Table.Th>
              <Table.Th>{t("employees.auditTab.actor")}</Table.Th>
              <Table.Th>{t("employees.auditTab.fields")}</Table.Th>
              <Table.Th>{t("employees.auditTab.outcome")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((event) => (
              <Table.Tr key={event.id}>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(event.at)}</Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {event.action}
                  </Text>
                </Table.Td>
                <Table.Td>{event.actor_role ?? t("employees.noValue")}</Table.Td>
                <Table.Td>{event.fields.length ? event.fields.join(", ") : t("employees.noValue")}</Table.Td>
                <Table.Td>{event.outcome}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={page}
          onChange={setPage}
          size="sm"
          aria-label={t("employees.auditTab.page")}
        />
      )}
    </Stack>
  );
}
