/**
 * A steady request rate for the live demo: each request is scheduled one
 * interval after the previous one was due, so slow calls do not slow the
 * rate down and a burst never makes up for them.
 */
import type { Pace } from './script.js';

export function steadyPace(requestsPerSecond: number): Pace {
  const interval = 1000 / requestsPerSecond;
  let due = Date.now();
  return () => {
    const now = Date.now();
    // After a long call (a timeout), start again from now rather than firing the backlog at once.
    due = Math.max(now, due + interval);
    return new Promise((resolve) => setTimeout(resolve, due - now));
  };
}
