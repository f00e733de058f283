import React, { useMemo, useState } from 'react';
import type { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import { getDataSourceSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, Select, Stack } from '@grafana/ui';
import { ALERT_FOLDER, ALERT_RULES } from '@mcp-conservation/semconv';
import { defaultThresholds, type Thresholds } from '../../alerts/rules';
import { installRules, removeRules } from '../../alerts/provisioning';
import { canConfigure } from '../../access/access';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<{}>> {}

type Status = { kind: 'success' | 'error'; text: string } | undefined;

const AppConfig = (_props: AppConfigProps) => {
  const datasources = useMemo(
    () =>
      getDataSourceSrv()
        .getList({ type: 'prometheus' })
        .map((ds) => ({ label: ds.name, value: ds.uid })),
    []
  );
  const [datasourceUid, setDatasourceUid] = useState<string | undefined>(datasources[0]?.value);
  const [thresholds, setThresholds] = useState<Thresholds>(defaultThresholds());
  const [status, setStatus] = useState<Status>();
  const [busy, setBusy] = useState(false);

  if (!canConfigure()) {
    return (
      <Alert title="Administrators only" severity="info" data-testid={testIds.appConfig.container}>
        Only administrators can install the alert rules.
      </Alert>
    );
  }

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    try {
      setStatus({ kind: 'success', text: await action() });
    } catch (e) {
      const err = e as { status?: number; data?: { message?: string }; message?: string };
      setStatus({
        kind: 'error',
        text: `Failed${err.status ? ` (${err.status})` : ''}: ${err.data?.message ?? err.message ?? 'unknown error'}`,
      });
    } finally {
      setBusy(false);
    }
  };

  const invalid = Object.values(thresholds).some((v) => !Number.isFinite(v));

  return (
    <div data-testid={testIds.appConfig.container}>
      <FieldSet label="Alert rules">
        <p>
          Installs the MCP conservation alert rules as Grafana-managed rules in the folder &quot;{ALERT_FOLDER.title}
          &quot;, evaluated against the Prometheus or Mimir data source chosen here. Installing again updates them.
        </p>
        <Field label="Metrics data source" description="Prometheus or Mimir holding the mcp-conservation metrics">
          <Select
            data-testid={testIds.appConfig.datasource}
            inputId="mcpc-alert-datasource"
            options={datasources}
            value={datasourceUid}
            onChange={(v) => setDatasourceUid(v.value)}
            width={40}
          />
        </Field>
        {ALERT_RULES.map((rule) => (
          <Field key={rule.id} label={`${rule.title} (${rule.comparator} threshold)`} description={rule.description}>
            <Input
              data-testid={testIds.appConfig.threshold(rule.id)}
              type="number"
              step="any"
              width={20}
              value={String(thresholds[rule.id])}
              onChange={(e) => setThresholds({ ...thresholds, [rule.id]: Number.parseFloat(e.currentTarget.value) })}
            />
          </Field>
        ))}
        <Stack direction="row" gap={2}>
          <Button
            data-testid={testIds.appConfig.install}
            disabled={busy || !datasourceUid || invalid}
            onClick={() => run(async () => `Installed ${await installRules(datasourceUid!, thresholds)} alert rules.`)}
          >
            Install or update alert rules
          </Button>
          <Button
            data-testid={testIds.appConfig.remove}
            variant="destructive"
            disabled={busy}
            onClick={() => run(async () => `Removed ${await removeRules()} alert rules.`)}
          >
            Remove alert rules
          </Button>
          <Button variant="secondary" disabled={busy} onClick={() => setThresholds(defaultThresholds())}>
            Reset thresholds
          </Button>
        </Stack>
        {status && (
          <Alert
            data-testid={testIds.appConfig.status}
            title={status.text}
            severity={status.kind === 'success' ? 'success' : 'error'}
          />
        )}
      </FieldSet>
    </div>
  );
};

export default AppConfig;
