import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createBenchServer } from './server.mjs';

await createBenchServer().connect(new StdioServerTransport());
