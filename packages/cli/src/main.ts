/**
 * The command dispatcher: `mcp-conservation <command> [args]`. Every command
 * module is imported lazily, so `audit verify` never loads the charting or
 * browser libraries that `report` needs.
 */
import { createRequire } from 'node:module';
import { CliError } from './command-line/errors.js';
import { EXIT, EXIT_CODE_HELP } from './command-line/exit-codes.js';

interface CommandEntry {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, CommandEntry> = {
  demo: {
    summary: 'run an instrumented MCP session against a sample server and print a scorecard',
    run: async (argv) => (await import('./commands/demo.js')).runDemo(argv),
  },
  proxy: {
    summary: 'relay an MCP server (stdio or Streamable HTTP) and emit telemetry for it',
    run: async (argv) => (await import('./commands/proxy.js')).runProxy(argv),
  },
  audit: {
    summary: 'audit trail tools: `audit verify <files...>` checks chains for gaps and alterations',
    run: async (argv) => (await import('./commands/audit.js')).runAudit(argv),
  },
  report: {
    summary: 'write the periodic audit report (HTML with charts, PNG per chart) from Prometheus and audit files',
    run: async (argv) => (await import('./commands/report.js')).runReport(argv),
  },
  definitions: {
    summary: "price a server's definitions: tokens per tool, prompt and resource, with a budget for CI",
    run: async (argv) => (await import('./commands/definitions.js')).runDefinitions(argv),
  },
};

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: mcp-conservation <command> [options]

OpenTelemetry observability for the Model Context Protocol.

Commands:
${lines.join('\n')}

Run \`mcp-conservation <command> --help\` for a command's options.
Options: --help, --version

${EXIT_CODE_HELP}`;
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      const sub = command === 'help' ? rest[0] : undefined;
      if (sub && COMMANDS[sub]) return await COMMANDS[sub].run(['--help']);
      process.stdout.write(`${mainHelp()}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === '--version' || command === '-V') {
      process.stdout.write(`${version()}\n`);
      return EXIT.ok;
    }
    const entry = COMMANDS[command];
    if (!entry) {
      process.stderr.write(`mcp-conservation: unknown command '${command}'. Commands: ${Object.keys(COMMANDS).join(', ')}.\nRun \`mcp-conservation --help\` for usage.\n`);
      return EXIT.usage;
    }
    return await entry.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`mcp-conservation: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`mcp-conservation: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  }
}
