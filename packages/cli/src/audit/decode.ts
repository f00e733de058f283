/**
 * Turns the bytes of a Collector file-exporter file into its JSON messages.
 *
 * The file exporter writes, depending on its configuration:
 * - `format: json`, no compression: one JSON object per line;
 * - `format: json` with `compression: zstd` (classic behaviour): each message
 *   as a 4-byte big-endian length followed by a zstd frame of the JSON;
 * - with the native-compression feature gate: the whole file is a zstd
 *   stream (concatenated frames) of JSON lines;
 * - `format: proto`: length-prefixed protobuf, which this reader does not
 *   decode (it says so).
 * Rotated files have the same content. Files gzip-compressed afterwards (by
 * logrotate, say) are accepted too.
 */
import { constants as zlibConstants, gunzipSync, zstdDecompressSync } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];
/**
 * Bounds on what one file may decode to, and on one line of it: a few
 * megabytes of compressed input can inflate to gigabytes. An archive file
 * rotates at 100 MB by default; anything past these is reported, not read.
 */
export const MAX_DECODED_BYTES = 512 * 1024 * 1024;
export const MAX_LINE_BYTES = 128 * 1024 * 1024;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export type Message =
  | { readonly where: string; readonly text: string }
  | { readonly where: string; readonly error: string };

export interface Decoded {
  /** How the file was encoded, for progress output. */
  readonly encoding: string;
  readonly messages: Message[];
  /** Why the file (or its remainder) could not be decoded, if so. */
  readonly fatal?: string;
}

/**
 * Decompresses every zstd frame of buf. Node's zstd decoder stops after the
 * first frame, and the file exporter writes a frame per write, so this
 * loops, using how much input each frame consumed. What decoded before an
 * error (a truncated last frame, say) is kept.
 */
function zstdAll(buf: Buffer): { data: Buffer; error?: string } {
  const parts: Buffer[] = [];
  let offset = 0;
  let decoded = 0;
  while (offset < buf.length) {
    try {
      const left = MAX_DECODED_BYTES - decoded;
      const { buffer, engine } = zstdDecompressSync(buf.subarray(offset), { info: true, maxOutputLength: Math.max(1, left) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      if (!(engine.bytesWritten > 0)) return { data: Buffer.concat(parts), error: `zstd frame at byte ${offset} consumed no input` };
      parts.push(buffer);
      decoded += buffer.length;
      offset += engine.bytesWritten;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { data: Buffer.concat(parts), error: `zstd data decompresses past ${MAX_DECODED_BYTES} bytes: the rest is not read` };
      return { data: Buffer.concat(parts), error: `zstd data at byte ${offset} does not decompress (${(error as Error).message}): truncated or corrupt` };
    }
  }
  return { data: Buffer.concat(parts) };
}

function startsWith(buf: Uint8Array, magic: readonly number[], at = 0): boolean {
  return buf.length >= at + magic.length && magic.every((b, i) => buf[at + i] === b);
}

function firstNonSpace(buf: Uint8Array): number | undefined {
  for (const b of buf) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

function jsonLines(buf: Buffer, prefix: string): Message[] {
  const out: Message[] = [];
  let start = 0;
  let line = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1) end = buf.length;
    line++;
    if (end - start > MAX_LINE_BYTES) {
      out.push({ where: `${prefix}:${line}`, error: `a line of ${end - start} bytes, longer than ${MAX_LINE_BYTES}: not read` });
      start = end + 1;
      continue;
    }
    const text = buf.toString('utf8', start, end).trim();
    if (text) out.push({ where: `${prefix}:${line}`, text });
    start = end + 1;
  }
  return out;
}

function lengthPrefixed(buf: Buffer, prefix: string): { messages: Message[]; fatal?: string } {
  const messages: Message[] = [];
  let offset = 0;
  let index = 0;
  while (offset < buf.length) {
    index++;
    const where = `${prefix}#${index}`;
    if (offset + 4 > buf.length) return { messages, fatal: `${where}: ${buf.length - offset} stray bytes at the end (truncated length prefix)` };
    const size = buf.readUInt32BE(offset);
    const body = buf.subarray(offset + 4, offset + 4 + size);
    if (body.length < size) return { messages, fatal: `${where}: message of ${size} bytes truncated to ${body.length} (file cut short?)` };
    offset += 4 + size;
    let payload: Buffer = body;
    if (startsWith(body, ZSTD_MAGIC)) {
      const { data, error } = zstdAll(body);
      if (error) {
        messages.push({ where, error });
        continue;
      }
      payload = data;
    }
    if (firstNonSpace(payload) !== 0x7b) {
      return { messages, fatal: `${where}: message is not JSON; probably \`format: proto\`, which audit files must not use (set \`format: json\`)` };
    }
    messages.push({ where, text: payload.toString('utf8') });
  }
  return { messages };
}

/** Decodes a whole file. Never throws: what cannot be decoded is reported. */
export function decodeFile(buf: Buffer, name: string, depth = 0): Decoded {
  if (buf.length === 0) return { encoding: 'empty', messages: [] };
  if (depth < 2 && startsWith(buf, GZIP_MAGIC)) {
    let data: Buffer;
    let error: string | undefined;
    try {
      data = gunzipSync(buf, { maxOutputLength: MAX_DECODED_BYTES });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return { encoding: 'gzip', messages: [], fatal: `gzip data decompresses past ${MAX_DECODED_BYTES} bytes: not read` };
      }
      // Keep what decompresses (a file cut short), and say why the rest is missing.
      error = `gzip data does not decompress (${(e as Error).message}): truncated or corrupt`;
      try {
        data = gunzipSync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED_BYTES });
      } catch {
        data = Buffer.alloc(0);
      }
    }
    const inner = decodeFile(data, name, depth + 1);
    const fatal = [error, inner.fatal].filter(Boolean).join('; ');
    return { ...inner, encoding: `gzip, ${inner.encoding}`, ...(fatal ? { fatal } : {}) };
  }
  if (depth < 2 && startsWith(buf, ZSTD_MAGIC)) {
    const { data, error } = zstdAll(buf);
    const inner = decodeFile(data, name, depth + 1);
    const fatal = [error, inner.fatal].filter(Boolean).join('; ');
    return { ...inner, encoding: `zstd, ${inner.encoding}`, ...(fatal ? { fatal } : {}) };
  }
  const first = firstNonSpace(buf);
  if (first === undefined) return { encoding: 'empty', messages: [] };
  if (first === 0x7b) return { encoding: 'JSON lines', messages: jsonLines(buf, name) };
  // Length-prefixed: the first length fits in the file and is followed by a zstd frame or JSON.
  const fits = buf.length >= 5 && buf.readUInt32BE(0) + 4 <= buf.length;
  if (fits && (startsWith(buf, ZSTD_MAGIC, 4) || buf[4] === 0x7b)) {
    const { messages, fatal } = lengthPrefixed(buf, name);
    return { encoding: 'length-prefixed', messages, ...(fatal ? { fatal } : {}) };
  }
  if (fits) {
    return { encoding: 'unknown', messages: [], fatal: 'length-prefixed but not JSON: probably `format: proto`, which audit files must not use (set `format: json`)' };
  }
  return { encoding: 'unknown', messages: [], fatal: 'not an OTLP JSON file (expected JSON lines, zstd, gzip or length-prefixed JSON)' };
}
