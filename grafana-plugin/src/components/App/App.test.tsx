import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { HistoryWrapper, LocationServiceProvider } from '@grafana/runtime';
import { ALL_VALUE, PAGES, pageQueries } from '../../specs';
import { DATASOURCES, exprsSent, pluginCompatMock, resetDatasources } from '../../test/fakeGrafana';
import { PLUGIN_BASE_URL } from '../../constants';
import App from './App';
import { pageScene } from '../../scenes/app';
import { sceneGraph } from '@grafana/scenes';

jest.mock('@grafana/runtime', () => require('../../test/runtimeMock').runtimeMock());
jest.mock('@grafana/plugin-compat/datasources', () => require('../../test/fakeGrafana').pluginCompatMock);

function renderAt(route: string, access = { read: true, audit: true }) {
  const url = `${PLUGIN_BASE_URL}/${route}`;
  const locationService = new HistoryWrapper();
  locationService.push(url);
  return render(
    <LocationServiceProvider service={locationService}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path={`${PLUGIN_BASE_URL}/*`} element={<App access={access} />} />
        </Routes>
      </MemoryRouter>
    </LocationServiceProvider>
  );
}

beforeEach(() => resetDatasources());
afterEach(() => void pluginCompatMock);

describe('App pages', () => {
  for (const page of PAGES) {
    it(`${page.title}: renders every panel and sends exactly its queries to the chosen data sources`, async () => {
      renderAt(page.id);
      for (const panel of page.panels) {
        expect(await screen.findByText(panel.title)).toBeInTheDocument();
      }
      const expected = pageQueries([page]);
      const promql = expected.filter((q) => q.language === 'promql').map((q) => q.expr);
      const logql = expected.filter((q) => q.language === 'logql').map((q) => q.expr);
      await waitFor(() => expect(new Set(exprsSent('prom-uid'))).toEqual(new Set(promql)), { timeout: 5000 });
      if (logql.length) {
        await waitFor(() => expect(new Set(exprsSent('loki-uid'))).toEqual(new Set(logql)), { timeout: 5000 });
      } else {
        expect(exprsSent('loki-uid')).toEqual([]);
      }
      // Data sources are reached through variables: the first of each type is chosen, no uid is fixed.
      for (const r of DATASOURCES[0]!.requests) {
        for (const t of r.targets) {
          expect(t.datasource?.uid).toBe('prom-uid');
        }
      }
    }, 20000);
  }

  it('filters default to All, which reaches Prometheus as .*', async () => {
    const scene = pageScene(PAGES[0]!, { read: true, audit: true });
    const deactivate = scene.activate();
    const variables = scene.state.$variables!;
    const deactivateVars = variables.activate();
    await waitFor(() =>
      expect(variables.state.variables.every((v) => v.state.loading !== true && v.getValue() !== undefined)).toBe(true)
    );
    expect(
      sceneGraph.interpolate(scene, 'job=~"$service",s=~"$server",t=~"$tool",o=~"$observer"', undefined, 'regex')
    ).toBe(`job=~"${ALL_VALUE}",s=~"${ALL_VALUE}",t=~"${ALL_VALUE}",o=~"${ALL_VALUE}"`);
    expect(sceneGraph.interpolate(scene, '${metrics}')).toBe('prom-uid');
    deactivateVars();
    deactivate();
  });

  it('hides the Audit page and audit panels from readers who are not auditors', async () => {
    renderAt('sessions', { read: true, audit: false });
    expect(await screen.findByText(/auditor role/)).toBeInTheDocument();
    await waitFor(() => expect(DATASOURCES[0]!.requests.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(exprsSent('loki-uid')).toEqual([]);
  });

  it('shows no page without the reader action', async () => {
    renderAt('overview', { read: false, audit: false });
    expect(await screen.findByText(/reader role/)).toBeInTheDocument();
    expect(DATASOURCES[0]!.requests).toEqual([]);
  });
});
