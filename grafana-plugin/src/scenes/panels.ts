import { SceneDataTransformer, SceneQueryRunner, VizPanel, PanelBuilders } from '@grafana/scenes';
import { panelModel } from '../specs/panelModel';
import type { PanelSpec } from '../specs';
import { datasourceRef } from './variables';

export type { PanelSpec };

function queryRunner(spec: PanelSpec): SceneQueryRunner {
  return new SceneQueryRunner({
    datasource: datasourceRef(spec.datasource),
    queries: spec.queries.map((q) =>
      spec.datasource === 'metrics'
        ? {
            refId: q.refId,
            expr: q.expr,
            legendFormat: q.legend,
            instant: q.instant === true,
            range: q.instant !== true,
            format: q.format ?? 'time_series',
          }
        : { refId: q.refId, expr: q.expr, legendFormat: q.legend, queryType: 'range' }
    ),
  });
}

/** A VizPanel showing a panel spec. */
export function vizPanel(spec: PanelSpec): VizPanel {
  const model = panelModel(spec);
  const runner = queryRunner(spec);
  return new VizPanel({
    key: spec.id,
    pluginId: model.pluginId,
    title: spec.title,
    description: spec.description,
    options: model.options,
    fieldConfig: model.fieldConfig,
    $data: model.transformations.length
      ? new SceneDataTransformer({ $data: runner, transformations: model.transformations })
      : runner,
  });
}

/** Stands in for a panel the user may not see. */
export function deniedPanel(spec: PanelSpec): VizPanel {
  return PanelBuilders.text()
    .setTitle(spec.title)
    .setOption('content', 'This panel shows audit records. Ask an administrator for the MCP conservation auditor role.')
    .setOption('mode', 'markdown' as never)
    .build();
}
