/**
 * Canonical form, chain links and chain verification of audit records.
 * A separate entry point (`@mcp-conservation/semconv/audit`) because it
 * needs `node:crypto`, which browser bundles of the names must not pull in.
 */
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import {
  AUDIT_FIELDS,
  AUDIT_KIND_VALUES,
  CHAIN_ALGORITHMS,
  GENESIS_LINK,
  REQUIRED_AUDIT_FIELDS,
  type AuditRecord,
  type AuditValue,
  type ChainAlgorithm,
} from './audit-format.js';

export * from './audit-format.js';

/**
 * RFC 8785 (JSON Canonicalization Scheme). For the values JSON can carry,
 * JCS is ECMAScript's JSON.stringify with object keys sorted by UTF-16 code
 * units, which is what this does.
 *
 * Fast path: a copy with sorted keys goes through one native JSON.stringify
 * (this sits on the audit hot path, once per record). JavaScript objects
 * keep integer-like keys ("1", "10") in numeric order whatever the
 * insertion order, so a value with such keys takes the slow path.
 */
export function canonicalJson(value: unknown): string {
  if (isFlatCanonical(value)) return JSON.stringify(value);
  const copy = sortedCopy(value);
  return copy === INDEX_KEYS ? keyByKey(value) : (JSON.stringify(copy) ?? 'undefined');
}

const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/**
 * An object already in canonical form for JSON.stringify: keys sorted and
 * not integer-like, values finite numbers, strings or booleans. Audit
 * records are built this way, and then need no copy.
 */
function isFlatCanonical(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const obj = value as Record<string, unknown>;
  let prev = '';
  for (const k in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, k)) return false;
    if (k <= prev && prev !== '') return false;
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57 && INDEX_LIKE.test(k)) return false;
    const v = obj[k];
    if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'string' && typeof v !== 'boolean') return false;
    prev = k;
  }
  return true;
}
const INDEX_KEYS = Symbol('integer-like keys');

/** A copy with keys in canonical order, or INDEX_KEYS when an object anywhere has integer-like keys. */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('JCS cannot encode a non-finite number');
    return value;
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = sortedCopy(value[i]);
      if (v === INDEX_KEYS) return INDEX_KEYS;
      out[i] = v;
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // Default sort compares UTF-16 code units, as RFC 8785 requires. Records
  // sealed here are built in that order already, so the check usually suffices.
  if (!isSorted(keys)) keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const c = k.charCodeAt(0);
    if (c >= 48 && c <= 57 && INDEX_LIKE.test(k)) return INDEX_KEYS;
    const raw = obj[k];
    if (raw === undefined) continue;
    const v = sortedCopy(raw);
    if (v === INDEX_KEYS) return INDEX_KEYS;
    out[k] = v;
  }
  return out;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** The slow path: the canonical form written value by value. */
function keyByKey(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('JCS cannot encode a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : keyByKey(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += JSON.stringify(k) + ':' + keyByKey(v);
  }
  return out + '}';
}

/** The canonical form a link is computed over: every field but the link itself. */
export function canonicalRecord(record: AuditRecord): string {
  if (!(AUDIT_FIELDS.link in record)) return canonicalJson(record);
  const { [AUDIT_FIELDS.link]: _link, ...hashed } = record;
  return canonicalJson(hashed);
}

/** Hex digest of data: HMAC-SHA256 under the key when there is one, else SHA-256. */
export function digest(data: string, key?: string | Buffer): string {
  // crypto.hash is the one-shot form: no Hash object per record.
  return key === undefined || key === '' ? hash('sha256', data, 'hex') : createHmac('sha256', key).update(data).digest('hex');
}

/** The chain algorithm in effect for a key. */
export function chainAlgorithm(key?: string | Buffer): ChainAlgorithm {
  return key === undefined || key === '' ? CHAIN_ALGORITHMS.sha256 : CHAIN_ALGORITHMS.hmacSha256;
}

/** The link of a record (its `prev` included, its `link` excluded). */
export function computeLink(record: AuditRecord, key?: string | Buffer): string {
  return digest(canonicalRecord(record), key);
}

/** Every audit field name in canonical (UTF-16 code unit) order. */
const FIELD_ORDER: readonly string[] = Object.values(AUDIT_FIELDS).sort();
const KNOWN_FIELDS = new Set(FIELD_ORDER);

/**
 * A string as it will be after any UTF-8 transport: lone surrogates (a
 * server may name a tool so) become U+FFFD before hashing, or every hop
 * through protobuf or the Collector would make the record look altered.
 */
function wellFormed(v: AuditValue): AuditValue {
  if (typeof v !== 'string') return v;
  const s = v as string & { isWellFormed(): boolean; toWellFormed(): string };
  return s.isWellFormed() ? v : s.toWellFormed();
}

/** A value JSON.stringify writes as RFC 8785 does: a string, a boolean or a finite number. */
function isFlatValue(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Completes a record with its chain algorithm, previous link and own link.
 * The record is built with its keys in canonical order (FIELD_ORDER), so
 * when every value is flat and no field is unknown it is already canonical:
 * one native JSON.stringify, without canonicalJson's check of every key
 * again (this runs once per record emitted, on the host's thread). Anything
 * else takes canonicalJson, which gives the same text or throws the same.
 */
export function sealRecord(fields: AuditRecord, prev: string, key?: string | Buffer): AuditRecord {
  const algorithm = chainAlgorithm(key);
  const unsealed: Record<string, AuditValue> = {};
  let flat = true;
  for (const f of FIELD_ORDER) {
    const v = f === AUDIT_FIELDS.chainAlgorithm ? algorithm : f === AUDIT_FIELDS.prev ? prev : f === AUDIT_FIELDS.link ? undefined : fields[f];
    if (v === undefined) continue;
    const w = wellFormed(v);
    unsealed[f] = w;
    if (flat && !isFlatValue(w)) flat = false;
  }
  for (const f in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, f) || KNOWN_FIELDS.has(f) || fields[f] === undefined) continue;
    unsealed[f] = wellFormed(fields[f] as AuditValue);
    flat = false;
  }
  unsealed[AUDIT_FIELDS.link] = digest(flat ? JSON.stringify(unsealed) : canonicalJson(unsealed), key);
  return unsealed;
}

/** A record's link, or the error that keeps it from being computed (a non-finite number read from a file). */
function linkOrError(record: AuditRecord, key: string | Buffer | undefined): string | Error {
  try {
    return computeLink(record, key);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function canonicalOrUndefined(record: AuditRecord): string | undefined {
  try {
    return canonicalRecord(record);
  } catch {
    return undefined;
  }
}

function equalHex(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export type ChainProblemKind = 'gap' | 'altered' | 'broken_link' | 'duplicate_conflict' | 'malformed' | 'no_key' | 'unkeyed' | 'incomplete';

export interface ChainProblem {
  readonly kind: ChainProblemKind;
  readonly session: string;
  /** The sequence number concerned (for a gap: the first missing one). */
  readonly seq: number;
  readonly detail: string;
}

export interface SessionSummary {
  readonly session: string;
  readonly records: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly ended: boolean;
  readonly requests?: number;
  readonly user?: string;
  readonly server?: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly records: number;
  readonly duplicates: number;
  readonly sessions: readonly SessionSummary[];
  readonly problems: readonly ChainProblem[];
  /** Records accepted with a plain SHA-256 chain although a key was given (`allowUnkeyed`). */
  readonly unauthenticated: number;
}

export interface VerifyOptions {
  /** The audit key, required for records chained with HMAC. */
  readonly key?: string | Buffer;
  /** Report sessions without a session_end record (default true). */
  readonly requireEnd?: boolean;
  /**
   * With a key, accept records chained with plain SHA-256 (a trail mixing
   * keyed and unkeyed producers). Anyone can recompute such a chain, so
   * they are counted in `unauthenticated`, not proven. Default false: with
   * a key, each of them is an `unkeyed` problem.
   */
  readonly allowUnkeyed?: boolean;
}

/**
 * Verifies audit records per session: sequences contiguous from 1, every
 * link recomputed and matched, every `prev` equal to the previous link, and
 * (unless disabled) a session_end whose record count matches.
 * Identical duplicates (an exporter retry) are counted and ignored.
 */
export function verifyChain(records: Iterable<AuditRecord>, options: VerifyOptions = {}): VerifyResult {
  const problems: ChainProblem[] = [];
  const bySession = new Map<string, Map<number, AuditRecord>>();
  let total = 0;
  let duplicates = 0;
  let unauthenticated = 0;
  for (const record of records) {
    total++;
    const session = record[AUDIT_FIELDS.session];
    const seq = record[AUDIT_FIELDS.seq];
    const missing = REQUIRED_AUDIT_FIELDS.filter((f) => record[f] === undefined);
    if (typeof session !== 'string' || typeof seq !== 'number' || !Number.isInteger(seq) || missing.length) {
      problems.push({ kind: 'malformed', session: String(session ?? '?'), seq: Number(seq ?? -1), detail: `missing or mistyped fields: ${missing.join(', ') || 'session/seq'}` });
      continue;
    }
    let seqs = bySession.get(session);
    if (!seqs) bySession.set(session, (seqs = new Map()));
    const existing = seqs.get(seq);
    if (existing) {
      if (existing[AUDIT_FIELDS.link] === record[AUDIT_FIELDS.link] && canonicalOrUndefined(existing) === canonicalOrUndefined(record)) duplicates++;
      else problems.push({ kind: 'duplicate_conflict', session, seq, detail: 'two different records carry this sequence number' });
      continue;
    }
    seqs.set(seq, record);
  }

  const sessions: SessionSummary[] = [];
  for (const [session, seqs] of bySession) {
    const ordered = [...seqs.keys()].sort((a, b) => a - b);
    let expectedSeq = 1;
    let prevLink = GENESIS_LINK;
    let prevKnown = true;
    let end: AuditRecord | undefined;
    for (const seq of ordered) {
      const record = seqs.get(seq) as AuditRecord;
      if (seq !== expectedSeq) {
        problems.push({ kind: 'gap', session, seq: expectedSeq, detail: `records ${expectedSeq}..${seq - 1} are missing` });
        prevKnown = false;
      }
      const alg = record[AUDIT_FIELDS.chainAlgorithm];
      const link = String(record[AUDIT_FIELDS.link]);
      const keyed = options.key !== undefined && options.key !== '';
      if (alg !== CHAIN_ALGORITHMS.hmacSha256 && alg !== CHAIN_ALGORITHMS.sha256) {
        problems.push({ kind: 'malformed', session, seq, detail: `unknown chain algorithm ${JSON.stringify(alg)}` });
      } else if (alg === CHAIN_ALGORITHMS.hmacSha256 && !keyed) {
        problems.push({ kind: 'no_key', session, seq, detail: 'record is chained with HMAC; give the audit key to verify it' });
      } else if (alg === CHAIN_ALGORITHMS.sha256 && keyed && !options.allowUnkeyed) {
        // Anyone can recompute a plain SHA-256 chain: with a key given, such a record proves nothing (and a rewritten trail would be one).
        problems.push({ kind: 'unkeyed', session, seq, detail: 'record is chained with plain SHA-256 while an audit key was given: it cannot be authenticated' });
      } else {
        if (alg === CHAIN_ALGORITHMS.sha256 && keyed) unauthenticated++;
        const computed = linkOrError(record, alg === CHAIN_ALGORITHMS.hmacSha256 ? options.key : undefined);
        if (computed instanceof Error) problems.push({ kind: 'malformed', session, seq, detail: `a value cannot be canonicalized: ${computed.message}` });
        else if (!equalHex(computed, link)) problems.push({ kind: 'altered', session, seq, detail: 'content does not match its link' });
      }
      if (prevKnown && !equalHex(String(record[AUDIT_FIELDS.prev]), prevLink)) {
        problems.push({ kind: 'broken_link', session, seq, detail: 'prev does not match the link of the record before it' });
      }
      if (record[AUDIT_FIELDS.kind] === AUDIT_KIND_VALUES.sessionEnd || record[AUDIT_FIELDS.kind] === AUDIT_KIND_VALUES.chainEnd) end = record;
      prevLink = link;
      prevKnown = true;
      expectedSeq = seq + 1;
    }
    const last = ordered[ordered.length - 1] ?? 0;
    if (end && end[AUDIT_FIELDS.sessionRecords] !== end[AUDIT_FIELDS.seq]) {
      problems.push({ kind: 'gap', session, seq: last, detail: `${end[AUDIT_FIELDS.kind]} record count does not match its sequence number` });
    }
    if (end && end[AUDIT_FIELDS.seq] !== last) {
      problems.push({ kind: 'altered', session, seq: Number(end[AUDIT_FIELDS.seq]), detail: `records follow the ${end[AUDIT_FIELDS.kind]} record` });
    }
    if (!end && options.requireEnd !== false) {
      problems.push({ kind: 'incomplete', session, seq: last + 1, detail: 'no session_end or chain_end record: the tail of the chain may be missing' });
    }
    const first = seqs.get(ordered[0] ?? 1);
    sessions.push({
      session,
      records: seqs.size,
      firstSeq: ordered[0] ?? 0,
      lastSeq: last,
      ended: end !== undefined,
      ...(end && typeof end[AUDIT_FIELDS.sessionRequests] === 'number' ? { requests: end[AUDIT_FIELDS.sessionRequests] as number } : {}),
      ...(first && typeof first[AUDIT_FIELDS.user] === 'string' ? { user: first[AUDIT_FIELDS.user] as string } : {}),
      ...(first && typeof first[AUDIT_FIELDS.server] === 'string' ? { server: first[AUDIT_FIELDS.server] as string } : {}),
    });
  }
  return { ok: problems.length === 0, records: total, duplicates, sessions, problems, unauthenticated };
}

/** An OTLP/JSON attribute (`{ key, value: AnyValue }`), as the Collector's file exporter writes it. */
export interface OtlpJsonKeyValue {
  readonly key: string;
  readonly value?: {
    readonly stringValue?: string;
    readonly intValue?: string | number;
    readonly boolValue?: boolean;
    readonly doubleValue?: number;
  };
}

/**
 * Reads an audit record back from OTLP/JSON log attributes. Integers arrive
 * as strings (OTLP/JSON encodes int64 so); they become numbers again.
 * Attributes outside the audit format are ignored.
 */
export function auditRecordFromOtlp(attributes: readonly OtlpJsonKeyValue[]): AuditRecord {
  const known = new Set<string>(Object.values(AUDIT_FIELDS));
  const record: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes) {
    if (!known.has(key) || !value) continue;
    if (value.stringValue !== undefined) record[key] = value.stringValue;
    else if (value.intValue !== undefined) record[key] = Number(value.intValue);
    else if (value.boolValue !== undefined) record[key] = value.boolValue;
    else if (value.doubleValue !== undefined) record[key] = value.doubleValue;
  }
  return record;
}
