/**
 * `mcp-conservation definitions` against a raw JSON-RPC server whose
 * definitions are literal: the rendering of each is written out in this
 * test and counted here with the tokenizer, so every figure (per
 * definition, per kind, total, shares, order, pages) is known before the
 * command runs. Then the budget's exit codes, the JSON shape, the
 * tokenizer choice and the usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { runCli } from './helpers/cli.ts';

const SERVER = fileURLToPath(new URL('./fixtures/definitions-server.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mcpc-definitions-'));
/** Special-token strings count as the text they are, as the instrumentation counts. */
const PLAIN = { disallowedSpecial: new Set<string>() } as never;

/** The server's definitions, in its order; schemas with keys out of order (the rendering sorts them). */
const SPEC = {
  name: 'raw-catalogue',
  pageSize: { tools: 2, prompts: 1, resources: 2 },
  tools: [
    { name: 'ping_host', description: 'Ping a host once.', inputSchema: { type: 'object', properties: { host: { type: 'string' } } } },
    {
      name: 'query_warehouse',
      description: 'Run a read-only SQL query against the analytics warehouse and return at most 1,000 rows as CSV. Queries that scan more than 10 GB are refused.',
      inputSchema: { required: ['sql'], type: 'object', properties: { sql: { type: 'string', description: 'A SELECT statement' }, limit: { type: 'integer', maximum: 1000, minimum: 1 } } },
    },
    { name: 'tokenizer_trap', description: 'Echo <|endoftext|> back, as plain text.', inputSchema: { type: 'object' } },
    { name: 'no_description', inputSchema: { type: 'object', properties: { x: { type: 'number' } } } },
    { name: 'list_regions', description: 'List the cloud regions.', inputSchema: { type: 'object', properties: {} } },
  ],
  prompts: [
    { name: 'summarize', description: 'Summarize a document.', arguments: [{ name: 'doc', description: 'The document', required: true }] },
    { name: 'greet' },
  ],
  resources: [
    { name: 'readme', uri: 'file:///repo/README.md', description: 'The project readme' },
    { name: 'license', uri: 'file:///repo/LICENSE' },
    { name: 'schema', uri: 'db://warehouse/schema', description: 'Tables and columns of the analytics warehouse' },
  ],
  resourceTemplates: [{ name: 'table', uriTemplate: 'db://warehouse/tables/{name}', description: 'One table' }],
};

/** What the default rendering hands the model for each definition, written out: name, description, compact input schema with sorted keys. */
const RENDERED = {
  tools: {
    ping_host: 'ping_host\nPing a host once.\n{"properties":{"host":{"type":"string"}},"type":"object"}',
    query_warehouse:
      'query_warehouse\nRun a read-only SQL query against the analytics warehouse and return at most 1,000 rows as CSV. Queries that scan more than 10 GB are refused.\n' +
      '{"properties":{"limit":{"maximum":1000,"minimum":1,"type":"integer"},"sql":{"description":"A SELECT statement","type":"string"}},"required":["sql"],"type":"object"}',
    tokenizer_trap: 'tokenizer_trap\nEcho <|endoftext|> back, as plain text.\n{"type":"object"}',
    no_description: 'no_description\n\n{"properties":{"x":{"type":"number"}},"type":"object"}',
    list_regions: 'list_regions\nList the cloud regions.\n{"properties":{},"type":"object"}',
  },
  prompts: {
    summarize: 'summarize\nSummarize a document.\n[{"description":"The document","name":"doc","required":true}]',
    greet: 'greet\n',
  },
  resources: {
    readme: 'readme\nfile:///repo/README.md\nThe project readme',
    license: 'license\nfile:///repo/LICENSE\n',
    schema: 'schema\ndb://warehouse/schema\nTables and columns of the analytics warehouse',
  },
  resourceTemplates: { table: 'table\ndb://warehouse/tables/{name}\nOne table' },
} as const;

const URIS: Record<string, string> = { readme: 'file:///repo/README.md', license: 'file:///repo/LICENSE', schema: 'db://warehouse/schema', table: 'db://warehouse/tables/{name}' };
const PAGES = { tools: 3, prompts: 2, resources: 2, resourceTemplates: 1 };

type Kind = keyof typeof RENDERED;
const KIND_ORDER: Kind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];

/** The figures the command must print, computed from the written-out renderings. */
function expected(count: (text: string) => number, tokenizer: string) {
  const tokens = Object.fromEntries(KIND_ORDER.map((k) => [k, Object.entries(RENDERED[k]).map(([name, text]) => ({ name, tokens: count(text) }))])) as Record<Kind, { name: string; tokens: number }[]>;
  const total = KIND_ORDER.flatMap((k) => tokens[k]).reduce((n, d) => n + d.tokens, 0);
  const kinds = Object.fromEntries(
    KIND_ORDER.map((k) => {
      const definitions = [...tokens[k]]
        .sort((a, b) => b.tokens - a.tokens || (a.name < b.name ? -1 : 1))
        .map((d) => ({ name: d.name, ...(URIS[d.name] ? { uri: URIS[d.name] } : {}), tokens: d.tokens, share: d.tokens / total }));
      const kindTokens = tokens[k].reduce((n, d) => n + d.tokens, 0);
      return [k, { pages: PAGES[k], tokens: kindTokens, share: kindTokens / total, definitions, unrendered: 0 }];
    }),
  );
  return { server: { name: 'raw-catalogue', version: '0.0.1' }, era: 'legacy', protocolVersion: '2025-11-25', tokenizer, kinds, total };
}

const specFile = join(dir, 'spec.json');
writeFileSync(specFile, JSON.stringify(SPEC));
const serverCommand = ['--', process.execPath, SERVER, specFile];

test('raw server: every definition over 3, 2, 2 and 1 pages, tokens as written out and counted here, shares of the total, most expensive first', async () => {
  const want = expected((t) => o200k(t, PLAIN), 'o200k_base');
  // The trap counts as text: more tokens than the one special token would be.
  assert.ok(o200k(RENDERED.tools.tokenizer_trap, PLAIN) > o200k('tokenizer_trap\nEcho ', PLAIN) + 1);
  const r = await runCli(['definitions', '--json', '--quiet', ...serverCommand]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), want);
  // Sanity of the expectation itself: the order is not the server's order.
  assert.notDeepEqual(
    want.kinds.tools!.definitions.map((d) => d.name),
    SPEC.tools.map((t) => t.name),
  );
});

test('raw server, text: one table per kind with the figures of the JSON, the tokenizer named, the total', async () => {
  const want = expected((t) => o200k(t, PLAIN), 'o200k_base');
  const r = await runCli(['definitions', '--quiet', ...serverCommand]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'raw-catalogue 0.0.1 (protocol 2025-11-25, legacy era); tokens counted with o200k_base');
  const tools = want.kinds.tools!;
  const at = lines.indexOf('Tools: 5, 3 pages');
  assert.ok(at > 0, r.stdout);
  const width = 'query_warehouse'.length;
  const pct = (s: number) => `${(s * 100).toFixed(1)}%`.padStart(6);
  assert.deepEqual(lines.slice(at + 1, at + 8), [
    `  ${'name'.padEnd(width)}  tokens   share`,
    ...tools.definitions.map((d) => `  ${d.name.padEnd(width)}  ${String(d.tokens).padStart(6)}  ${pct(d.share)}`),
    `  ${'all'.padEnd(width)}  ${String(tools.tokens).padStart(6)}  ${pct(tools.share)}`,
  ]);
  assert.ok(lines.includes('Prompts: 2, 2 pages'));
  assert.ok(lines.includes('Resources: 3, 2 pages'));
  assert.ok(lines.includes('Resource templates: 1, 1 page'));
  assert.ok(lines.includes(`Total: ${want.total} tokens (o200k_base) in 11 definitions: what every host that lists this server's definitions puts in its model's context`), r.stdout);
});

test('--budget: exit 0 at exactly the total, exit 1 one token under it, and says so', async () => {
  const { total } = expected((t) => o200k(t, PLAIN), 'o200k_base');
  const within = await runCli(['definitions', '--quiet', '--budget', String(total), ...serverCommand]);
  assert.equal(within.code, 0, within.stderr);
  assert.match(within.stdout, new RegExp(`^Within budget: ${total} tokens <= ${total}$`, 'm'));
  const over = await runCli(['definitions', '--quiet', '--budget', String(total - 1), ...serverCommand]);
  assert.equal(over.code, 1, over.stderr);
  assert.match(over.stdout, new RegExp(`^OVER BUDGET: ${total} tokens > budget ${total - 1} \\(by 1\\)$`, 'm'));
  const json = await runCli(['definitions', '--quiet', '--json', '--budget', String(total - 1), ...serverCommand]);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout).budget, { tokens: total - 1, over: true });
  assert.match(json.stderr, new RegExp(`over budget: ${total} tokens > ${total - 1}`));
});

test('--tokenizer cl100k_base: counted with it, and the output says so', async () => {
  const want = expected((t) => cl100k(t, PLAIN), 'cl100k_base');
  assert.notEqual(want.total, expected((t) => o200k(t, PLAIN), 'o200k_base').total, 'the two encodings must differ on this catalogue for the test to mean anything');
  const r = await runCli(['definitions', '--json', '--quiet', '--tokenizer', 'cl100k_base', ...serverCommand]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), want);
  const text = await runCli(['definitions', '--quiet', '--tokenizer', 'cl100k_base', ...serverCommand]);
  assert.match(text.stdout, /^raw-catalogue 0\.0\.1 \(protocol 2025-11-25, legacy era\); tokens counted with cl100k_base$/m);
  assert.match(text.stdout, new RegExp(`^Total: ${want.total} tokens \\(cl100k_base\\)`, 'm'));
});

test('a server with resources that does not know resources/templates/list (method not found): no templates, the rest counted', async () => {
  const file = join(dir, 'no-templates.json');
  writeFileSync(file, JSON.stringify({ name: 'resources-only', resources: SPEC.resources }));
  const r = await runCli(['definitions', '--json', '--quiet', '--', process.execPath, SERVER, file]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(json.kinds), ['resources']);
  const total = Object.values(RENDERED.resources).reduce((n, t) => n + o200k(t, PLAIN), 0);
  assert.equal(json.total, total);
  assert.equal(json.kinds.resources.pages, 1);
});

test('a server whose cursor repeats: exit 4, and it says the pagination does not end', async () => {
  const file = join(dir, 'endless.json');
  writeFileSync(file, JSON.stringify({ ...SPEC, endless: true }));
  const r = await runCli(['definitions', '--quiet', '--', process.execPath, SERVER, file]);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /definitions: tools\/list returned cursor '2' twice; the server's pagination does not end/);
  assert.equal(r.stdout, '');
});

test('--help: listed by the binary, and its own help on stdout, exit 0', async () => {
  assert.match((await runCli(['--help'])).stdout, /^ {2}definitions {2}price a server's definitions/m);
  for (const args of [['definitions', '--help'], ['help', 'definitions']]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: mcp-conservation definitions \[options\] -- <server command>/m);
  }
});

test('usage errors exit 2; a server that cannot be reached exits 4', async () => {
  const cases: [string[], RegExp][] = [
    [['definitions'], /give the server command after --, or --http <url>/],
    [['definitions', '--tokenizer', 'p50k_base', ...serverCommand], /--tokenizer must be one of o200k_base, cl100k_base, got 'p50k_base'/],
    [['definitions', '--budget', '1.5', ...serverCommand], /--budget must be a whole number of tokens/],
    [['definitions', '--range', '7d', ...serverCommand], /--range needs --prometheus <url>/],
    [['definitions', '--http', 'ftp://x', ], /--http must be an http\(s\) URL/],
    [['definitions', '--http', 'http://127.0.0.1:9/mcp', ...serverCommand], /give --http <url> or -- <server command>, not both/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  // Port 9 (discard) on loopback: nothing listens.
  const unreachable = await runCli(['definitions', '--quiet', '--timeout', '5', '--http', 'http://127.0.0.1:9/mcp']);
  assert.equal(unreachable.code, 4, unreachable.stderr);
  assert.match(unreachable.stderr, /definitions: cannot connect to http:\/\/127\.0\.0\.1:9\/mcp/);
  const missing = await runCli(['definitions', '--quiet', '--timeout', '5', '--', join(dir, 'no-such-server')]);
  assert.equal(missing.code, 4, missing.stderr);
  assert.match(missing.stderr, /definitions: cannot connect to /);
});
