/** The shared audit-chain test vectors of @mcp-conservation/semconv. */
import { createRequire } from 'node:module';
import type { AuditRecord } from '@mcp-conservation/semconv/audit';

export interface VectorSession {
  readonly session: string;
  readonly key: string | null;
  readonly records: readonly { readonly record: AuditRecord; readonly link: string }[];
}

const require = createRequire(import.meta.url);
export const vectors = require('@mcp-conservation/semconv/test-vectors/audit-chain.json') as { sessions: VectorSession[] };
export const unkeyed = vectors.sessions.find((s) => s.key === null)!;
export const keyed = vectors.sessions.find((s) => s.key !== null)!;
export const KEY = keyed.key!;
