/** The SDK v2 client (both protocol eras) and gpt-tokenizer's encodings, loaded when the command runs. */
type ClientModule = typeof import('@modelcontextprotocol/client');
type StdioModule = typeof import('@modelcontextprotocol/client/stdio');
type EncodingModule = typeof import('gpt-tokenizer/encoding/o200k_base');

export async function loadClient(): Promise<ClientModule & StdioModule> {
  const [client, stdio] = await Promise.all([import('@modelcontextprotocol/client'), import('@modelcontextprotocol/client/stdio')]);
  return { ...client, ...stdio };
}

export async function loadEncoding(name: 'o200k_base' | 'cl100k_base'): Promise<EncodingModule> {
  return name === 'cl100k_base' ? import('gpt-tokenizer/encoding/cl100k_base') : import('gpt-tokenizer/encoding/o200k_base');
}
