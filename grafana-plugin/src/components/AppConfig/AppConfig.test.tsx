import React from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { of, throwError } from 'rxjs';
import { ALERT_FOLDER, ALERT_RULES, ALERT_WINDOW, TARGET_TOOL_SUCCESS_RATE } from '@mcp-conservation/semconv';
import AppConfig, { type AppConfigProps } from './AppConfig';
import { testIds } from '../testIds';
import { host } from '../../test/runtimeMock';
import { checkAlertRuleGroup, checkCreateFolder } from '../../alerts/openapiShapes';
import { ORIGIN_LABEL } from '../../alerts/rules';
import { RULE_GROUP_URL as RULE_GROUP_URL_FOR_TEST } from '../../alerts/provisioning';

jest.mock('@grafana/runtime', () => require('../../test/runtimeMock').runtimeMock());

interface Sent {
  method: string;
  url: string;
  data?: unknown;
}

/** A Grafana API that answers like the real one: 404 for a missing folder, 200 otherwise; records every request. */
function grafanaApi(folderExists: boolean): Sent[] {
  const sent: Sent[] = [];
  host.backend.mockImplementation((req: Sent) => {
    sent.push({ method: req.method, url: req.url, data: req.data });
    if (req.method === 'GET' && req.url === `/api/folders/${ALERT_FOLDER.uid}` && !folderExists) {
      return throwError(() => ({ status: 404, data: { message: 'folder not found' } }));
    }
    return of({ status: 200, data: {} });
  });
  return sent;
}

const props = { plugin: { meta: { id: 'x', enabled: true, jsonData: {} } }, query: {} } as unknown as AppConfigProps;

beforeEach(() => {
  host.user = { orgRole: 'Admin', isGrafanaAdmin: false, permissions: { 'plugins:write': true } };
  host.backend.mockReset();
});

describe('Config page: alert rules', () => {
  it('is for administrators only', () => {
    host.user = { orgRole: 'Viewer', isGrafanaAdmin: false, permissions: {} };
    render(<AppConfig {...props} />);
    expect(screen.getByText(/Only administrators/)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.appConfig.install)).not.toBeInTheDocument();
  });

  it('shows each semconv rule with its default threshold', () => {
    render(<AppConfig {...props} />);
    for (const rule of ALERT_RULES) {
      expect(screen.getByTestId(testIds.appConfig.threshold(rule.id))).toHaveValue(rule.threshold);
    }
  });

  it('installs: creates the folder, then writes the rule group with the chosen data source, edited threshold and origin label', async () => {
    const sent = grafanaApi(false);
    render(<AppConfig {...props} />);
    fireEvent.change(screen.getByTestId(testIds.appConfig.threshold('tool-success-low')), {
      target: { value: '0.95' },
    });
    fireEvent.click(screen.getByTestId(testIds.appConfig.install));
    expect(await screen.findByText(`Installed ${ALERT_RULES.length} alert rules.`)).toBeInTheDocument();

    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/folders/${ALERT_FOLDER.uid}`,
      'POST /api/folders',
      `PUT ${RULE_GROUP_URL_FOR_TEST}`,
    ]);
    expect(checkCreateFolder(sent[1]!.data)).toEqual([]);
    const group = sent[2]!.data as { rules: Array<Record<string, any>> };
    expect(checkAlertRuleGroup(group)).toEqual([]);
    expect(group.rules.map((r) => r.title)).toEqual(ALERT_RULES.map((r) => r.title));
    for (const [i, rule] of ALERT_RULES.entries()) {
      const r = group.rules[i]!;
      expect(r.labels).toMatchObject(ORIGIN_LABEL);
      expect(r.labels.severity).toBe(rule.severity);
      expect(r.for).toBe(rule.for);
      const [query, threshold] = r.data;
      expect(query.datasourceUid).toBe('prom-uid');
      expect(query.model.expr).toBe(rule.query({ window: ALERT_WINDOW }));
      expect(threshold.model.conditions[0].evaluator).toEqual({
        type: rule.comparator === '<' ? 'lt' : 'gt',
        params: [rule.id === 'tool-success-low' ? 0.95 : rule.threshold],
      });
    }
    expect(TARGET_TOOL_SUCCESS_RATE.threshold).not.toBe(0.95);
  });

  it('updates without recreating an existing folder', async () => {
    const sent = grafanaApi(true);
    render(<AppConfig {...props} />);
    fireEvent.click(screen.getByTestId(testIds.appConfig.install));
    await screen.findByText(/Installed/);
    expect(sent.map((r) => r.method)).toEqual(['GET', 'PUT']);
  });

  it('removes every rule by uid', async () => {
    const sent = grafanaApi(true);
    render(<AppConfig {...props} />);
    fireEvent.click(screen.getByTestId(testIds.appConfig.remove));
    expect(await screen.findByText(`Removed ${ALERT_RULES.length} alert rules.`)).toBeInTheDocument();
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual(
      ALERT_RULES.map((r) => `DELETE /api/v1/provisioning/alert-rules/mcpc-${r.id}`)
    );
  });

  it('reports an API failure', async () => {
    host.backend.mockImplementation(() => throwError(() => ({ status: 403, data: { message: 'permissions needed' } })));
    render(<AppConfig {...props} />);
    fireEvent.click(screen.getByTestId(testIds.appConfig.install));
    await waitFor(() => expect(screen.getByText('Failed (403): permissions needed')).toBeInTheDocument());
  });

  it('refuses an empty threshold', () => {
    render(<AppConfig {...props} />);
    fireEvent.change(screen.getByTestId(testIds.appConfig.threshold('audit-dropped')), { target: { value: '' } });
    expect(screen.getByTestId(testIds.appConfig.install)).toBeDisabled();
  });
});
