// A recording stage on a stdio pipe: `recording-shim.mjs <prefix> <command> [args...]` runs the command
// with its stdin and stdout relayed byte for byte, and writes what passes to `<prefix>-<n>.in` (what the
// command received) and `<prefix>-<n>.out` (what it wrote), n counting the processes started with the same
// prefix (0 for a v2 client's sibling probe, 1 for its session). Each chunk is on disk before it is
// passed on, so whatever answered it was recorded first. Signals reach the command; the stage exits as it does.
import { spawn } from 'node:child_process';
import { openSync, writeSync } from 'node:fs';

const [prefix, command, ...args] = process.argv.slice(2);

/** The first free `<prefix>-<n>`: created exclusively, so two stages never share a file. */
function claim() {
  for (let n = 0; ; n++) {
    try {
      return { input: openSync(`${prefix}-${n}.in`, 'wx'), output: openSync(`${prefix}-${n}.out`, 'wx') };
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
}

const files = claim();
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.on('data', (chunk) => {
  writeSync(files.input, chunk);
  child.stdin.write(chunk);
});
process.stdin.on('end', () => child.stdin.end());
// The command left before reading everything: what it did not read is not recorded as received either.
child.stdin.on('error', () => undefined);
child.stdout.on('data', (chunk) => {
  writeSync(files.output, chunk);
  process.stdout.write(chunk);
});
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const forward = (signal) => child.kill(signal);
for (const s of signals) process.on(s, forward);
// The stage ends as the command did, once its output is passed on (stdout drains before a natural exit).
child.on('close', (code, signal) => {
  for (const s of signals) process.off(s, forward);
  process.stdin.destroy();
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 1;
});
