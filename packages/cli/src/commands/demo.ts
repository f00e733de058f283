/**
 * Placeholder: the lead writes the demo (an instrumented MCP session, a
 * scorecard and a live /metrics endpoint) and overwrites this file.
 */
export async function runDemo(argv: string[]): Promise<number> {
  void argv;
  process.stderr.write('demo: not built yet\n');
  return 1;
}
