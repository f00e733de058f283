/**
 * The default rendering: what a host hands the model from each MCP result.
 * - text of text blocks, resource text and prompt message text;
 * - structuredContent as compact JSON, marked as a second representation
 *   when a text block already carries the same data;
 * - tool, prompt and resource definitions as name, description and compact
 *   input schema (resources: with their URI, which is how they are read).
 * Binary blocks (image, audio, blob) are counted in bytes only.
 * Pure and defensive: hostile results yield what can be read, never a throw.
 */
import { CONTEXT_SOURCE_VALUES as SRC } from '@mcp-conservation/semconv';
import type { RenderedBlock, Rendering } from '../types.js';
import { isObject } from './json.js';

type Json = Record<string, unknown>;


function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Bytes of base64 data without decoding it. */
export function base64Bytes(data: unknown): number {
  if (typeof data !== 'string') return 0;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** Sorted-key compact JSON, so that equal data compares equal whatever the key order. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value as Json).sort();
  return `{${keys
    .filter((k) => (value as Json)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableJson((value as Json)[k])}`)
    .join(',')}}`;
}

function contentBlocks(content: unknown, source: string, blocks: RenderedBlock[]): number {
  let binary = 0;
  if (!Array.isArray(content)) return 0;
  for (const block of content) {
    if (!isObject(block)) continue;
    switch (block.type) {
      case 'text': {
        const text = str(block.text);
        if (text !== undefined) blocks.push({ text, source });
        break;
      }
      case 'image':
      case 'audio':
        binary += base64Bytes(block.data);
        break;
      case 'resource': {
        const r = block.resource;
        if (isObject(r)) {
          const text = str(r.text);
          if (text !== undefined) blocks.push({ text, source });
          else binary += base64Bytes(r.blob);
        }
        break;
      }
      case 'resource_link': {
        const text = [str(block.name), str(block.uri), str(block.description)].filter(Boolean).join('\n');
        if (text) blocks.push({ text, source });
        break;
      }
      default:
        break;
    }
  }
  return binary;
}

function definition(item: Json, source: string, key: string | undefined, schema: unknown): RenderedBlock | undefined {
  if (key === undefined) return undefined;
  const parts = [key, str(item.description) ?? ''];
  if (schema !== undefined) parts.push(stableJson(schema));
  return { text: parts.join('\n'), source, key };
}

/** Renders one result of a method. */
export function renderResult(method: string, result: unknown): Rendering {
  const blocks: RenderedBlock[] = [];
  let binaryBytes = 0;
  if (!isObject(result)) return { blocks, binaryBytes };
  switch (method) {
    case 'tools/call': {
      binaryBytes += contentBlocks(result.content, SRC.toolResult, blocks);
      if (result.structuredContent !== undefined) {
        const structured = stableJson(result.structuredContent);
        const carried = blocks.some((b) => {
          try {
            return stableJson(JSON.parse(b.text)) === structured;
          } catch {
            return false;
          }
        });
        blocks.push({ text: JSON.stringify(result.structuredContent) ?? '', source: SRC.toolResult, ...(carried ? { secondRepresentation: true } : {}) });
      }
      break;
    }
    case 'resources/read': {
      if (Array.isArray(result.contents)) {
        for (const c of result.contents) {
          if (!isObject(c)) continue;
          const text = str(c.text);
          if (text !== undefined) blocks.push({ text, source: SRC.resourceContent });
          else binaryBytes += base64Bytes(c.blob);
        }
      }
      break;
    }
    case 'prompts/get': {
      if (Array.isArray(result.messages)) {
        for (const m of result.messages) {
          if (isObject(m)) binaryBytes += contentBlocks([m.content], SRC.promptMessages, blocks);
        }
      }
      break;
    }
    case 'tools/list':
      for (const t of Array.isArray(result.tools) ? result.tools : []) {
        if (isObject(t)) pushDefined(blocks, definition(t, SRC.toolDefinition, str(t.name), t.inputSchema));
      }
      break;
    case 'prompts/list':
      for (const p of Array.isArray(result.prompts) ? result.prompts : []) {
        if (isObject(p)) pushDefined(blocks, definition(p, SRC.promptDefinition, str(p.name), p.arguments));
      }
      break;
    case 'resources/list':
      for (const r of Array.isArray(result.resources) ? result.resources : []) {
        if (isObject(r)) {
          const uri = str(r.uri);
          if (uri !== undefined) blocks.push({ text: [str(r.name) ?? '', uri, str(r.description) ?? ''].join('\n'), source: SRC.resourceDefinition, key: uri });
        }
      }
      break;
    default:
      break;
  }
  return { blocks, binaryBytes };
}

function pushDefined(blocks: RenderedBlock[], block: RenderedBlock | undefined): void {
  if (block) blocks.push(block);
}
