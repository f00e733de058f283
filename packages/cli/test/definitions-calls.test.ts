/**
 * `definitions --prometheus`: each tool's calls over the range, against a
 * real Prometheus (Debian's) holding a TSDB backfilled with promtool. The
 * counts are exact (a reset, a baseline before the range), cancelled calls
 * are left out, another server whose name the server's name matches as an
 * unescaped regex is not counted, and the tools with no calls are marked.
 * Every change of a counter sits well inside the range, so where exactly
 * "now" falls does not change the truth.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { LABELS, METRIC_TOOL_CALLS, promNames } from '@mcp-conservation/semconv';
import { runCli } from './helpers/cli.ts';
import { startPrometheusWith, type RunningPrometheus } from './helpers/prometheus-server.ts';

const SERVER = fileURLToPath(new URL('./fixtures/definitions-server.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mcpc-definitions-calls-'));
const PLAIN = { disallowedSpecial: new Set<string>() } as never;
// Regex metacharacters in the name: the scope must match it exactly.
const NAME = 'raw.catalogue(eu)';
const DECOY = 'rawXcatalogue(eu)';

const SPEC = {
  name: NAME,
  tools: [
    { name: 'ping_host', description: 'Ping a host once.', inputSchema: { type: 'object', properties: { host: { type: 'string' } } } },
    { name: 'query_warehouse', description: 'Run a read-only SQL query.', inputSchema: { type: 'object', properties: { sql: { type: 'string' } } } },
    { name: 'list_regions', description: 'List the cloud regions.', inputSchema: { type: 'object' } },
  ],
};
const RENDERED: Record<string, string> = {
  ping_host: 'ping_host\nPing a host once.\n{"properties":{"host":{"type":"string"}},"type":"object"}',
  query_warehouse: 'query_warehouse\nRun a read-only SQL query.\n{"properties":{"sql":{"type":"string"}},"type":"object"}',
  list_regions: 'list_regions\nList the cloud regions.\n{"type":"object"}',
};

// Minute m (0..90) of the data; the last sample ten minutes ago. The command's range is the last hour: from about minute 40.
const last = Math.floor(Date.now() / 60_000) * 60 - 600;
const at = (m: number) => last - (90 - m) * 60;
type Series = { labels: Record<string, string>; value: (m: number) => number | undefined };
const calls = (server: string, tool: string, outcome: string) => ({ job: 'svc', [LABELS.server]: server, [LABELS.tool]: tool, [LABELS.outcome]: outcome });
const SERIES: Series[] = [
  // Lived before the range at 100; +4 at minute 55; the process restarts at minute 65 and counts 3: 7 in the range.
  { labels: calls(NAME, 'ping_host', 'success'), value: (m) => (m < 55 ? 100 : m < 65 ? 104 : 3) },
  // +1 at minute 70.
  { labels: calls(NAME, 'ping_host', 'tool_error'), value: (m) => (m < 70 ? 5 : 6) },
  // Cancelled calls are not calls here (semconv's toolCalls leaves them out).
  { labels: calls(NAME, 'ping_host', 'cancelled'), value: (m) => (m < 60 ? undefined : m < 70 ? 0 : 2) },
  // A series at zero all along: never called.
  { labels: calls(NAME, 'query_warehouse', 'success'), value: () => 0 },
  // Another server, matched by the name as an unescaped regex ('.' matches 'X'): not this server's calls.
  { labels: calls(DECOY, 'list_regions', 'success'), value: (m) => (m < 50 ? 0 : 50) },
  // A tool the server does not list.
  { labels: calls(NAME, 'retired_tool', 'success'), value: (m) => (m < 50 ? 0 : 9) },
];
const TRUTH = { ping_host: 8, query_warehouse: 0, list_regions: 0 };

function openMetrics(): string {
  const name = promNames(METRIC_TOOL_CALLS)[0] as string;
  const out = [`# TYPE ${name.replace(/_total$/, '')} counter`];
  const label = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',');
  for (const s of SERIES)
    for (let m = 0; m <= 90; m++) {
      const v = s.value(m);
      if (v !== undefined) out.push(`${name}{${label(s.labels)}} ${v} ${at(m)}`);
    }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

let prom: RunningPrometheus;
const specFile = join(dir, 'spec.json');
before(async () => {
  writeFileSync(specFile, JSON.stringify(SPEC));
  prom = await startPrometheusWith(openMetrics());
});
after(async () => {
  await prom?.stop();
});

test('--prometheus --range 1h: exact calls per tool (reset, baseline, cancelled left out, other servers not counted), the tools never called marked', async () => {
  const tokens = Object.fromEntries(Object.entries(RENDERED).map(([k, v]) => [k, countTokens(v, PLAIN)])) as Record<keyof typeof TRUTH, number>;
  const total = tokens.ping_host + tokens.query_warehouse + tokens.list_regions;
  const r = await runCli(['definitions', '--json', '--quiet', '--prometheus', prom.url, '--range', '1h', '--', process.execPath, SERVER, specFile]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  const want = (Object.keys(TRUTH) as (keyof typeof TRUTH)[])
    .map((name) => ({ name, tokens: tokens[name], share: tokens[name] / total, calls: TRUTH[name] }))
    .sort((a, b) => b.tokens - a.tokens || (a.name < b.name ? -1 : 1));
  assert.deepEqual(json.kinds.tools.definitions, want);
  assert.equal(json.calls.prometheus, `${prom.url}/`);
  assert.equal(json.calls.range, '1h');
  assert.equal(Date.parse(json.calls.end) - Date.parse(json.calls.start), 3600_000);

  const text = await runCli(['definitions', '--quiet', '--prometheus', prom.url, '--range', '1h', '--', process.execPath, SERVER, specFile]);
  assert.equal(text.code, 0, text.stderr);
  const row = (name: string) => text.stdout.split('\n').find((l) => l.startsWith(`  ${name} `));
  assert.match(row('ping_host') ?? '', /\s8$/);
  assert.match(row('query_warehouse') ?? '', /\s0 {2}never called$/);
  assert.match(row('list_regions') ?? '', /\s0 {2}never called$/);
  assert.match(text.stdout, new RegExp(`^Never called in the last 1h: 2 tools, ${tokens.query_warehouse + tokens.list_regions} tokens$`, 'm'));

  // --server names the server in the metrics: the decoy's calls, and only its.
  const decoy = await runCli(['definitions', '--json', '--quiet', '--prometheus', prom.url, '--range', '1h', '--server', 'rawXcatalogue\\(eu\\)', '--', process.execPath, SERVER, specFile]);
  assert.equal(decoy.code, 0, decoy.stderr);
  assert.deepEqual(
    Object.fromEntries(JSON.parse(decoy.stdout).kinds.tools.definitions.map((d: { name: string; calls: number }) => [d.name, d.calls])),
    { ping_host: 0, query_warehouse: 0, list_regions: 50 },
  );
});

test('--prometheus at an address where nothing answers: exit 4, and it says which', async () => {
  const r = await runCli(['definitions', '--quiet', '--timeout', '5', '--prometheus', 'http://127.0.0.1:9', '--', process.execPath, SERVER, specFile]);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /cannot reach Prometheus at http:\/\/127\.0\.0\.1:9\//);
});
