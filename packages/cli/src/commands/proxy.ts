/**
 * `mcp-conservation proxy`: a zero-code observer for hosts that cannot be
 * instrumented. It relays MCP (stdio or Streamable HTTP) unchanged in
 * meaning and emits the instrumentation's spans, metrics and audit records
 * through its message-level core, with observer `proxy`.
 */
import { parseCommandArgs } from '../command-line/args.js';
import { usageError } from '../command-line/errors.js';
import { EXIT } from '../command-line/exit-codes.js';
import { resolveKey } from '../command-line/key.js';
import type { ConservationOptions } from '@mcp-conservation/instrumentation';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/**
 * How long a stdio proxy whose server exited may spend on its last telemetry
 * flush, and on its exports once its accounting is done. A host closing its
 * server (the MCP SDK's StdioClientTransport) ends stdin, sends SIGTERM 2 s
 * later and SIGKILL 2 s after that. Exports get 1 s, so that a collector
 * that is down costs no SIGTERM; the accounting may take longer on a busy
 * machine, and a flush that runs into the SIGTERM goes on within the grace.
 */
export const STDIO_EXIT_FLUSH_MS = 3000;
export const STDIO_EXIT_EXPORT_MS = 1000;
/** A signal during the last flush leaves it this long, within the 2 s a host gives between SIGTERM and SIGKILL. */
export const STDIO_SIGNAL_GRACE_MS = 1500;
/**
 * An HTTP host that closes without DELETE (the SDK client does) is seen
 * only as silence: a session with no traffic and no open stream this long
 * has ended, at its last activity.
 */
export const DEFAULT_SESSION_IDLE_S = 600;

/** HTTP: a client that closes a response stream after waiting this long (ms) timed out; sooner, it cancelled. */
export const DEFAULT_STREAM_TIMEOUT_MS = 60_000;

/**
 * HTTP: stateless (2026-07-28) traffic has no session, so its audit chain
 * covers a stretch of time: closed and begun anew after this long (s), as
 * a per-request server's chain is.
 */
export const DEFAULT_AUDIT_CHAIN_MAX_AGE_S = 3600;

export const PROXY_HELP = `Usage: mcp-conservation proxy [options] -- <server command> [args...]      (stdio)
       mcp-conservation proxy [options] --http <upstream url> --listen <host:port>

Relays MCP messages between a host and a server, unchanged in meaning, and
emits the same spans, metrics and audit records as the client
instrumentation, marked mcp_conservation.observer="proxy".

stdio: a host launches the proxy in place of the server, e.g. in an
mcpServers entry: "command": "npx", "args": ["mcp-conservation", "proxy",
"--", "npx", "-y", "some-server"]. stdout carries only MCP messages;
diagnostics and the server's stderr go to stderr.

HTTP: a Streamable HTTP reverse proxy. Point the host at
http://<listen><path of the upstream url>; every request (POST, GET, DELETE,
any path) goes to the upstream origin with its headers, Authorization
included (never logged or exported).

Options:
  --http <url>                upstream Streamable HTTP endpoint (HTTP mode)
  --listen <host:port>        where to listen in HTTP mode (default 127.0.0.1:8808)
  --max-message-bytes <n>     larger messages are relayed unread (default ${DEFAULT_MAX_MESSAGE_BYTES})
  --session-idle <seconds>    HTTP: a session with no traffic and no open stream
                              this long has ended (default ${DEFAULT_SESSION_IDLE_S})
  --stream-timeout <ms>       HTTP: a host that closes a response stream before
                              its answer cancelled it, or timed out once it
                              waited this long (default ${DEFAULT_STREAM_TIMEOUT_MS})
  --audit-chain-max-age <s>   HTTP: the audit chain of stateless (2026-07-28)
                              traffic, which has no session, is closed and a
                              new one begun after this long (default ${DEFAULT_AUDIT_CHAIN_MAX_AGE_S})
  --audit-key-file <file>     key for the audit trail's HMAC chain
                              (default: MCP_CONSERVATION_AUDIT_KEY)
  --quiet                     no progress on stderr (warnings still)
  -h, --help                  this help

Telemetry: the standard OTEL_* variables (OTLP by default, http/protobuf to
http://localhost:4318; OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
OTEL_SERVICE_NAME, OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none, OTEL_SDK_DISABLED).
If the collector is down, traffic still flows. See docs/proxy.md.

Exit codes:
  stdio   the server's exit code (128+n when a signal ended it);
          127 when the server command cannot be started
  HTTP    0 after SIGINT/SIGTERM; 4 when it cannot listen
  2       usage error`;

interface ProxyFlags {
  http?: string;
  listen?: string;
  'max-message-bytes'?: string;
  'session-idle'?: string;
  'stream-timeout'?: string;
  'audit-chain-max-age'?: string;
  'audit-key-file'?: string;
  quiet?: boolean;
}

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw usageError(`proxy: ${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^(\d+)$/.exec(value);
  if (!m) throw usageError(`proxy: --listen must be <host:port>, got '${value}'`);
  const port = Number(m.length === 2 ? m[1] : m[3]);
  if (port > 65535) throw usageError(`proxy: --listen port out of range: ${port}`);
  const host = m.length === 2 ? '127.0.0.1' : (m[1] ?? m[2] ?? '') || '127.0.0.1';
  return { host, port };
}

export async function runProxy(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const server = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals, help } = parseCommandArgs<ProxyFlags>('proxy', own, {
    http: { type: 'string' },
    listen: { type: 'string' },
    'max-message-bytes': { type: 'string' },
    'session-idle': { type: 'string' },
    'stream-timeout': { type: 'string' },
    'audit-chain-max-age': { type: 'string' },
    'audit-key-file': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (help) {
    process.stdout.write(`${PROXY_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length) throw usageError(`proxy: put the server command after '--': mcp-conservation proxy -- ${positionals.join(' ')}\nRun \`mcp-conservation proxy --help\` for usage.`);
  const maxMessageBytes = positiveInt('--max-message-bytes', values['max-message-bytes'], DEFAULT_MAX_MESSAGE_BYTES);
  const sessionIdleMs = positiveInt('--session-idle', values['session-idle'], DEFAULT_SESSION_IDLE_S) * 1000;
  const streamTimeoutMs = positiveInt('--stream-timeout', values['stream-timeout'], DEFAULT_STREAM_TIMEOUT_MS);
  const auditChainMaxAgeMs = positiveInt('--audit-chain-max-age', values['audit-chain-max-age'], DEFAULT_AUDIT_CHAIN_MAX_AGE_S) * 1000;
  const auditKey = resolveKey('proxy', undefined, values['audit-key-file']);
  const options: ConservationOptions = auditKey !== undefined ? { auditKey } : {};
  const quiet = values.quiet === true;
  const note = (message: string) => process.stderr.write(`mcp-conservation: proxy: ${message}\n`);
  const step = (message: string) => {
    if (!quiet) note(message);
  };

  if (values.http !== undefined) {
    if (server.length) throw usageError('proxy: give --http <url> or -- <server command>, not both');
    let upstream: URL;
    try {
      upstream = new URL(values.http);
    } catch {
      throw usageError(`proxy: --http is not a URL: '${values.http}'`);
    }
    if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw usageError(`proxy: --http must be an http(s) URL, got '${upstream.protocol}'`);
    const listen = parseListen(values.listen ?? '127.0.0.1:8808');
    const { consoleToStderr, startTelemetry } = await import('../proxy/telemetry.js');
    consoleToStderr();
    const { runHttpProxy } = await import('../proxy/http.js');
    const telemetry = startTelemetry(options);
    return runHttpProxy({ upstream, listen, maxMessageBytes, sessionIdleMs, streamTimeoutMs, auditChainMaxAgeMs, telemetry, note, step });
  }

  if (values.listen !== undefined) throw usageError('proxy: --listen needs --http <upstream url>');
  if (server.length === 0) throw usageError('proxy: give the server command after --, or --http <url> --listen <host:port>\nRun `mcp-conservation proxy --help` for usage.');
  const { consoleToStderr, startTelemetry } = await import('../proxy/telemetry.js');
  consoleToStderr();
  const { runStdioProxy } = await import('../proxy/stdio.js');
  const telemetry = startTelemetry(options);
  const [command, ...args] = server as [string, ...string[]];
  step(`relaying stdio to ${command}`);
  const exit = await runStdioProxy({ command, args, maxMessageBytes, telemetry, note });
  const grace = signalGrace();
  await telemetry.shutdown(STDIO_EXIT_FLUSH_MS, { exportMs: STDIO_EXIT_EXPORT_MS, cutShort: grace.expired });
  grace.dispose();
  if (exit.signal) {
    // End the way the server ended, so the host sees the same.
    process.kill(process.pid, exit.signal);
  }
  // Nothing else may keep the process alive once the server is gone (the host's stdin, exporter sockets).
  process.exit(exit.code);
}

/**
 * Settles STDIO_SIGNAL_GRACE_MS after the first SIGINT, SIGTERM or SIGHUP
 * that arrives once the server is gone. Handling the signal keeps the
 * process alive for the rest of its flush: the default action would end it
 * with its last records unexported.
 */
function signalGrace(): { expired: Promise<void>; dispose(): void } {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let onSignal = (): void => undefined;
  const dispose = (): void => {
    for (const s of signals) process.off(s, onSignal);
  };
  const expired = new Promise<void>((resolve) => {
    onSignal = () => {
      dispose();
      setTimeout(resolve, STDIO_SIGNAL_GRACE_MS).unref();
    };
  });
  for (const s of signals) process.on(s, onSignal);
  // Removed before the proxy re-raises the server's signal on itself, which must end it.
  return { expired, dispose };
}
