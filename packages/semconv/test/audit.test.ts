import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AUDIT_FIELDS as F,
  canonicalJson,
  canonicalRecord,
  computeLink,
  verifyChain,
  auditRecordFromOtlp,
  sealRecord,
  GENESIS_LINK,
  type AuditRecord,
} from '@mcp-conservation/semconv/audit';

const require = createRequire(import.meta.url);
const canonicalize = require('canonicalize') as (v: unknown) => string;
const vectors = JSON.parse(readFileSync(new URL('../test-vectors/audit-chain.json', import.meta.url), 'utf8')) as {
  sessions: { session: string; key: string | null; records: { record: AuditRecord; canonical: string; link: string }[] }[];
};

test('canonical JSON equals an independent RFC 8785 implementation', () => {
  const samples = [{ b: 1, a: 'é\u2028"', c: [true, null, 1e21, 0.1] }, { '\u20ac': 1, '\r': 2, '1': 3 }, ...vectors.sessions.flatMap((s) => s.records.map((r) => r.record))];
  for (const s of samples) assert.equal(canonicalJson(s), canonicalize(s));
});

test('canonical JSON matches the independent implementation on nested and integer-keyed values', () => {
  const nested = [
    { z: { '10': 'a', '2': 'b', x: [{ '1': null, b: 2, a: 1 }] }, a: [] },
    { list: [{ d: 1.5e-7, c: -0, b: 'line\nbreak', a: '\ud83d\ude00' }], '\u00e9': { y: { x: {} } } },
    [{ b: [1, { d: 4, c: 3 }], a: 0 }, 'x', 2],
  ];
  // A pseudo-random walk over shapes: objects, arrays, integer-like and other keys.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const gen = (depth: number): unknown => {
    const kind = depth > 3 ? rnd(4) : rnd(6);
    if (kind === 0) return rnd(1000) / (rnd(7) + 1);
    if (kind === 1) return ['a', 'B', '\u2028', '"q"', ''][rnd(5)];
    if (kind === 2) return [true, false, null][rnd(3)];
    if (kind === 3) return rnd(2) ? 'leaf' : 42;
    if (kind === 4) return Array.from({ length: rnd(4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(5); i > 0; i--) o[['k', 'a', '10', '2', 'Z', '_', '0'][rnd(7)]! + (rnd(3) ? '' : String(rnd(3)))] = gen(depth + 1);
    return o;
  };
  for (let i = 0; i < 500; i++) nested.push(gen(0) as never);
  for (const s of nested) assert.equal(canonicalJson(s), canonicalize(s));
});

test('test vectors: canonical forms and links reproduce', () => {
  for (const s of vectors.sessions) {
    for (const r of s.records) {
      assert.equal(canonicalRecord(r.record), r.canonical);
      assert.equal(computeLink(r.record, s.key ?? undefined), r.link);
    }
  }
});

test('an unkeyed link is plain SHA-256 of the canonical form', () => {
  const first = vectors.sessions[0]!.records[0]!;
  assert.equal(first.link, createHash('sha256').update(first.canonical).digest('hex'));
  // Hard-coded so that a change of canonical form or field set cannot pass unnoticed (format 2 vectors).
  assert.equal(first.link, '2c896ccb89a8c8ffcc7bb065b9b6cc7a754b8ef2620d975715d053da52b9a514');
});

test('verifyChain accepts the vectors with the key, the unkeyed session counted as not authenticated', () => {
  const all = vectors.sessions.flatMap((s) => s.records.map((r) => r.record));
  const result = verifyChain(all, { key: 'test-vector-audit-key', allowUnkeyed: true });
  assert.deepEqual(result.problems, []);
  assert.equal(result.unauthenticated, 4);
  assert.equal(result.sessions.length, 2);
  assert.ok(result.sessions.every((s) => s.ended && s.records === 4));
  // Without allowUnkeyed, a key makes every plain SHA-256 record a problem: anyone can forge such a chain.
  const strict = verifyChain(all, { key: 'test-vector-audit-key' });
  assert.deepEqual(
    strict.problems.map((p) => [p.kind, p.session]),
    [1, 2, 3, 4].map(() => ['unkeyed', 's-unkeyed']),
  );
  assert.equal(strict.unauthenticated, 0);
});

test('a lone surrogate is sealed as U+FFFD, so the record survives any UTF-8 transport', () => {
  const fields = { ...vectors.sessions[0]!.records[0]!.record };
  for (const f of [F.link, F.prev, F.chainAlgorithm]) delete fields[f];
  fields[F.tool] = 'search\ud800';
  const sealed = sealRecord(fields, GENESIS_LINK);
  assert.equal(sealed[F.tool], 'search\ufffd');
  // What a UTF-8 hop (protobuf, the Collector) makes of it: unchanged now, so the link still holds.
  const hopped = JSON.parse(Buffer.from(JSON.stringify(sealed), 'utf8').toString('utf8')) as AuditRecord;
  assert.equal(verifyChain([hopped], { requireEnd: false }).ok, true);
});

test('verifyChain finds a removed record, an altered record and a missing key', () => {
  const recs = vectors.sessions[0]!.records.map((r) => r.record);
  const removed = verifyChain([recs[0]!, recs[2]!, recs[3]!]);
  assert.deepEqual(removed.problems.map((p) => [p.kind, p.seq]), [['gap', 2]]);
  const altered = verifyChain([recs[0]!, { ...recs[1]!, [F.outcome]: 'tool_error' }, recs[2]!, recs[3]!]);
  assert.deepEqual(altered.problems.map((p) => [p.kind, p.seq]), [['altered', 2]]);
  const keyed = vectors.sessions[1]!.records.map((r) => r.record);
  assert.ok(verifyChain(keyed).problems.every((p) => p.kind === 'no_key'));
  assert.deepEqual(verifyChain(keyed, { key: 'wrong' }).problems.map((p) => p.kind), ['altered', 'altered', 'altered', 'altered']);
  const dup = verifyChain([...recs, recs[1]!]);
  assert.equal(dup.ok, true);
  assert.equal(dup.duplicates, 1);
});

test('a chain that covers a stretch of time ends with chain_end, checked as a session_end is', () => {
  const chain = (kinds: readonly string[], endCount?: number): AuditRecord[] => {
    const out: AuditRecord[] = [];
    let prev = GENESIS_LINK;
    kinds.forEach((kind, i) => {
      const end = kind !== 'operation';
      const record = sealRecord(
        {
          [F.version]: 2,
          [F.kind]: kind,
          [F.session]: 'proxy-window',
          [F.seq]: i + 1,
          [F.time]: `2026-12-07T00:00:0${i}.000Z`,
          [F.observer]: 'proxy',
          [F.outcome]: 'success',
          [F.contextValid]: true,
          ...(end ? { [F.sessionRecords]: endCount ?? i + 1, [F.sessionRequests]: i } : {}),
        },
        prev,
      );
      prev = String(record[F.link]);
      out.push(record);
    });
    return out;
  };
  const whole = verifyChain(chain(['operation', 'operation', 'chain_end']));
  assert.equal(whole.ok, true);
  assert.deepEqual(whole.sessions.map((s) => [s.session, s.records, s.ended, s.requests]), [['proxy-window', 3, true, 2]]);
  assert.deepEqual(verifyChain(chain(['operation', 'operation', 'chain_end'], 5)).problems.map((p) => [p.kind, p.detail]), [['gap', 'chain_end record count does not match its sequence number']]);
  assert.deepEqual(verifyChain(chain(['operation', 'chain_end', 'operation'])).problems.map((p) => [p.kind, p.detail]), [['altered', 'records follow the chain_end record']]);
  assert.deepEqual(verifyChain(chain(['operation', 'operation'])).problems.map((p) => p.kind), ['incomplete']);
});

test('records read back from OTLP/JSON attributes verify', () => {
  const recs = vectors.sessions[0]!.records.map((r) => r.record);
  const otlp = recs.map((r) =>
    auditRecordFromOtlp(
      Object.entries(r).map(([key, v]) => ({
        key,
        value: typeof v === 'number' ? { intValue: String(v) } : typeof v === 'boolean' ? { boolValue: v } : { stringValue: v },
      })),
    ),
  );
  assert.equal(verifyChain(otlp).ok, true);
});

test('docs/semconv.md is not stale', () => {
  const script = fileURLToPath(new URL('../scripts/generate-docs.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
