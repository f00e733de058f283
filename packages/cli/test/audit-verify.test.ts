import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { AUDIT_FIELDS } from '@mcp-conservation/semconv';
import { GENESIS_LINK, sealRecord, type AuditRecord, type AuditValue } from '@mcp-conservation/semconv/audit';
import { runCli } from './helpers/cli.ts';
import { serializeRecords, writeJsonLines } from './helpers/otlp-writer.ts';
import { keyed, unkeyed, KEY } from './helpers/vectors.ts';

const dir = mkdtempSync(join(tmpdir(), 'mcpc-verify-'));
const records = (s: typeof unkeyed) => s.records.map((r) => r.record);

/** The Collector re-encodes OTLP int64 values as JSON strings (protojson); the SDK writes numbers. */
function asCollectorJson(message: string): string {
  return message.replace(/"intValue":(-?\d+)/g, '"intValue":"$1"');
}

function lengthPrefixed(messages: readonly Buffer[]): Buffer {
  return Buffer.concat(messages.flatMap((m) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(m.length);
    return [len, m];
  }));
}

test('clean trail in a rotated set (backup + live file): exit 0, every record read', async () => {
  const set = join(dir, 'clean');
  mkdirSync(set);
  // The file exporter's rotation renames the live file with a timestamp and starts a new one.
  await writeJsonLines(join(set, 'audit-2026-11-25T12-00-00.000.json'), records(unkeyed));
  await writeJsonLines(join(set, 'audit.json'), records(keyed));
  // The trail mixes an unkeyed and a keyed producer: --allow-unkeyed accepts the unkeyed chain, counted as not authenticated.
  const r = await runCli(['audit', 'verify', '--key', KEY, '--allow-unkeyed', join(set, 'audit-2026-11-25T12-00-00.000.json'), join(set, 'audit.json')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 file\(s\), 8 record\(s\) in 2 session\(s\), 4 not authenticated \(plain SHA-256 chains\)/);
  assert.match(r.stdout, /^OK: every chain is contiguous and unaltered$/m);
  // A folder is read as a rotated set, with the same result.
  const folder = await runCli(['audit', 'verify', '--key', KEY, '--allow-unkeyed', '--json', set]);
  assert.equal(folder.code, 0, folder.stderr);
  const json = JSON.parse(folder.stdout);
  assert.equal(json.ok, true);
  assert.equal(json.records, 8);
  assert.deepEqual(json.sessions.map((s: { session: string; records: number; ended: boolean }) => [s.session, s.records, s.ended]).sort(), [
    ['s-keyed', 4, true],
    ['s-unkeyed', 4, true],
  ]);
});

test('one record removed and one altered: each reported with session and position, exit 1', async () => {
  const file = join(dir, 'tampered.json');
  const u = records(unkeyed);
  const k = records(keyed);
  // Remove the 2nd record of the unkeyed session; change the outcome of the 3rd keyed record.
  const tampered = [u[0]!, u[2]!, u[3]!, k[0]!, k[1]!, { ...k[2]!, [AUDIT_FIELDS.outcome]: 'success', [AUDIT_FIELDS.tokensLost]: 0 }, k[3]!];
  await writeJsonLines(file, tampered);
  const r = await runCli(['audit', 'verify', '--key', KEY, '--allow-unkeyed', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  const gap = lines.filter((l) => l.startsWith('GAP'));
  const altered = lines.filter((l) => l.startsWith('ALTERED'));
  assert.deepEqual(gap, [`GAP                session s-unkeyed seq 2: records 2..2 are missing (before ${file}:2 record 1)`]);
  assert.deepEqual(altered, [`ALTERED            session s-keyed seq 3: content does not match its link (${file}:6 record 1)`]);
  assert.match(r.stdout, /^FAIL: 1 gap, 1 altered$/m);
  const json = JSON.parse((await runCli(['audit', 'verify', '--key-file', writeKeyFile(), '--allow-unkeyed', '--json', '--quiet', file])).stdout);
  assert.deepEqual(json.problems.map((p: { kind: string; session: string; seq: number }) => [p.kind, p.session, p.seq]), [
    ['gap', 's-unkeyed', 2],
    ['altered', 's-keyed', 3],
  ]);
});

test('with a key, a trail re-chained with plain SHA-256 by someone without the key is found: every record unkeyed, exit 1', async () => {
  // The forger turns the keyed session's timeout into a success, names another user and re-chains it unkeyed; then invents a session.
  let prev = GENESIS_LINK;
  const forged = records(keyed).map((r) => {
    const fields: Record<string, AuditValue> = {};
    for (const [k, v] of Object.entries(r)) if (k !== AUDIT_FIELDS.link && k !== AUDIT_FIELDS.prev && k !== AUDIT_FIELDS.chainAlgorithm) fields[k] = v;
    if (fields[AUDIT_FIELDS.outcome] === 'timeout') fields[AUDIT_FIELDS.outcome] = 'success';
    fields[AUDIT_FIELDS.user] = 'mallory';
    const sealed = sealRecord(fields as AuditRecord, prev);
    prev = String(sealed[AUDIT_FIELDS.link]);
    return sealed;
  });
  const file = join(dir, 'forged.json');
  await writeJsonLines(file, forged);
  const r = await runCli(['audit', 'verify', '--key', KEY, '--json', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout).problems as { kind: string; seq: number }[]).map((p) => [p.kind, p.seq]),
    [
      ['unkeyed', 1],
      ['unkeyed', 2],
      ['unkeyed', 3],
      ['unkeyed', 4],
    ],
  );
  // Without the key a plain chain is all there is to check: it holds, which is why a key is the only proof against a forger.
  assert.equal((await runCli(['audit', 'verify', file])).code, 0);
  // An unknown chain algorithm is malformed, with or without a key.
  const odd = join(dir, 'odd-alg.json');
  await writeJsonLines(odd, [{ ...forged[0]!, [AUDIT_FIELDS.chainAlgorithm]: 'none' }]);
  const o = await runCli(['audit', 'verify', '--allow-open', '--json', odd]);
  assert.deepEqual((JSON.parse(o.stdout).problems as { kind: string }[]).map((p) => p.kind), ['malformed']);
});

test('a non-finite integer in a record is that record malformed, not a crash', async () => {
  const file = join(dir, 'nonfinite.json');
  const messages = await serializeRecords(records(unkeyed));
  // The duration of record 2 as an int64 no number can hold.
  const bad = messages.map((m, i) => (i === 1 ? m.replace(/("key":"mcp_conservation\.audit\.duration_us","value":\{"intValue":)"?\d+"?/, '$1"1e999"') : m));
  assert.notEqual(bad[1], messages[1]);
  writeFileSync(file, bad.map((m) => `${m}\n`).join(''));
  const r = await runCli(['audit', 'verify', '--json', file]);
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /internal error/);
  const problems = JSON.parse(r.stdout).problems as { kind: string; seq: number; detail: string }[];
  assert.deepEqual(problems.map((p) => [p.kind, p.seq]), [['malformed', 2]]);
});

function writeKeyFile(): string {
  const path = join(dir, 'audit.key');
  writeFileSync(path, `${KEY}\n`);
  return path;
}

test('HMAC-chained records without the key: reported as unverifiable, exit 1; a wrong key finds every record altered', async () => {
  const file = join(dir, 'keyed.json');
  await writeJsonLines(file, records(keyed));
  const noKey = await runCli(['audit', 'verify', '--json', file]);
  assert.equal(noKey.code, 1);
  const problems = JSON.parse(noKey.stdout).problems as { kind: string }[];
  assert.deepEqual(problems.map((p) => p.kind), ['no_key', 'no_key', 'no_key', 'no_key']);
  const wrong = await runCli(['audit', 'verify', '--key', 'not-the-key', '--json', file]);
  assert.equal(wrong.code, 1);
  assert.deepEqual((JSON.parse(wrong.stdout).problems as { kind: string; seq: number }[]).map((p) => [p.kind, p.seq]), [
    ['altered', 1],
    ['altered', 2],
    ['altered', 3],
    ['altered', 4],
  ]);
});

test('Collector encodings: int64 as strings, length-prefixed zstd frames, whole-file zstd, gzip', async () => {
  const messages = (await serializeRecords([...records(unkeyed), ...records(keyed)])).map(asCollectorJson);
  assert.match(messages[0]!, /"intValue":"1"/);
  const lines = Buffer.from(messages.map((m) => `${m}\n`).join(''));
  const files: Record<string, Buffer> = {
    'strings.json': lines,
    // Classic `compression: zstd`: each message a 4-byte big-endian length and a zstd frame.
    'framed.zst': lengthPrefixed(messages.map((m) => zstdCompressSync(Buffer.from(m)))),
    // Native compression: a zstd stream of JSON lines, here as two concatenated frames.
    'stream.json.zst': Buffer.concat([zstdCompressSync(Buffer.from(messages.slice(0, 3).map((m) => `${m}\n`).join(''))), zstdCompressSync(Buffer.from(messages.slice(3).map((m) => `${m}\n`).join('')))]),
    'rotated.json.gz': gzipSync(lines),
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    const r = await runCli(['audit', 'verify', '--key', KEY, '--allow-unkeyed', '--json', path]);
    assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).records, 8, name);
  }
});

test('identical duplicates (an exporter retry) are ignored; a session without session_end is reported unless --allow-open', async () => {
  const file = join(dir, 'retry.json');
  const u = records(unkeyed);
  await writeJsonLines(file, [u[0]!, u[1]!, u[1]!, u[2]!]);
  const r = await runCli(['audit', 'verify', '--json', file]);
  assert.equal(r.code, 1);
  const json = JSON.parse(r.stdout);
  assert.equal(json.duplicates, 1);
  assert.deepEqual(json.problems.map((p: { kind: string; seq: number }) => [p.kind, p.seq]), [['incomplete', 4]]);
  const open = await runCli(['audit', 'verify', '--allow-open', file]);
  assert.equal(open.code, 0, open.stdout);
  assert.match(open.stdout, /1 identical duplicate\(s\) ignored, 1 without session_end/);
});

test('other log records and trace files in the same folder are skipped, not counted as audit records', async () => {
  const file = join(dir, 'mixed.json');
  const [message] = await serializeRecords([records(unkeyed)[0]!]);
  const other = JSON.parse(message!);
  other.resourceLogs[0].scopeLogs[0].logRecords[0].eventName = 'app.something';
  writeFileSync(file, `${JSON.stringify(other)}\n{"resourceSpans":[]}\n`);
  await writeJsonLines(file, records(unkeyed));
  const r = await runCli(['audit', 'verify', '--json', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(JSON.parse(r.stdout).records, 4);
  // Legacy event.name attribute instead of the eventName field is recognised too.
  const legacy = JSON.parse(readFileSync(file, 'utf8').split('\n')[2]!);
  const lr = legacy.resourceLogs[0].scopeLogs[0].logRecords[0];
  delete lr.eventName;
  lr.attributes.push({ key: 'event.name', value: { stringValue: 'mcp_conservation.audit.operation' } });
  const legacyFile = join(dir, 'legacy.json');
  writeFileSync(legacyFile, `${JSON.stringify(legacy)}\n`);
  const l = await runCli(['audit', 'verify', '--allow-open', '--json', legacyFile]);
  assert.equal(JSON.parse(l.stdout).records, 1, l.stdout);
});

test('a folder holding links to trail files reads them; its subfolders are named, not read', async () => {
  const real = join(dir, 'linked-real.json');
  await writeJsonLines(real, records(unkeyed));
  const folder = join(dir, 'linked');
  mkdirSync(join(folder, 'older'), { recursive: true });
  symlinkSync(real, join(folder, 'audit.json'));
  const r = await runCli(['audit', 'verify', '--json', folder]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(JSON.parse(r.stdout).records, 4);
  assert.match(r.stderr, /older: a folder inside .*, not read/);
});
