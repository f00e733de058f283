#!/usr/bin/env node
// Writes every generated file of collector-config from the built package:
// the generated regions of agent.yaml and gateway.yaml, and the rendered
// alert rules. `--check` exits 1 when a checked-in file is stale.
// Regenerate with: npm run generate -w @mcp-conservation/collector-config
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configDir, generatedFiles } from '../dist/index.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, content } of generatedFiles()) {
  const full = join(configDir, path);
  const current = existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  if (current === content) continue;
  if (check) {
    console.error(`stale: collector-config/${path}`);
    stale++;
  } else {
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    console.log(`wrote collector-config/${path}`);
  }
}
process.exit(stale ? 1 : 0);
