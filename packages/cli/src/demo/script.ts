/**
 * The demo's scripted agents. Each is a sequence of MCP calls with a known
 * outcome, so the scorecard it produces has a known true answer
 * (DEMO_TRUTH, checked by the CLI tests).
 */
import type { DemoClient } from './agent-client.js';

/** Awaited before each request: nothing in one round, a steady interval in the live demo. */
export type Pace = () => Promise<void>;
const NO_PACE: Pace = async () => undefined;

export interface AgentScript {
  readonly name: string;
  readonly run: (client: DemoClient, pace?: Pace) => Promise<void>;
}

/** Client-side timeout for report generation; the slow report exceeds it. */
export const REPORT_TIMEOUT_MS = 300;
const TOPICS = ['onboarding', 'expenses', 'oncall', 'security'];

async function call(client: DemoClient, pace: Pace, name: string, args: Record<string, unknown>, timeout?: number): Promise<void> {
  await pace();
  try {
    await client.callTool(name, args, timeout);
  } catch {
    // A failed call is part of the workload: the agent carries on.
  }
}

/** Support agent: 1 listing + 40 calls = 41 requests; lookups of ids 7 and 14 are tool errors. */
const support: AgentScript = {
  name: 'support-agent',
  async run(c, p = NO_PACE) {
    await p();
    await c.listTools();
    for (let i = 0; i < 20; i++) {
      await call(c, p, 'search_docs', { topic: TOPICS[i % TOPICS.length] });
      await call(c, p, 'lookup_customer', { id: i + 1 });
    }
  },
};

/** Research agent: listing, resource, prompt + 60 calls = 63 requests; ids 7, 14, 21 fail; one report times out. */
const research: AgentScript = {
  name: 'research-agent',
  async run(c, p = NO_PACE) {
    await p();
    await c.listTools();
    await p();
    await c.readResource('docs://handbook');
    await p();
    await c.getPrompt('triage');
    for (let i = 0; i < 25; i++) {
      await call(c, p, 'lookup_customer', { id: i + 1 });
      await call(c, p, 'get_weather', { office: i % 2 ? 'Berlin' : 'Lisbon' });
    }
    for (let i = 0; i < 9; i++) await call(c, p, 'generate_report', { delayMs: 5 }, REPORT_TIMEOUT_MS);
    await call(c, p, 'generate_report', { delayMs: 30_000 }, REPORT_TIMEOUT_MS);
  },
};

/** A runaway loop: 1 listing + 110 identical searches = 111 requests, crossing the 100 limit. */
const runaway: AgentScript = {
  name: 'runaway-agent',
  async run(c, p = NO_PACE) {
    await p();
    await c.listTools();
    for (let i = 0; i < 110; i++) await call(c, p, 'search_docs', { topic: 'oncall' });
  },
};

/** A quick check: 1 listing + 5 calls = 6 requests, below the expected band. */
const quick: AgentScript = {
  name: 'quick-check',
  async run(c, p = NO_PACE) {
    await p();
    await c.listTools();
    for (let i = 0; i < 5; i++) await call(c, p, 'search_docs', { topic: 'security' });
  },
};

export const AGENTS: readonly AgentScript[] = [support, research, runaway, quick];

/** The true answer of the script, for tests and for the curious. */
export const DEMO_TRUTH = {
  sessions: 4,
  requestsPerSession: [41, 63, 111, 6],
  sessionsWithinBand: 2,
  sessionsOverLimit: 1,
  toolCalls: 40 + 60 + 110 + 5,
  toolErrors: 2 + 3,
  timeouts: 1,
  /** The one report that never answers: lost when the session closes (its late window still open). */
  lostResponses: 1,
  /**
   * Requests per session outside the script, by era: `initialize` (2025),
   * which expects a response and gets an audit record; none in 2026-07-28
   * over stdio, where the v2 client probes a sibling process that no
   * observer counts as a session.
   */
  handshakes: { legacy: 1, modern: 0 },
} as const;
