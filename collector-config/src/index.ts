/**
 * @mcp-conservation/collector-config: renderers of the alert rules and of the
 * generated regions of the Collector configs. The YAML files themselves
 * live beside this package's package.json.
 */
export * from './rules.js';
export { redactionAllowList } from './allow-list.js';
export { GENERATED_BLOCKS, GENERATE_COMMAND, AUDIT_RECORD_CONDITION, NON_AUDIT_RECORD_CONDITION, renderBlock, type GeneratedBlock } from './collector-blocks.js';
export { configDir, generatedFiles } from './files.js';
