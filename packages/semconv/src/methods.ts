/**
 * The MCP methods whose results become model context, and where each one's
 * context comes from: the one table the measuring core, the docs and the
 * zero-initialized series derive from. A method not in it delivers no
 * context (initialize, ping, notifications, completions).
 */
import { CONTEXT_SOURCE_VALUES as SRC, type ContextSource } from './attributes.js';

/** The request parameter that names the definition a call uses. */
export type DefinitionKeyParam = 'name' | 'uri';

export interface McpMethodSpec {
  readonly method: string;
  /** Where the method's result goes in the context: its blocks' source (binary content included). */
  readonly source: ContextSource;
  /** A listing: its result is definitions, which become meaningful when a later call uses them. */
  readonly listing: boolean;
  /** For a listing: the call that uses one of its definitions. */
  readonly usedBy?: string;
  /** For a call: the definition it uses, and the parameter naming it. */
  readonly uses?: { readonly source: ContextSource; readonly key: DefinitionKeyParam };
}

export const MCP_METHODS: readonly McpMethodSpec[] = [
  { method: 'tools/call', source: SRC.toolResult, listing: false, uses: { source: SRC.toolDefinition, key: 'name' } },
  { method: 'resources/read', source: SRC.resourceContent, listing: false, uses: { source: SRC.resourceDefinition, key: 'uri' } },
  { method: 'prompts/get', source: SRC.promptMessages, listing: false, uses: { source: SRC.promptDefinition, key: 'name' } },
  { method: 'tools/list', source: SRC.toolDefinition, listing: true, usedBy: 'tools/call' },
  { method: 'prompts/list', source: SRC.promptDefinition, listing: true, usedBy: 'prompts/get' },
  { method: 'resources/list', source: SRC.resourceDefinition, listing: true, usedBy: 'resources/read' },
];

const BY_METHOD: ReadonlyMap<string, McpMethodSpec> = new Map(MCP_METHODS.map((m) => [m.method, m]));
const BY_SOURCE: ReadonlyMap<string, McpMethodSpec> = new Map(MCP_METHODS.map((m) => [m.source, m]));

/** The table's row for a method, if its result is context. */
export function methodSpec(method: string): McpMethodSpec | undefined {
  return BY_METHOD.get(method);
}

/** The one method whose results carry a context source (its canonical method, for zero series). */
export function methodOfSource(source: string): string | undefined {
  return BY_SOURCE.get(source)?.method;
}
