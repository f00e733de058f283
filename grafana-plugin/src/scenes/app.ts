import {
  EmbeddedScene,
  SceneApp,
  SceneAppPage,
  SceneControlsSpacer,
  SceneCSSGridItem,
  SceneCSSGridLayout,
  SceneRefreshPicker,
  SceneTimePicker,
  SceneTimeRange,
  VariableValueSelectors,
} from '@grafana/scenes';
import { ROUTES, prefixRoute } from '../constants';
import { currentAccess, type Access } from '../access/access';
import { visiblePages } from '../access/pages';
import type { PageSpec } from '../specs';
import { layout } from '../specs/layout';
import { deniedPanel, vizPanel } from './panels';
import { variableSet } from './variables';

/** The scene of one page: its variables, time range, controls and panels. */
export function pageScene(page: PageSpec, access: Access): EmbeddedScene {
  const positions = layout(page.panels);
  return new EmbeddedScene({
    $timeRange: new SceneTimeRange({ from: 'now-1h', to: 'now' }),
    $variables: variableSet(page.variables),
    controls: [
      new VariableValueSelectors({}),
      new SceneControlsSpacer(),
      new SceneTimePicker({}),
      new SceneRefreshPicker({}),
    ],
    // A CSS grid with the dashboards' 24 columns and 30 px rows, placed by
    // the same layout as the dashboards; pages are not editable.
    body: new SceneCSSGridLayout({
      templateColumns: 'repeat(24, minmax(0, 1fr))',
      autoRows: '30px',
      rowGap: 1,
      columnGap: 1,
      children: page.panels.map((panel, i) => {
        const pos = positions[i]!;
        return new SceneCSSGridItem({
          key: `item-${panel.id}`,
          gridColumn: `${pos.x + 1} / span ${pos.w}`,
          gridRow: `${pos.y + 1} / span ${pos.h}`,
          body: panel.audit && !access.audit ? deniedPanel(panel) : vizPanel(panel),
        });
      }),
    }),
  });
}

export function sceneApp(access: Access = currentAccess()): SceneApp {
  return new SceneApp({
    pages: visiblePages(access).map(
      (page) =>
        new SceneAppPage({
          title: page.title,
          subTitle: page.subtitle,
          url: prefixRoute(ROUTES[page.id]),
          routePath: `${ROUTES[page.id]}/*`,
          getScene: () => pageScene(page, access),
        })
    ),
  });
}
