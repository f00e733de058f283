/**
 * `mcp-conservation definitions`: the price of a server's definitions. Lists
 * its tools, prompts, resources and resource templates in either protocol
 * era and counts the tokens each definition costs every host that lists it,
 * so that a server's CI can hold them under a budget.
 */
import { createRequire } from 'node:module';
import { parseCommandArgs } from '../command-line/args.js';
import { usageError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';
import { stderrProgress } from '../command-line/progress.js';
import { ENCODINGS, type Encoding } from '../definitions/tokenizer.js';
import type { ServerTarget } from '../definitions/list.js';
import type { Budget, CallsSource } from '../definitions/format.js';

export const DEFINITIONS_HELP = `Usage: mcp-conservation definitions [options] -- <server command> [args...]   (stdio)
       mcp-conservation definitions [options] --http <url>                      (Streamable HTTP)

Connects to an MCP server in either protocol era (2025 or 2026-07-28), lists
its tools, prompts, resources and resource templates (every page), and prints
what each definition costs in tokens as the default rendering hands it to the
model (name, description, compact input schema; prompts: their arguments;
resources: their URI), its share of the server's total, most expensive first,
then the total. See docs/definitions.md.

Options:
  --http <url>             the server's Streamable HTTP endpoint
  --header <name: value>   an HTTP header for every request (repeatable), e.g. Authorization
  --tokenizer <encoding>   o200k_base (default) or cl100k_base; hosts differ, the output says which counted
  --budget <tokens>        exit 1 when the total is over this many tokens (for a server's CI)
  --prometheus <url>       add each tool's calls in --range from this Prometheus, and mark
                           the tools never called
  --range <duration>       with --prometheus: how far back from now, e.g. 24h, 7d (default 7d)
  --server <regex>         with --prometheus: the server's name in the metrics
                           (default: exactly the name the server gives)
  --service <regex>        with --prometheus: only these services (the job label)
  --observer <regex>       with --prometheus: only this observer, sdk or proxy (when both see the same calls)
  --timeout <seconds>      for connecting and for each request (default 30)
  --json                   print the figures as JSON on stdout
  --quiet                  no progress, and no server stderr, on stderr
  -h, --help               this help

A stdio server is started twice: the client probes the protocol era on a
short-lived copy first.

Exit codes:
  0   done, and within --budget (or no budget)
  1   the total is over --budget
  2   usage error
  4   the server or Prometheus could not be reached, or answered with an error
  70  internal error (a bug; please report it)`;

interface DefinitionsFlags {
  http?: string;
  header?: string[];
  tokenizer?: string;
  budget?: string;
  prometheus?: string;
  range?: string;
  server?: string;
  service?: string;
  observer?: string;
  timeout?: string;
  json?: boolean;
  quiet?: boolean;
}

function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function nonNegativeInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw usageError(`definitions: ${flag} must be a whole number of tokens, got '${value}'`);
  return n;
}

function headersOf(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of values) {
    const at = h.indexOf(':');
    if (at <= 0) throw usageError(`definitions: --header must be 'Name: value', got '${h}'`);
    headers[h.slice(0, at).trim()] = h.slice(at + 1).trim();
  }
  return headers;
}

function targetOf(values: DefinitionsFlags, server: string[], quiet: boolean): ServerTarget {
  if (values.http !== undefined) {
    if (server.length) throw usageError('definitions: give --http <url> or -- <server command>, not both');
    let url: URL;
    try {
      url = new URL(values.http);
    } catch {
      throw usageError(`definitions: --http is not a URL: '${values.http}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`definitions: --http must be an http(s) URL, got '${url.protocol}'`);
    return { http: { url, headers: headersOf(values.header ?? []) } };
  }
  if (values.header?.length) throw usageError('definitions: --header needs --http <url>');
  if (server.length === 0) throw usageError('definitions: give the server command after --, or --http <url>\nRun `mcp-conservation definitions --help` for usage.');
  const [command, ...args] = server as [string, ...string[]];
  return { stdio: { command, args, quiet } };
}

export async function runDefinitions(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const server = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals, help } = parseCommandArgs<DefinitionsFlags>('definitions', own, {
    http: { type: 'string' },
    header: { type: 'string', multiple: true },
    tokenizer: { type: 'string' },
    budget: { type: 'string' },
    prometheus: { type: 'string' },
    range: { type: 'string' },
    server: { type: 'string' },
    service: { type: 'string' },
    observer: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (help) {
    process.stdout.write(`${DEFINITIONS_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length) throw usageError(`definitions: put the server command after '--': mcp-conservation definitions -- ${positionals.join(' ')}\nRun \`mcp-conservation definitions --help\` for usage.`);
  const quiet = values.quiet === true;
  const target = targetOf(values, server, quiet);
  const tokenizer = (values.tokenizer ?? 'o200k_base') as Encoding;
  if (!ENCODINGS.includes(tokenizer)) throw usageError(`definitions: --tokenizer must be one of ${ENCODINGS.join(', ')}, got '${values.tokenizer}'`);
  const budgetTokens = values.budget !== undefined ? nonNegativeInt('--budget', values.budget) : undefined;
  const timeoutS = values.timeout !== undefined ? Number(values.timeout) : 30;
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw usageError(`definitions: --timeout must be a positive number of seconds, got '${values.timeout}'`);
  const { parseDuration } = await import('../report/duration.js');
  if (values.prometheus === undefined) {
    for (const flag of ['range', 'server', 'service', 'observer'] as const) if (values[flag] !== undefined) throw usageError(`definitions: --${flag} needs --prometheus <url>`);
  }
  const range = values.range ?? '7d';
  const rangeSeconds = parseDuration(range);
  if (rangeSeconds === undefined) throw usageError(`definitions: --range must be a duration such as 24h or 7d, got '${range}'`);
  let prometheusUrl: URL | undefined;
  if (values.prometheus !== undefined) {
    try {
      prometheusUrl = new URL(values.prometheus);
    } catch {
      throw usageError(`definitions: --prometheus is not a URL: '${values.prometheus}'`);
    }
  }

  // The SDK client logs with console; stdout carries only the result.
  const { Console } = await import('node:console');
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  const progress = stderrProgress(quiet);
  const { listDefinitions } = await import('../definitions/list.js');
  const { loadCounter } = await import('../definitions/tokenizer.js');
  const { priceDefinitions } = await import('../definitions/price.js');
  const { formatJson, formatText } = await import('../definitions/format.js');

  progress.step(`listing definitions of ${'http' in target ? target.http.url.href : [target.stdio.command, ...target.stdio.args].join(' ')}`);
  const listing = await listDefinitions(target, version(), timeoutS * 1000);

  let calls: Map<string, number> | undefined;
  let callsSource: CallsSource | undefined;
  if (prometheusUrl) {
    const { exactRegex, toolCallsInRange } = await import('../definitions/calls.js');
    const serverRegex = values.server ?? (listing.server.name !== undefined ? exactRegex(listing.server.name) : undefined);
    if (serverRegex === undefined) throw usageError('definitions: the server gave no name; name it in the metrics with --server <regex>');
    const { PrometheusClient } = await import('../report/prometheus-client.js');
    const end = new Date();
    progress.step(`reading tool calls over the last ${range} from ${prometheusUrl.href}`);
    calls = await toolCallsInRange(new PrometheusClient(prometheusUrl, timeoutS * 1000), {
      server: serverRegex,
      ...(values.service !== undefined ? { service: values.service } : {}),
      ...(values.observer !== undefined ? { observer: values.observer } : {}),
      rangeSeconds,
      end,
    });
    callsSource = { prometheus: prometheusUrl.href, range, start: new Date(end.getTime() - rangeSeconds * 1000).toISOString(), end: end.toISOString() };
  }

  const price = priceDefinitions(listing, await loadCounter(tokenizer), tokenizer, calls);
  const budget: Budget | undefined = budgetTokens !== undefined ? { tokens: budgetTokens, over: price.total > budgetTokens } : undefined;
  process.stdout.write(`${values.json ? formatJson(price, budget, callsSource) : formatText(price, budget, callsSource)}\n`);
  if (budget?.over) {
    if (values.json) progress.warn(`over budget: ${price.total} tokens > ${budget.tokens}`);
    return EXIT.findings;
  }
  if (!listing.kinds.tools && !listing.kinds.prompts && !listing.kinds.resources) progress.warn('the server announces no tools, prompts or resources');
  return EXIT.ok;
}

