export async function runReport(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: mcp-conservation report --prometheus <url> [options]\n');
    return 0;
  }
  process.stderr.write('report: not built yet\n');
  return 1;
}
