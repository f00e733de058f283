/**
 * Adds trace context to a relayed request by inserting bytes, never by
 * serializing the message again: JSON.parse then JSON.stringify would round
 * big integers (an id past 2^53 comes back another id), rewrite numbers
 * (`1.10` becomes `1.1`) and replace invalid UTF-8. Only `params._meta`
 * gains (or has replaced) the carrier's keys; every other byte is the
 * host's.
 */
import { isObject } from '../json.js';

/** Where a JSON value sits in the bytes; objects keep their members, down to the depth we need. */
interface Span {
  readonly start: number;
  readonly end: number;
  readonly members?: Map<string, Span>;
  readonly items?: Span[];
}

/** Members are kept down to: batch, message, params, _meta. Deeper values are only skipped over. */
const KEEP_DEPTH = 4;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class Scanner {
  private readonly b: Buffer;
  constructor(b: Buffer) {
    this.b = b;
  }

  ws(i: number): number {
    const b = this.b;
    while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
    return i;
  }

  /** The end (after the closing quote) of the string starting at i. */
  string(i: number): number {
    const b = this.b;
    for (let j = i + 1; j < b.length; j++) {
      if (b[j] === BACKSLASH) j++;
      else if (b[j] === QUOTE) return j + 1;
    }
    throw new SyntaxError('unterminated string');
  }

  value(i: number, depth: number): Span {
    const b = this.b;
    const start = this.ws(i);
    const c = b[start];
    if (c === 0x7b) return this.object(start, depth);
    if (c === 0x5b) return this.array(start, depth);
    if (c === QUOTE) return { start, end: this.string(start) };
    let end = start;
    // A number, true, false or null: up to the next delimiter.
    while (end < b.length && !(b[end] === 0x2c || b[end] === 0x7d || b[end] === 0x5d || b[end] === 0x20 || b[end] === 0x0a || b[end] === 0x0d || b[end] === 0x09)) end++;
    if (end === start) throw new SyntaxError(`no value at ${start}`);
    return { start, end };
  }

  private object(start: number, depth: number): Span {
    const b = this.b;
    const members = depth < KEEP_DEPTH ? new Map<string, Span>() : undefined;
    let i = this.ws(start + 1);
    if (b[i] === 0x7d) return { start, end: i + 1, ...(members ? { members } : {}) };
    for (;;) {
      if (b[i] !== QUOTE) throw new SyntaxError(`no key at ${i}`);
      const keyEnd = this.string(i);
      const key = members ? (JSON.parse(this.b.toString('utf8', i, keyEnd)) as string) : '';
      i = this.ws(keyEnd);
      if (b[i] !== 0x3a) throw new SyntaxError(`no colon at ${i}`);
      const v = this.value(i + 1, depth + 1);
      members?.set(key, v);
      i = this.ws(v.end);
      if (b[i] === 0x2c) i = this.ws(i + 1);
      else if (b[i] === 0x7d) return { start, end: i + 1, ...(members ? { members } : {}) };
      else throw new SyntaxError(`unexpected byte at ${i}`);
    }
  }

  private array(start: number, depth: number): Span {
    const b = this.b;
    const items = depth < KEEP_DEPTH ? ([] as Span[]) : undefined;
    let i = this.ws(start + 1);
    if (b[i] === 0x5d) return { start, end: i + 1, ...(items ? { items } : {}) };
    for (;;) {
      const v = this.value(i, depth + 1);
      items?.push(v);
      i = this.ws(v.end);
      if (b[i] === 0x2c) i = this.ws(i + 1);
      else if (b[i] === 0x5d) return { start, end: i + 1, ...(items ? { items } : {}) };
      else throw new SyntaxError(`unexpected byte at ${i}`);
    }
  }
}

interface Edit {
  readonly at: number;
  /** Bytes replaced from `at` (0 for an insertion). */
  readonly remove: number;
  readonly text: string;
}

/** The `_meta` entries a message gained or had changed: what the proxy's injection put there. */
function carrierOf(original: unknown, changed: unknown): [string, unknown][] {
  const before = isObject(original) && isObject(original.params) && isObject(original.params._meta) ? original.params._meta : {};
  const after = isObject(changed) && isObject(changed.params) && isObject(changed.params._meta) ? changed.params._meta : {};
  return Object.entries(after).filter(([k, v]) => before[k] !== v);
}

const entries = (pairs: [string, unknown][]) => pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');

/** The edits that give one message (an object span) its carrier. */
function editsFor(message: Span, carrier: [string, unknown][], out: Edit[]): boolean {
  if (carrier.length === 0) return true;
  const members = message.members;
  if (!members) return false;
  const params = members.get('params');
  if (!params) {
    out.push({ at: message.start + 1, remove: 0, text: `"params":{"_meta":{${entries(carrier)}}}${members.size ? ',' : ''}` });
    return true;
  }
  if (!params.members) return false;
  const meta = params.members.get('_meta');
  if (!meta) {
    out.push({ at: params.start + 1, remove: 0, text: `"_meta":{${entries(carrier)}}${params.members.size ? ',' : ''}` });
    return true;
  }
  if (!meta.members) return false;
  const added: [string, unknown][] = [];
  for (const [k, v] of carrier) {
    const existing = meta.members.get(k);
    if (existing) out.push({ at: existing.start, remove: existing.end - existing.start, text: JSON.stringify(v) });
    else added.push([k, v]);
  }
  if (added.length) out.push({ at: meta.start + 1, remove: 0, text: `${entries(added)}${meta.members.size ? ',' : ''}` });
  return true;
}

/**
 * The host's bytes with the trace context that `changed` (the parsed
 * message, or batch, after the proxy's injection) carries beyond
 * `original`. Undefined when the bytes do not have the shape the parse
 * had (the caller then relays them unchanged).
 */
export function spliceTraceContext(raw: Buffer, original: unknown, changed: unknown): Buffer | undefined {
  try {
    const scanner = new Scanner(raw);
    const top = scanner.value(0, 0);
    if (scanner.ws(top.end) !== raw.length) return undefined;
    const edits: Edit[] = [];
    if (Array.isArray(changed)) {
      if (!Array.isArray(original) || !top.items || top.items.length !== changed.length) return undefined;
      for (let i = 0; i < changed.length; i++) {
        if (!editsFor(top.items[i] as Span, carrierOf(original[i], changed[i]), edits)) return undefined;
      }
    } else if (!editsFor(top, carrierOf(original, changed), edits)) return undefined;
    edits.sort((a, b) => b.at - a.at);
    let out = raw;
    for (const e of edits) out = Buffer.concat([out.subarray(0, e.at), Buffer.from(e.text, 'utf8'), out.subarray(e.at + e.remove)]);
    return out;
  } catch {
    return undefined;
  }
}
