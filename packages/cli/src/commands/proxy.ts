/**
 * Placeholder: the zero-code proxy is built on the instrumentation's
 * message-level core once that lands (see docs/proxy.md).
 */
export const PROXY_HELP = `Usage: mcp-conservation proxy -- <server command> [args...]        (stdio)
       mcp-conservation proxy --http <upstream url> --listen <host:port>

Relays MCP messages between a host and a server unchanged, and emits the
same spans, metrics and audit records as the client instrumentation.
Not built yet: it waits for the instrumentation's message-level core.`;

export async function runProxy(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${PROXY_HELP}\n`);
    return 0;
  }
  process.stderr.write("proxy: not built yet (it waits for the instrumentation's message-level core)\n");
  return 1;
}
