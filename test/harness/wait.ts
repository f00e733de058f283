/** Polling with a deadline: the only way tests wait for a condition. */
export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  readonly what: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Checked before each probe: a reason to give up at once (e.g. the process exited). */
  readonly failIf?: () => string | undefined;
}

/**
 * Calls `probe` until it returns a value other than undefined/false, or
 * throws on the deadline with the last error or value seen.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const interval = options.intervalMs ?? 250;
  let last: unknown;
  for (;;) {
    const fatal = options.failIf?.();
    if (fatal) throw new Error(`gave up waiting for ${options.what}: ${fatal}`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Resolves when `url` answers with a 2xx status. */
export async function waitForHttpOk(url: string, what: string, timeoutMs = 60_000, failIf?: () => string | undefined): Promise<void> {
  await waitFor(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.ok || undefined;
    },
    { what: `${what} ready at ${url}`, timeoutMs, ...(failIf ? { failIf } : {}) },
  );
}
