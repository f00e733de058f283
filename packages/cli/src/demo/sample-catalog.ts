/**
 * What the demo's sample server offers, independent of the SDK that serves
 * it: the same tools, texts and failures on SDK v1 (the 2025 protocol) and
 * on SDK v2 (the 2026-07-28 protocol), so both eras have one true answer.
 */

export const SAMPLE_SERVER_NAME = 'acme-internal-tools';
export const SAMPLE_SERVER_VERSION = '1.4.2';

export const DOCS: Record<string, string> = {
  onboarding: 'Onboarding: request a laptop through the IT portal, then enrol in single sign-on. Your manager approves access to production systems.',
  expenses: 'Expenses: submit receipts within 30 days. Travel above 500 EUR needs pre-approval. Meals are reimbursed up to 40 EUR per day.',
  oncall: 'On-call: the rotation changes on Mondays at 09:00 UTC. Page the secondary after 15 minutes without acknowledgement.',
  security: 'Security: report phishing to security@acme.example. Never share one-time codes. Rotate API keys every 90 days.',
};

type Text = { type: 'text'; text: string };
export interface ToolAnswer {
  [key: string]: unknown;
  content: Text[];
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
}

const text = (t: string): Text => ({ type: 'text', text: t });

export function searchDocs(topic: string): ToolAnswer {
  return { content: [text(DOCS[topic] ?? `No handbook section matches "${topic}".`)] };
}

export function getWeather(office: string): ToolAnswer {
  const data = { office, condition: 'cloudy', temperatureC: 14 };
  // Text and structuredContent carry the same data: the second representation is redundant context.
  return { content: [text(JSON.stringify(data))], structuredContent: data };
}

export function lookupCustomer(id: number): ToolAnswer {
  if (id % 7 === 0) return { content: [text(`CRM backend error while reading account ${id}`)], isError: true };
  return { content: [text(`Account ${id}: plan=business, seats=${(id % 40) + 5}, renewal=2027-03-01`)] };
}

export async function generateReport(delayMs: number): Promise<ToolAnswer> {
  await new Promise((r) => setTimeout(r, delayMs));
  return { content: [text('Usage report: 1,204 active users, 98.7% uptime.')] };
}

/** Listed, never called by the demo's agents: their definitions are unused context. */
export const UNUSED_TOOLS: readonly (readonly [string, string])[] = [
  ['delete_repository', 'Permanently delete a source repository and all of its history, issues, pull requests and wiki pages.'],
  ['send_email', 'Send an email on behalf of the current user to any internal or external recipient, with attachments.'],
  ['create_invoice', 'Create a draft invoice for a customer account with line items, tax codes and payment terms.'],
  ['rotate_credentials', 'Rotate the credentials of a service account and distribute the new secret to dependent services.'],
  ['schedule_meeting', 'Find a free slot in the calendars of all participants and send a meeting invitation.'],
  ['translate_document', 'Translate a document between any two of forty supported languages, preserving formatting.'],
];

export const disabled = (name: string): ToolAnswer => ({ content: [text(`${name} is disabled in the demo`)] });

export const HANDBOOK = { name: 'handbook', uri: 'docs://handbook', description: 'The whole handbook', mimeType: 'text/plain', text: () => Object.values(DOCS).join('\n') } as const;
export const TRIAGE = {
  name: 'triage',
  description: 'Triage a support ticket',
  text: 'Classify the ticket as billing, access or outage, then suggest the next step.',
} as const;

export const DESCRIPTIONS = {
  search_docs: 'Search the internal handbook and return the best matching section.',
  get_weather: 'Current weather for an office location.',
  lookup_customer: 'Look up a customer account by numeric id.',
  generate_report: 'Build a usage report; can take a long time.',
} as const;
