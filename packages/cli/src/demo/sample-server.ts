/**
 * The demo's sample MCP server, run as a subprocess over stdio. It looks
 * like a team's internal tool server: a handful of useful tools, many that
 * an agent never calls (their definitions still fill the context), one
 * that fails now and then, and one that is sometimes too slow.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export const SAMPLE_SERVER_NAME = 'acme-internal-tools';

const DOCS: Record<string, string> = {
  onboarding: 'Onboarding: request a laptop through the IT portal, then enrol in single sign-on. Your manager approves access to production systems.',
  expenses: 'Expenses: submit receipts within 30 days. Travel above 500 EUR needs pre-approval. Meals are reimbursed up to 40 EUR per day.',
  oncall: 'On-call: the rotation changes on Mondays at 09:00 UTC. Page the secondary after 15 minutes without acknowledgement.',
  security: 'Security: report phishing to security@acme.example. Never share one-time codes. Rotate API keys every 90 days.',
};

const server = new McpServer({ name: SAMPLE_SERVER_NAME, version: '1.4.2' });

server.registerTool(
  'search_docs',
  { description: 'Search the internal handbook and return the best matching section.', inputSchema: { topic: z.string().describe('Topic to look up') } },
  async ({ topic }) => ({ content: [{ type: 'text', text: DOCS[topic] ?? `No handbook section matches "${topic}".` }] }),
);

server.registerTool(
  'get_weather',
  { description: 'Current weather for an office location.', inputSchema: { office: z.string() } },
  async ({ office }) => {
    const data = { office, condition: 'cloudy', temperatureC: 14 };
    // Text and structuredContent carry the same data: the second representation is redundant context.
    return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
  },
);

server.registerTool(
  'lookup_customer',
  { description: 'Look up a customer account by numeric id.', inputSchema: { id: z.number().int() } },
  async ({ id }) => {
    if (id % 7 === 0) return { content: [{ type: 'text', text: `CRM backend error while reading account ${id}` }], isError: true };
    return { content: [{ type: 'text', text: `Account ${id}: plan=business, seats=${(id % 40) + 5}, renewal=2027-03-01` }] };
  },
);

server.registerTool(
  'generate_report',
  { description: 'Build a usage report; can take a long time.', inputSchema: { delayMs: z.number().int() } },
  async ({ delayMs }) => {
    await new Promise((r) => setTimeout(r, delayMs));
    return { content: [{ type: 'text', text: 'Usage report: 1,204 active users, 98.7% uptime.' }] };
  },
);

// Listed, never called by the demo's agents: their definitions are unused context.
const UNUSED: [string, string][] = [
  ['delete_repository', 'Permanently delete a source repository and all of its history, issues, pull requests and wiki pages.'],
  ['send_email', 'Send an email on behalf of the current user to any internal or external recipient, with attachments.'],
  ['create_invoice', 'Create a draft invoice for a customer account with line items, tax codes and payment terms.'],
  ['rotate_credentials', 'Rotate the credentials of a service account and distribute the new secret to dependent services.'],
  ['schedule_meeting', 'Find a free slot in the calendars of all participants and send a meeting invitation.'],
  ['translate_document', 'Translate a document between any two of forty supported languages, preserving formatting.'],
];
for (const [name, description] of UNUSED) {
  server.registerTool(name, { description, inputSchema: { target: z.string(), options: z.record(z.string(), z.string()).optional() } }, async () => ({
    content: [{ type: 'text', text: `${name} is disabled in the demo` }],
  }));
}

server.registerResource('handbook', 'docs://handbook', { description: 'The whole handbook', mimeType: 'text/plain' }, async (uri) => ({
  contents: [{ uri: uri.href, text: Object.values(DOCS).join('\n') }],
}));

server.registerPrompt('triage', { description: 'Triage a support ticket' }, async () => ({
  messages: [{ role: 'user', content: { type: 'text', text: 'Classify the ticket as billing, access or outage, then suggest the next step.' } }],
}));

await server.connect(new StdioServerTransport());

// Ctrl-C in the demo's terminal reaches its whole process group, this server included: the live demo
// finishes the session in progress on it, then closes it (stdin closed, then SIGTERM), so SIGINT is not for us.
process.on('SIGINT', () => undefined);
