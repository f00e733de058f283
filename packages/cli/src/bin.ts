#!/usr/bin/env node
import { main } from './main.js';

// Set the exit code rather than calling process.exit, so stdout is flushed when piped.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mcp-conservation: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  },
);
