/** Where the shipped files are, and what their generated content should be. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_BLOCKS, renderBlock } from './collector-blocks.js';
import { renderGrafanaProvisioning, renderPrometheusRules } from './rules.js';

/** collector-config/ (this module runs from dist/ or src/). */
export const configDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every generated file (path relative to collector-config/) with the content it should have now. */
export function generatedFiles(): { path: string; content: string }[] {
  const files = new Map<string, string>();
  for (const block of GENERATED_BLOCKS) {
    const current = files.get(block.file) ?? readFileSync(join(configDir, block.file), 'utf8');
    files.set(block.file, renderBlock(current, block));
  }
  files.set('rules/mcp-conservation.rules.yaml', renderPrometheusRules());
  files.set('rules/grafana-alerting.yaml', renderGrafanaProvisioning());
  return [...files].map(([path, content]) => ({ path, content }));
}
