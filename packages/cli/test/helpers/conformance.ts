/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`)
 * in server mode, as a CI job runs it: `conformance server --url <url>
 * --suite all -o <dir>` (or `--scenario <name>`). It connects to the
 * server as an MCP client (SDK v1, 2025 protocol), runs its scenarios one
 * after another and writes one folder per scenario,
 * `server-<scenario>-<timestamp>/checks.json`. Read back here as scenario
 * -> checks, in the order the summary lists them (a single scenario has no
 * summary).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONFORMANCE = createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/dist/index.js');

/** One check as checks.json has it: SUCCESS, FAILURE, WARNING or INFO, with what it saw. */
export interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
  readonly details?: unknown;
  readonly timestamp?: string;
  readonly [key: string]: unknown;
}

export interface ConformanceRun {
  readonly code: number | null;
  /** Scenario -> its checks, in the summary's order. */
  readonly scenarios: Map<string, Check[]>;
  /** The summary's lines, `✓ ping: 1 passed, 0 failed`. */
  readonly summary: string[];
  readonly stdout: string;
}

const RESULT_DIR = /^server-(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;
const SUMMARY_LINE = /^[✓✗] (\S+): \d+ passed, \d+ failed$/;

/** `scenario`: that one only; without it, every server scenario (`--suite all`, the pending ones included). */
export async function runConformanceServer(url: string, scenario?: string): Promise<ConformanceRun> {
  const out = mkdtempSync(join(tmpdir(), 'conformance-'));
  const which = scenario ? ['--scenario', scenario] : ['--suite', 'all'];
  const child = spawn(process.execPath, [CONFORMANCE, 'server', '--url', url, ...which, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  const summary = stdout.slice(stdout.indexOf('=== SUMMARY ===')).split('\n').filter((l) => SUMMARY_LINE.test(l));
  const folders = new Map<string, string>();
  for (const name of readdirSync(out)) {
    const found = RESULT_DIR.exec(name)?.[1];
    if (!found || folders.has(found)) throw new Error(`unexpected result folder ${name} in ${out}`);
    folders.set(found, name);
  }
  const order = scenario ? [scenario] : summary.map((line) => SUMMARY_LINE.exec(line)![1]!);
  const scenarios = new Map<string, Check[]>();
  for (const name of order) {
    const folder = folders.get(name);
    if (!folder) throw new Error(`no results for ${name} in ${out}:\n${stdout}`);
    scenarios.set(name, JSON.parse(readFileSync(join(out, folder, 'checks.json'), 'utf8')) as Check[]);
  }
  if (scenarios.size !== folders.size) throw new Error(`${folders.size} result folders, ${scenarios.size} scenarios in the summary:\n${stdout}`);
  return { code, scenarios, summary, stdout };
}
