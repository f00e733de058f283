import type { PanelSpec } from './types';

export interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const COLUMNS = 24;

/**
 * Places panels left to right in a 24-column grid, stacking a panel under a
 * shorter neighbour when it fits there, like Grafana's own gravity layout.
 */
export function layout(panels: readonly PanelSpec[]): GridPos[] {
  const floor = new Array<number>(COLUMNS).fill(0);
  return panels.map((p) => {
    const w = Math.min(p.width, COLUMNS);
    let best = { x: 0, y: Number.POSITIVE_INFINITY };
    for (let x = 0; x + w <= COLUMNS; x++) {
      const y = Math.max(...floor.slice(x, x + w));
      if (y < best.y) {
        best = { x, y };
      }
    }
    for (let c = best.x; c < best.x + w; c++) {
      floor[c] = best.y + p.height;
    }
    return { x: best.x, y: best.y, w, h: p.height };
  });
}
