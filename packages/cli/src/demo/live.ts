/**
 * The live demo: the agents' sessions again and again at a steady rate until
 * Ctrl-C (or a duration), the scorecard reprinted every few seconds, in place
 * on a terminal.
 */
import { steadyPace } from './pace.js';
import type { AgentScript, Pace } from './script.js';

/** Stops the live demo: Ctrl-C once finishes the session in progress; twice exits at once. */
export class StopSwitch {
  private why: string | undefined;
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly onSigint = () => {
    if (this.why !== undefined) process.exit(130);
    // Said at once: the session in progress may take a few seconds more.
    process.stderr.write('\nCtrl-C: finishing the session in progress (Ctrl-C again quits at once)\n');
    this.request('Ctrl-C');
  };

  constructor(durationSeconds: number | undefined) {
    process.on('SIGINT', this.onSigint);
    if (durationSeconds !== undefined) this.timer = setTimeout(() => this.request(`${durationSeconds} s elapsed`), durationSeconds * 1000);
  }

  get requested(): boolean {
    return this.why !== undefined;
  }

  get reason(): string | undefined {
    return this.why;
  }

  request(why: string): void {
    if (this.why !== undefined) return;
    this.why = why;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when a stop is requested. */
  whenRequested(): Promise<void> {
    return this.why !== undefined ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Prints a block of text again and again; on a terminal each print replaces the one before. */
export class Reprinter {
  private lines = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly inPlace: boolean,
  ) {}

  print(block: string): void {
    // Cursor up to the block's first line, then clear to the end of the screen.
    const erase = this.inPlace && this.lines > 0 ? `\x1b[${this.lines}F\x1b[J` : '';
    this.stream.write(`${erase}${block}\n`);
    this.lines = this.inPlace ? block.split('\n').length : 0;
  }

  /** Later output starts below the block: the next print does not erase it. */
  release(): void {
    this.lines = 0;
  }
}

export function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export interface LiveProgress {
  /** Complete rounds of every agent, and sessions run in all. */
  readonly rounds: number;
  readonly sessions: number;
}

export interface LiveOptions {
  readonly agents: readonly AgentScript[];
  readonly runSession: (agent: AgentScript, pace: Pace) => Promise<void>;
  readonly rate: number;
  readonly durationSeconds?: number;
  readonly reprintMs: number;
  /** The text reprinted every `reprintMs`; none without it. */
  readonly block?: (progress: LiveProgress) => Promise<string>;
  /** Told after each complete round: progress for a caller that prints no block. */
  readonly onRound?: (progress: LiveProgress) => void;
}

/** Runs rounds of the agents until a stop is requested; the session in progress is finished first. */
export async function runLive(opts: LiveOptions): Promise<LiveProgress & { readonly reason: string }> {
  const stop = new StopSwitch(opts.durationSeconds);
  const pace = steadyPace(opts.rate);
  const printer = new Reprinter(process.stdout, process.stdout.isTTY === true);
  let rounds = 0;
  let sessions = 0;
  let printing = Promise.resolve();
  const reprint = () => {
    // After a stop, the Ctrl-C notice sits below the block: a redraw in place would erase it.
    if (!opts.block || stop.requested) return;
    const block = opts.block;
    printing = printing.then(async () => printer.print(await block({ rounds, sessions })));
  };
  const ticker = setInterval(reprint, opts.reprintMs);
  try {
    while (!stop.requested) {
      for (const agent of opts.agents) {
        if (stop.requested) break;
        await opts.runSession(agent, pace);
        sessions++;
      }
      const complete = Math.floor(sessions / opts.agents.length);
      if (complete > rounds) opts.onRound?.({ rounds: complete, sessions });
      rounds = complete;
    }
  } finally {
    clearInterval(ticker);
    stop.dispose();
    await printing;
  }
  printer.release();
  return { rounds, sessions, reason: stop.reason ?? 'stopped' };
}
