/**
 * The stdio relay: the host launches the proxy in place of the server; the
 * proxy spawns the server and relays newline-delimited JSON-RPC both ways.
 * Lines pass byte for byte unless a request gains trace context; the
 * server's stderr is the proxy's. When the server ends, the host sees its
 * stdout end, and the proxy exits with the server's code (or signal).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { LineSplitter } from './lines.js';
import { spliceTraceContext } from './meta-splice.js';
import { parseJson } from './observe.js';
import { StdioSession } from './stdio-session.js';
import type { ProxyTelemetry } from './telemetry.js';
import { reportStateOnSignal } from './state-report.js';

export interface StdioProxyOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly maxMessageBytes: number;
  readonly telemetry: ProxyTelemetry;
  readonly note: (message: string) => void;
}

/** How the proxy ends: the server's exit code, or the signal that ended it (re-raised by the caller). */
export interface StdioExit {
  readonly code: number;
  readonly signal?: NodeJS.Signals;
}

const NEWLINE = Buffer.from('\n');

/** A writable that pauses its source while full, and swallows EPIPE once its reader is gone. */
function pipeWriter(target: NodeJS.WritableStream, source: NodeJS.ReadableStream, onGone: () => void) {
  let gone = false;
  target.on('error', (error: NodeJS.ErrnoException) => {
    if (!gone) {
      gone = true;
      onGone();
    }
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') process.stderr.write(`mcp-conservation: proxy: write failed: ${error.message}\n`);
  });
  // One drain listener however many lines found the target full (one per line passed Node's listener limit).
  let waiting = false;
  const resume = () => {
    waiting = false;
    source.resume();
  };
  return (bytes: Buffer) => {
    if (gone || bytes.length === 0) return;
    if (!target.write(bytes) && !waiting) {
      waiting = true;
      source.pause();
      target.once('drain', resume);
    }
  };
}

export function runStdioProxy(o: StdioProxyOptions): Promise<StdioExit> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(o.command, [...o.args], {
        stdio: ['pipe', 'pipe', 'inherit'],
        // Windows resolves `npx` and friends through the shell, as hosts do.
        shell: process.platform === 'win32',
      });
    } catch (error) {
      o.note(`cannot start the server '${o.command}': ${(error as Error).message}`);
      resolve({ code: 127 });
      return;
    }
    const session = new StdioSession(o.telemetry.core, o.note);
    const hostIn = process.stdin;
    const hostOut = process.stdout;
    const serverIn = child.stdin!;
    const serverOut = child.stdout!;

    const toServer = pipeWriter(serverIn, hostIn, () => undefined);
    const toHost = pipeWriter(hostOut, serverOut, () => undefined);

    const fromHost = new LineSplitter(o.maxMessageBytes, {
      line(bytes) {
        const parsed = bytes.length > 0 ? parseJson(bytes.toString('utf8')) : undefined;
        const out = parsed?.ok ? session.fromHost(parsed.value) : undefined;
        // Trace context goes in by inserting bytes; malformed input goes on as it is: the server answers it as it would without us.
        const spliced = out === undefined || !parsed?.ok ? undefined : spliceTraceContext(bytes, parsed.value, out);
        if (out !== undefined && spliced === undefined) o.note('trace context could not be added to a request: relayed as it came');
        toServer(Buffer.concat([spliced ?? bytes, NEWLINE]));
      },
      passthrough: toServer,
      oversized(total) {
        o.note(`a ${total}-byte message from the host exceeds --max-message-bytes ${o.maxMessageBytes}: relayed unread`);
      },
      tail: toServer,
    });
    const fromServer = new LineSplitter(o.maxMessageBytes, {
      line(bytes) {
        toHost(Buffer.concat([bytes, NEWLINE]));
        if (bytes.toString('latin1').trim() === '') return;
        const parsed = parseJson(bytes.toString('utf8'));
        if (parsed.ok) session.fromServer(parsed.value, bytes.length);
        else session.unparseable(parsed.error);
      },
      passthrough: toHost,
      oversized(total) {
        o.note(`a ${total}-byte message from the server exceeds --max-message-bytes ${o.maxMessageBytes}: relayed unread`);
        session.unparseable(new SyntaxError(`a ${total}-byte message exceeded the proxy's limit and was not parsed`));
      },
      tail: toHost,
    });

    hostIn.on('data', (chunk: Buffer) => fromHost.push(chunk));
    hostIn.on('end', () => {
      fromHost.end();
      // The host closed its side: the server sees EOF, as it would without us.
      serverIn.end();
    });
    hostIn.on('error', () => serverIn.end());
    serverOut.on('data', (chunk: Buffer) => fromServer.push(chunk));
    serverOut.on('end', () => fromServer.end());

    // Signals meant for the server reach it; the proxy ends when the server does.
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of signals) process.on(s, forward);
    const stopReporting = reportStateOnSignal(o.note, () => undefined);

    let settled = false;
    const finish = (exit: StdioExit) => {
      if (settled) return;
      settled = true;
      for (const s of signals) process.off(s, forward);
      stopReporting();
      hostIn.pause();
      hostIn.removeAllListeners('data');
      // The host sees the end of the server's output now; telemetry is flushed after.
      hostOut.end(() => {
        try {
          session.close();
        } catch (error) {
          o.note(`closing the session's telemetry failed: ${String(error)}`);
        }
        resolve(exit);
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      o.note(`cannot start the server '${o.command}': ${error.message}`);
      finish({ code: error.code === 'ENOENT' ? 127 : 126 });
    });
    child.on('close', (code, signal) => {
      if (signal) o.note(`server ended by ${signal}`);
      finish(signal ? { code: 128 + signalNumber(signal), signal } : { code: code ?? 1 });
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal] ?? 1;
}
