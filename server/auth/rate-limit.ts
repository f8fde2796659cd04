/**
 * Login throttling: stops online password guessing without letting one attacker lock real people
 * out (OWASP Authentication and Credential Stuffing cheat sheets).
 *
 * - A check is *reserved* before the slow scrypt hash and counts as a failure until it proves
 *   otherwise, so 150 concurrent wrong passwords cannot all slip past a count read before any of
 *   them was recorded (the in-flight bypass).
 * - Limits are per account *and address* (the tight one: `maxFailures` per window), per account from
 *   every address (progressive delay only, never a lockout: distributed guessing is slowed to one
 *   check per delay while the real user still gets in), and per address across all accounts (a much
 *   higher ceiling against credential stuffing, so one burst at one account does not lock a whole
 *   office behind one NAT out of every other account).
 * - Refusals answer 429 with Retry-After; the state lives behind `LoginThrottle` (in memory here; a
 *   shared store for several replicas implements the same interface).
 */
import type { Clock } from '../platform/index.ts';

export interface LoginAttempt {
  /** The normalised email the sign-in is for (known or not: unknown emails are throttled alike). */
  account: string;
  /** The client's network address. */
  address: string;
}

/** A reserved check: report how it ended exactly once. */
export interface LoginTicket {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
}

export type LoginReservation = { ok: true; ticket: LoginTicket } | { ok: false; retryAfterMs: number };

export interface LoginThrottle {
  /** Reserves one password check, or says how long to wait. Call before hashing. */
  begin(attempt: LoginAttempt): Promise<LoginReservation>;
}

export interface LoginThrottlePolicy {
  windowMs: number;
  /** Failures (including in-flight checks) one address may spend on one account per window. */
  perAccountAddress: number;
  /** Failures on one account (any address) after which each further check waits progressively longer. */
  accountDelayAfter: number;
  /** First progressive delay; doubles per further failure, up to accountMaxDelayMs. */
  accountBaseDelayMs: number;
  accountMaxDelayMs: number;
  /** Failures one address may spend across all accounts per window (credential stuffing). */
  perAddress: number;
}

/** The defaults derived from LOGIN_MAX_FAILURES / LOGIN_WINDOW_SECONDS. */
export function loginPolicy(maxFailures: number, windowMs: number): LoginThrottlePolicy {
  return {
    windowMs,
    perAccountAddress: maxFailures,
    accountDelayAfter: maxFailures * 2,
    accountBaseDelayMs: 1000,
    accountMaxDelayMs: 5 * 60_000,
    perAddress: maxFailures * 20,
  };
}

const MAX_KEYS = 50_000;

/** In-memory throttle for a single server process. */
export function createLoginThrottle(clock: Clock, policy: LoginThrottlePolicy): LoginThrottle {
  // key → timestamps of failures and reserved checks within the window, oldest first.
  const entries = new Map<string, number[]>();
  const recent = (key: string) => {
    const cutoff = clock.now() - policy.windowMs;
    const list = (entries.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) entries.set(key, list);
    else entries.delete(key);
    return list;
  };
  const windowWait = (list: number[], limit: number) =>
    list.length < limit ? 0 : list[list.length - limit]! + policy.windowMs - clock.now();
  const progressiveWait = (list: number[]) => {
    const over = list.length - policy.accountDelayAfter;
    if (over < 0) return 0;
    const delay = Math.min(policy.accountBaseDelayMs * 2 ** over, policy.accountMaxDelayMs);
    return Math.max(0, list[list.length - 1]! + delay - clock.now());
  };
  const add = (key: string, at: number) => {
    const list = recent(key);
    list.push(at);
    entries.set(key, list);
    // Bound memory under a spray of distinct keys: forget the oldest keys.
    while (entries.size > MAX_KEYS) entries.delete(entries.keys().next().value!);
  };
  const remove = (key: string, at: number) => {
    const list = entries.get(key);
    const i = list?.indexOf(at) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  };

  return {
    async begin({ account, address }) {
      const keys = {
        pair: `pair:${account}\n${address}`,
        account: `account:${account}`,
        address: `address:${address}`,
      };
      // Check and reserve in one synchronous step: no await between them.
      const wait = Math.max(
        windowWait(recent(keys.pair), policy.perAccountAddress),
        progressiveWait(recent(keys.account)),
        windowWait(recent(keys.address), policy.perAddress),
      );
      if (wait > 0) return { ok: false, retryAfterMs: wait };
      const at = clock.now();
      for (const k of Object.values(keys)) add(k, at);
      let done = false;
      return {
        ok: true,
        ticket: {
          async succeeded() {
            if (done) return;
            done = true;
            // A success proves the person: their own earlier typos from here stop counting.
            entries.delete(keys.pair);
            remove(keys.account, at);
            remove(keys.address, at);
          },
          async failed() {
            done = true; // the reservation already counts as the failure
          },
        },
      };
    },
  };
}
