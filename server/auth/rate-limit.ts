/**
 * Login throttling: stops online password guessing. Counts failures per key (email and client
 * address separately) in a sliding window; while over the limit, logins answer 429 with Retry-After.
 */
import type { Clock } from '../platform/index.ts';

export interface LoginLimiter {
  /** Milliseconds until the key may try again, or 0 when allowed. */
  retryAfter(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
}

export function createLoginLimiter(clock: Clock, maxFailures: number, windowMs: number): LoginLimiter {
  const failures = new Map<string, number[]>();
  const recent = (key: string) => {
    const cutoff = clock.now() - windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  return {
    retryAfter(key) {
      const list = recent(key);
      if (list.length < maxFailures) return 0;
      return list[list.length - maxFailures]! + windowMs - clock.now();
    },
    fail(key) {
      const list = recent(key);
      list.push(clock.now());
      failures.set(key, list.slice(-maxFailures * 2));
      // Bound memory under a spray of distinct keys: forget the oldest entries.
      if (failures.size > 50_000) failures.delete(failures.keys().next().value!);
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
