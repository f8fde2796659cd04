/** How long a grading waits after an engine error before its next try. */

export interface BackoffPolicy {
  /** Wait after the first failed try, milliseconds. */
  baseMs: number;
  /** Longest wait, milliseconds. */
  maxMs: number;
}

/**
 * Exponential backoff with jitter: base × 2^(tries−1), capped, then a random point in its upper half
 * (so gradings failed by one engine hiccup do not all come back at the same instant, and none comes
 * back sooner than half the step). `random` is injected for tests.
 */
export function backoffMs(tries: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, tries - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
