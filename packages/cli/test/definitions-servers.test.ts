/**
 * `mcp-conservation definitions` against real servers, in both eras:
 * - the demo's sample server and @modelcontextprotocol/server-everything
 *   (SDK v1, legacy era) over stdio, and server-everything over Streamable
 *   HTTP: what the command prints equals what this test gets by listing the
 *   same server with the other SDK's client (v1) and rendering each
 *   definition with the default rendering;
 * - an SDK v2 server in the modern era over Streamable HTTP
 *   (createMcpHandler): its definitions are literal, their renderings
 *   written out here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { renderResult } from '@mcp-conservation/instrumentation/core';
import { runCli } from './helpers/cli.ts';
import { freePort } from './helpers/prometheus-server.ts';
import { startV2Server, V2_SERVER_NAME, V2_TOOLS } from './fixtures/v2-server.ts';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const SAMPLE = fileURLToPath(new URL('../dist/demo/sample-server.js', import.meta.url));
const PLAIN = { disallowedSpecial: new Set<string>() } as never;
const count = (text: string) => countTokens(text, PLAIN);

type Row = { name: string; uri?: string; tokens: number; share: number };
type Item = Record<string, unknown>;

/** The figures expected for a listing, each definition rendered by the default rendering (templates as written out: name, URI template, description). */
function figures(lists: Record<string, Item[]>) {
  const rows: Record<string, { name: string; uri?: string; tokens: number }[]> = {
    tools: lists.tools!.map((t) => ({ name: t.name as string, tokens: count(renderResult('tools/list', { tools: [t] }).blocks[0]!.text) })),
    prompts: lists.prompts!.map((p) => ({ name: p.name as string, tokens: count(renderResult('prompts/list', { prompts: [p] }).blocks[0]!.text) })),
    resources: lists.resources!.map((r) => ({ name: r.name as string, uri: r.uri as string, tokens: count(renderResult('resources/list', { resources: [r] }).blocks[0]!.text) })),
    resourceTemplates: lists.resourceTemplates!.map((r) => ({
      name: r.name as string,
      uri: r.uriTemplate as string,
      tokens: count(`${r.name}\n${r.uriTemplate}\n${(r.description as string | undefined) ?? ''}`),
    })),
  };
  const total = Object.values(rows).flat().reduce((n, r) => n + r.tokens, 0);
  const kinds: Record<string, { tokens: number; share: number; definitions: Row[] }> = {};
  for (const [kind, list] of Object.entries(rows)) {
    const tokens = list.reduce((n, r) => n + r.tokens, 0);
    kinds[kind] = { tokens, share: tokens / total, definitions: [...list].sort((a, b) => b.tokens - a.tokens || (a.name < b.name ? -1 : 1)).map((r) => ({ ...r, share: r.tokens / total })) };
  }
  return { total, kinds };
}

/** Lists a server with the SDK v1 client (one page each: these servers do not paginate). */
async function listWithV1(command: string, args: string[]) {
  const client = new Client({ name: 'definitions-test', version: '0' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  try {
    const pages = [await client.listTools(), await client.listPrompts(), await client.listResources(), await client.listResourceTemplates()];
    assert.ok(pages.every((p) => p.nextCursor === undefined));
    return {
      server: client.getServerVersion(),
      lists: { tools: pages[0]!.tools, prompts: pages[1]!.prompts, resources: pages[2]!.resources, resourceTemplates: pages[3]!.resourceTemplates } as unknown as Record<string, Item[]>,
    };
  } finally {
    await client.close();
  }
}

/** What the command printed, without what the comparison does not cover (pages are 1 on these servers). */
function printed(stdout: string) {
  const json = JSON.parse(stdout);
  const kinds: Record<string, unknown> = {};
  for (const [kind, k] of Object.entries(json.kinds as Record<string, { pages: number; tokens: number; share: number; definitions: Row[]; unrendered: number }>)) {
    assert.equal(k.pages, 1, kind);
    assert.equal(k.unrendered, 0, kind);
    kinds[kind] = { tokens: k.tokens, share: k.share, definitions: k.definitions };
  }
  return { json, figures: { total: json.total, kinds } };
}

test('the sample server (stdio, legacy era): the figures of the v1 client listing, rendered by the default rendering', async () => {
  const v1 = await listWithV1(process.execPath, [SAMPLE]);
  assert.equal(v1.lists.tools!.length, 10);
  const r = await runCli(['definitions', '--json', '--quiet', '--', process.execPath, SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  const { json, figures: got } = printed(r.stdout);
  assert.deepEqual(json.server, { name: 'acme-internal-tools', version: '1.4.2' });
  assert.equal(json.era, 'legacy');
  assert.deepEqual(got, figures(v1.lists));
});

test('server-everything over stdio and over Streamable HTTP (legacy era): the same figures as the v1 client listing', async () => {
  const v1 = await listWithV1(process.execPath, [EVERYTHING, 'stdio']);
  const want = figures(v1.lists);
  assert.ok(v1.lists.tools!.length > 5 && v1.lists.resourceTemplates!.length > 0, 'every kind is exercised');
  const stdio = await runCli(['definitions', '--json', '--quiet', '--', process.execPath, EVERYTHING, 'stdio']);
  assert.equal(stdio.code, 0, stdio.stderr);
  const s = printed(stdio.stdout);
  assert.equal(s.json.era, 'legacy');
  assert.deepEqual(s.json.server, { name: v1.server!.name, version: v1.server!.version });
  assert.deepEqual(s.figures, want);

  const port = await freePort();
  const server = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    // Ready when it says so on stderr.
    let log = '';
    server.stderr.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (d: string) => {
        log += d;
        if (log.includes(`listening on port ${port}`)) resolve();
      });
      server.once('exit', (code) => reject(new Error(`server-everything exited (${code}): ${log}`)));
    });
    const http = await runCli(['definitions', '--json', '--quiet', '--http', `http://127.0.0.1:${port}/mcp`]);
    assert.equal(http.code, 0, http.stderr);
    const h = printed(http.stdout);
    assert.equal(h.json.era, 'legacy');
    assert.deepEqual(h.figures, want);
  } finally {
    server.kill('SIGTERM');
    if (server.exitCode === null) await once(server, 'exit');
  }
});

test('an SDK v2 server in the modern era over Streamable HTTP: era, version, and the tokens of its literal definitions', async () => {
  const v2 = await startV2Server();
  try {
    const r = await runCli(['definitions', '--json', '--quiet', '--http', v2.url.href]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.server, { name: V2_SERVER_NAME, version: '2.1.0' });
    assert.equal(json.era, 'modern');
    assert.equal(json.protocolVersion, '2026-07-28');
    const [deploy, status] = V2_TOOLS;
    const texts = {
      deploy: `deploy\n${deploy.description}\n{"properties":{"env":{"enum":["staging","prod"],"type":"string"},"service":{"description":"Service name","type":"string"}},"required":["service","env"],"type":"object"}`,
      status: `status\n${status.description}\n{"properties":{"id":{"type":"integer"}},"required":["id"],"type":"object"}`,
      'release-notes': 'release-notes\nDraft release notes for a version.',
      changelog: 'changelog\ndocs://changelog\nThe changelog',
      deployment: 'deployment\ndeploy://{id}\nOne deployment by id',
    };
    const t = Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, count(v)])) as Record<keyof typeof texts, number>;
    const total = Object.values(t).reduce((n, x) => n + x, 0);
    assert.equal(json.total, total);
    const tools = [
      { name: 'deploy', tokens: t.deploy, share: t.deploy / total },
      { name: 'status', tokens: t.status, share: t.status / total },
    ].sort((a, b) => b.tokens - a.tokens);
    assert.deepEqual(json.kinds, {
      tools: { pages: 1, tokens: t.deploy + t.status, share: (t.deploy + t.status) / total, definitions: tools, unrendered: 0 },
      prompts: { pages: 1, tokens: t['release-notes'], share: t['release-notes'] / total, definitions: [{ name: 'release-notes', tokens: t['release-notes'], share: t['release-notes'] / total }], unrendered: 0 },
      resources: { pages: 1, tokens: t.changelog, share: t.changelog / total, definitions: [{ name: 'changelog', uri: 'docs://changelog', tokens: t.changelog, share: t.changelog / total }], unrendered: 0 },
      resourceTemplates: { pages: 1, tokens: t.deployment, share: t.deployment / total, definitions: [{ name: 'deployment', uri: 'deploy://{id}', tokens: t.deployment, share: t.deployment / total }], unrendered: 0 },
    });
  } finally {
    await v2.stop();
  }
});
