/**
 * What the proxy holds right now, said on stderr when it gets SIGUSR2: its
 * memory (after a full collection when Node runs with --expose-gc, so that
 * the figure is what is kept, not garbage) and, over HTTP, what is in
 * flight. An operator reads it to see that state stays bounded under load;
 * the bad-input tests read it to assert so.
 */

/** The in-flight state of the HTTP relay, at one moment. */
export interface InFlightState {
  readonly sessions: number;
  /** Requests sent upstream and not answered or ended yet (listen streams apart). */
  readonly requests: number;
  /** `subscriptions/listen` streams open: long-lived, never pending. */
  readonly listens: number;
  /** HTTP exchanges (a request and its response stream) open now. */
  readonly exchanges: number;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1);

/** Collects twice, a turn apart: buffers' memory is given back by the sweep after the first collection. */
function settle(then: () => void): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return then();
  gc();
  setImmediate(() => {
    gc();
    then();
  });
}

/** The memory figures, in MiB (after a full collection when the process can ask for one). */
export function memoryLine(): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  const m = process.memoryUsage();
  // maxRSS is in KiB: the peak resident size of the process so far.
  const peak = process.resourceUsage().maxRSS * 1024;
  return `rss ${mib(m.rss)} MiB (peak ${mib(peak)} MiB), heap used ${mib(m.heapUsed)} MiB, external ${mib(m.external)} MiB${gc ? ' (after a full GC)' : ''}`;
}

export function stateLine(inFlight: InFlightState | undefined): string {
  const flight = inFlight ? `sessions ${inFlight.sessions}, requests in flight ${inFlight.requests}, listen streams ${inFlight.listens}, exchanges open ${inFlight.exchanges}; ` : '';
  return `state: ${flight}${memoryLine()}`;
}

/** Says the state on SIGUSR2 (where the platform has it); returns the function that stops listening. */
export function reportStateOnSignal(note: (message: string) => void, inFlight: () => InFlightState | undefined): () => void {
  if (process.platform === 'win32') return () => undefined;
  const report = () =>
    settle(() => {
      try {
        note(stateLine(inFlight()));
      } catch (error) {
        note(`the state report failed: ${String(error)}`);
      }
    });
  process.on('SIGUSR2', report);
  return () => process.off('SIGUSR2', report);
}
