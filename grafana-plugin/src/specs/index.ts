import { audit } from './pages/audit';
import { context } from './pages/context';
import { overview } from './pages/overview';
import { servers } from './pages/servers';
import { sessions } from './pages/sessions';
import { tools } from './pages/tools';
import type { PageSpec } from './types';

export type { PageSpec, PanelSpec, QuerySpec, ThresholdStep, VariableName } from './types';
export { VARIABLES, ALL_VALUE, type VariableSpec } from './variables';

/** Every page, in navigation order. */
export const PAGES: readonly PageSpec[] = [overview, tools, servers, sessions, context, audit];

export interface CollectedQuery {
  /** `<page>/<panel>/<refId>` */
  readonly id: string;
  readonly expr: string;
  readonly language: 'promql' | 'logql';
  readonly instant: boolean;
}

/** Every query of every page, tagged with its language. */
export function pageQueries(pages: readonly PageSpec[] = PAGES): CollectedQuery[] {
  return pages.flatMap((page) =>
    page.panels.flatMap((panel) =>
      panel.queries.map((q) => ({
        id: `${page.id}/${panel.id}/${q.refId}`,
        expr: q.expr,
        language: panel.datasource === 'metrics' ? ('promql' as const) : ('logql' as const),
        instant: q.instant === true,
      }))
    )
  );
}
