/** Phase timings, printed as they end and summarised on demand. */
export interface PhaseTiming {
  readonly phase: string;
  readonly seconds: number;
}

const timings: PhaseTiming[] = [];

/** Runs `fn`, prints `[e2e] phase <name>: <s> s`, records it. */
export async function phase<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    const seconds = (performance.now() - started) / 1000;
    timings.push({ phase: name, seconds });
    console.log(`[e2e] phase ${name}: ${seconds.toFixed(1)} s`);
  }
}

/** Every phase timed so far in this process. */
export function phaseTimings(): readonly PhaseTiming[] {
  return timings;
}
