/**
 * The proxy's incremental text/event-stream reader against a whole-text
 * reference parser of the same rules: random streams with LF, CR and CRLF
 * line ends, comments, event names and multi-byte text, cut into random
 * chunks (between \r and \n and inside UTF-8 sequences included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseReader } from '../src/proxy/sse.ts';

type Event = [string, string];

/** The rules, applied to the whole text at once. */
function reference(text: string, maxBytes: number): { events: Event[]; oversized: number } {
  const lines = text.split(/\r\n|\r|\n/);
  lines.pop(); // an unterminated last line is discarded
  const events: Event[] = [];
  let oversized = 0;
  let data: string[] = [];
  let size = 0;
  let event = '';
  for (const line of lines) {
    if (line === '') {
      if (size > maxBytes) oversized++;
      else if (data.length) events.push([data.join('\n'), event || 'message']);
      data = [];
      size = 0;
      event = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      size += value.length + 1;
      data.push(value);
    } else if (field === 'event') event = value;
  }
  return { events, oversized };
}

function read(bytes: Buffer, cuts: number[], maxBytes: number): { events: Event[]; oversized: number } {
  const events: Event[] = [];
  let oversized = 0;
  const reader = new SseReader(
    maxBytes,
    (data, event) => events.push([data, event]),
    () => oversized++,
  );
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(from, cut));
    from = cut;
  }
  reader.end();
  return { events, oversized };
}

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
}

test('random streams cut at random places read as the whole text does', () => {
  const rnd = random(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const ends = ['\n', '\r', '\r\n'];
  const values = ['{"jsonrpc":"2.0","id":1,"result":{}}', 'héllo wörld', '日本語テキスト', '', ' leading space', 'a:b:c', '😀 emoji'];
  for (let round = 0; round < 5000; round++) {
    let text = '';
    const n = 1 + Math.floor(rnd() * 6);
    for (let e = 0; e < n; e++) {
      if (rnd() < 0.2) text += `: comment${pick(ends)}`;
      if (rnd() < 0.4) text += `event: ${pick(['message', 'ping', ''])}${pick(ends)}`;
      const lines = 1 + Math.floor(rnd() * 3);
      for (let l = 0; l < lines; l++) text += `data:${rnd() < 0.5 ? ' ' : ''}${pick(values)}${pick(ends)}`;
      text += pick(ends);
    }
    if (rnd() < 0.3) text += 'data: unterminated';
    const bytes = Buffer.from(text, 'utf8');
    const cuts = [...new Set(Array.from({ length: Math.floor(rnd() * 8) }, () => Math.floor(rnd() * bytes.length)))].sort((a, b) => a - b);
    const max = rnd() < 0.2 ? 30 : 1 << 20;
    // A \r at a chunk's end may be half of \r\n: the reference sees the whole text.
    assert.deepEqual(read(bytes, cuts, max), reference(text, max), `round ${round}: ${JSON.stringify(text)} cut at ${cuts}`);
  }
});

test('a 32 MiB event in 64 KiB chunks is read whole', () => {
  const payload = 'x'.repeat(32 * 1024 * 1024);
  const bytes = Buffer.from(`event: message\ndata: ${payload}\n\n`);
  const cuts: number[] = [];
  for (let at = 65536; at < bytes.length; at += 65536) cuts.push(at);
  const { events, oversized } = read(bytes, cuts, 64 * 1024 * 1024);
  assert.equal(oversized, 0);
  assert.equal(events.length, 1);
  assert.equal(events[0]![0].length, payload.length);
});

test('resumable: once an event is dispatched with a last event id (a priming event without data counts); an id line alone is not yet', () => {
  const reader = new SseReader(1024, () => {}, () => {});
  reader.push(new TextEncoder().encode('data: {"a":1}\n\n'));
  assert.equal(reader.resumable, false, 'no id');
  reader.push(new TextEncoder().encode('id: e1\n'));
  assert.equal(reader.resumable, false, 'the event is not dispatched yet');
  reader.push(new TextEncoder().encode('data: \n\n'));
  assert.equal(reader.resumable, true);
  const empty = new SseReader(1024, () => {}, () => {});
  empty.push(new TextEncoder().encode('id:\ndata: x\n\n'));
  assert.equal(empty.resumable, false, 'an empty id resets the last event id');
});
