/** How long a webhook delivery waits after a failed try. */

export interface WebhookBackoff {
  /** Wait after the first failed try, milliseconds. */
  baseMs: number;
  /** Longest wait, milliseconds. */
  maxMs: number;
}

/**
 * ×4 per failed try from the base, capped (defaults 10 s, 40 s, 2.7 min, 10.7 min, 43 min, 2.8 h, 6 h:
 * eight tries span about ten hours, long enough to ride out a receiver's deploy or outage), then a
 * random point in the upper half of the step, so deliveries failed by one outage do not all come
 * back at the same instant. `random` is injected for tests.
 */
export function retryDelayMs(
  tries: number,
  policy: WebhookBackoff,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 4 ** Math.max(0, tries - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
