/**
 * The four kinds of definition a server lists, each with the listing method
 * that pages through them and the field of its result that holds them.
 * The one table the lister, the pricing and the output share.
 */
export type DefinitionKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

export interface KindInfo {
  readonly kind: DefinitionKind;
  /** The heading in the text output. */
  readonly title: string;
  readonly method: 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list';
  /** The server capability that announces the listing. */
  readonly capability: 'tools' | 'prompts' | 'resources';
}

export const KINDS: readonly KindInfo[] = [
  { kind: 'tools', title: 'Tools', method: 'tools/list', capability: 'tools' },
  { kind: 'prompts', title: 'Prompts', method: 'prompts/list', capability: 'prompts' },
  { kind: 'resources', title: 'Resources', method: 'resources/list', capability: 'resources' },
  { kind: 'resourceTemplates', title: 'Resource templates', method: 'resources/templates/list', capability: 'resources' },
];
