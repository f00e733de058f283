import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.ts';

test('--help of the binary lists every command and the exit codes', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const command of ['demo', 'proxy', 'audit', 'report']) assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'));
  assert.match(r.stdout, /^ {2}4 {3}an endpoint \(Prometheus\) could not be reached/m);
});

test('every command has --help, exit 0, on stdout', async () => {
  for (const args of [['audit', '--help'], ['audit', 'verify', '--help'], ['report', '--help'], ['proxy', '--help'], ['help', 'report']]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: mcp-conservation /m, args.join(' '));
  }
});

test('no command, an unknown command, an unknown flag, a missing value: usage errors, exit 2', async () => {
  const none = await runCli([]);
  assert.equal(none.code, 2);
  const unknown = await runCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const flag = await runCli(['audit', 'verify', '--frob', 'x.json']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /audit verify: Unknown option '--frob'/);
  const value = await runCli(['audit', 'verify', 'x.json', '--key']);
  assert.equal(value.code, 2);
  assert.match(value.stderr, /--key/);
  const sub = await runCli(['audit', 'check']);
  assert.equal(sub.code, 2);
  assert.match(sub.stderr, /unknown subcommand 'check'/);
  const nofiles = await runCli(['audit', 'verify']);
  assert.equal(nofiles.code, 2);
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});
