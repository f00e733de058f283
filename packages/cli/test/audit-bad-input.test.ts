import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { runCli } from './helpers/cli.ts';
import { serializeRecords, writeJsonLines } from './helpers/otlp-writer.ts';
import { unkeyed } from './helpers/vectors.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcpc-bad-'));
const records = unkeyed.records.map((r) => r.record);

/** A run must end with a documented exit code and a message, never a stack trace. */
function assertNoCrash(r: { code: number | null; stderr: string }): void {
  assert.ok(r.code !== null && [0, 1, 2, 3].includes(r.code), `exit ${r.code}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
}

test('malformed lines among good ones: diagnostics with file:line, the good records still verified, exit 1', async () => {
  const file = join(dir, 'malformed.json');
  const [first, ...rest] = await serializeRecords(records);
  const lines = [
    first,
    '{"resourceLogs": [ {"scopeLogs": [ {"logRecords": [',
    'not json at all',
    '[1,2,3]',
    '{"resourceLogs":"nope"}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[null, 7, {"eventName":"mcp_conservation.audit.operation","attributes":[null, 3, {"key":5}]}]}]}]}',
    ...rest,
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await runCli(['audit', 'verify', '--json', file]);
  assertNoCrash(r);
  assert.equal(r.code, 1);
  const json = JSON.parse(r.stdout);
  assert.equal(json.sessions[0].records, 4, 'the four good records are read');
  const d = json.diagnostics as string[];
  assert.ok(d.some((x) => x.startsWith(`${file}:2: not valid JSON`)), d.join('\n'));
  assert.ok(d.some((x) => x.startsWith(`${file}:3: not valid JSON`)));
  assert.ok(d.includes(`${file}:4: not a JSON object`));
  assert.ok(d.includes(`${file}:5: resourceLogs is not an array`));
  assert.ok(d.includes(`${file}:6 record 1: log record is not an object`));
  assert.ok(d.includes(`${file}:6 record 3: 3 malformed attribute(s) ignored`));
  // The audit event with no usable attributes is a malformed record, found by the chain check.
  assert.deepEqual(json.problems.map((p: { kind: string }) => p.kind), ['malformed']);
});

test('undecodable files: truncated zstd and gzip, protobuf, binary garbage, a cut length prefix', async () => {
  const messages = await serializeRecords(records);
  const text = Buffer.from(messages.map((m) => `${m}\n`).join(''));
  const zst = zstdCompressSync(text);
  const gz = gzipSync(text);
  const proto = Buffer.from([0, 0, 0, 3, 0x0a, 0x01, 0x02]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(10_000);
  const cases: Record<string, [Buffer, RegExp]> = {
    'cut.zst': [zst.subarray(0, zst.length - 7), /zstd data at byte 0 does not decompress .*truncated or corrupt/],
    'cut.gz': [gz.subarray(0, gz.length - 20), /gzip data does not decompress .*truncated or corrupt/],
    'data.binpb': [proto, /probably `format: proto`/],
    'random.bin': [Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]), /not an OTLP JSON file/],
    'cut-prefix.bin': [Buffer.concat([len, Buffer.from('{"resourceLogs":[]}')]), /not an OTLP JSON file/],
  };
  for (const [name, [content, expected]] of Object.entries(cases)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const r = await runCli(['audit', 'verify', '--json', path]);
    assertNoCrash(r);
    if (name === 'cut.gz') continue;
    // Nothing in the file could be read: an input error, with the reason.
    assert.equal(r.code, 3, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /no audit records found in 1 file\(s\)/, name);
    assert.match(r.stderr, expected, name);
  }
  // The truncated gzip still yields the records before the cut: verified, with the cut reported.
  const r = await runCli(['audit', 'verify', '--json', join(dir, 'cut.gz')]);
  assert.equal(r.code, 1);
  assert.ok(JSON.parse(r.stdout).records >= 1);
  assert.ok((JSON.parse(r.stdout).diagnostics as string[]).some((x) => /gzip data does not decompress .*truncated or corrupt/.test(x)));
});

test('decompression bombs and giant lines are reported, not read: no crash', async () => {
  // A gzip of 520 MiB of spaces (about 500 KB), and a 130 MiB line inside a valid file.
  const bomb = join(dir, 'bomb.json.gz');
  writeFileSync(bomb, gzipSync(Buffer.alloc(520 * 1024 * 1024, 0x20)));
  const r = await runCli(['audit', 'verify', bomb]);
  assertNoCrash(r);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /gzip data decompresses past 536870912 bytes: not read/);
  const messages = await serializeRecords(records);
  const giant = join(dir, 'giant-line.json');
  writeFileSync(giant, Buffer.concat([Buffer.from(`${messages[0]}\n{"x":"`), Buffer.alloc(130 * 1024 * 1024, 0x61), Buffer.from(`"}\n${messages.slice(1).join('\n')}\n`)]));
  const g = await runCli(['audit', 'verify', '--json', giant]);
  assertNoCrash(g);
  assert.equal(g.code, 1, g.stderr);
  const json = JSON.parse(g.stdout);
  assert.equal(json.records, records.length);
  assert.ok((json.diagnostics as string[]).some((d) => /:2: a line of \d+ bytes, longer than 134217728: not read/.test(d)), json.diagnostics.join('\n'));
});

test('files without audit records, missing files and unreadable files are input errors (exit 3)', async () => {
  const empty = join(dir, 'empty.json');
  writeFileSync(empty, '');
  const traces = join(dir, 'traces.json');
  writeFileSync(traces, '{"resourceSpans":[]}\n');
  const none = await runCli(['audit', 'verify', empty, traces]);
  assertNoCrash(none);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no audit records found in 2 file\(s\) \(1 message\(s\) hold traces or metrics, not logs\)/);
  const missing = await runCli(['audit', 'verify', join(dir, 'nope.json')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /cannot read .*nope\.json: no such file or folder/);
  const locked = join(dir, 'locked.json');
  await writeJsonLines(locked, records);
  chmodSync(locked, 0o000);
  // Root reads a mode-000 file anyway; only assert the error path when the OS refuses.
  let refused = false;
  try {
    readFileSync(locked);
  } catch {
    refused = true;
  }
  const r = await runCli(['audit', 'verify', locked]);
  assertNoCrash(r);
  assert.equal(r.code, refused ? 3 : 0);
});

test('a bad key file and conflicting key flags are reported clearly', async () => {
  const file = join(dir, 'k.json');
  await writeJsonLines(file, records);
  const both = await runCli(['audit', 'verify', '--key', 'a', '--key-file', 'b', file]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give --key or --key-file, not both/);
  const missing = await runCli(['audit', 'verify', '--key-file', join(dir, 'no.key'), file]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /cannot read key file/);
  const emptyKey = join(dir, 'empty.key');
  writeFileSync(emptyKey, '\n');
  const e = await runCli(['audit', 'verify', '--key-file', emptyKey, file]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /is empty/);
});
