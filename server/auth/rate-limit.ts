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
 * - Refusals answer 429 with Retry-After. The state lives in the database (`login_checks`), so every
 *   server replica on one Postgres counts the same failures and a restart forgets none. A reservation
 *   is checked and recorded in one transaction that holds a lock per key (Postgres: transaction-scoped
 *   advisory locks taken in key order; SQLite: its single writer), so concurrent checks on several
 *   replicas cannot all read a count from before any of them was recorded.
 */
import { sql } from 'kysely';
import type { Clock, IdGenerator } from '../platform/index.ts';
import type { Db } from '../db/index.ts';

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

type Keys = { pair: string; account: string; address: string };

/**
 * SSO sign-ins started from one address per window (each start stores a pending sign-in until it is
 * used or expires): a person needs one or two; a script filling the table meets the ceiling. Only the
 * address counts (the account key is the address too), so no one can slow anyone else's sign-in.
 */
export function ssoStartPolicy(windowMs: number, perAddress = 30): LoginThrottlePolicy {
  return {
    windowMs,
    perAccountAddress: perAddress,
    accountDelayAfter: Number.POSITIVE_INFINITY,
    accountBaseDelayMs: 0,
    accountMaxDelayMs: 0,
    perAddress,
  };
}

const keysOf = ({ account, address }: LoginAttempt): Keys => ({
  pair: `pair:${account}\n${address}`,
  account: `account:${account}`,
  address: `address:${address}`,
});

/**
 * How long the next check must wait, from the times (oldest first, within the window) of the failures
 * and reserved checks counted against each key; 0: go ahead.
 */
export function throttleWait(policy: LoginThrottlePolicy, now: number, recent: Record<keyof Keys, number[]>) {
  const windowWait = (list: number[], limit: number) =>
    list.length < limit ? 0 : list[list.length - limit]! + policy.windowMs - now;
  const progressiveWait = (list: number[]) => {
    const over = list.length - policy.accountDelayAfter;
    if (over < 0) return 0;
    const delay = Math.min(policy.accountBaseDelayMs * 2 ** over, policy.accountMaxDelayMs);
    return Math.max(0, list[list.length - 1]! + delay - now);
  };
  return Math.max(
    windowWait(recent.pair, policy.perAccountAddress),
    progressiveWait(recent.account),
    windowWait(recent.address, policy.perAddress),
  );
}

/**
 * The throttle over `login_checks`. `scope` keeps throttles apart in the one table (sign-in, password
 * reset requests).
 */
export function createLoginThrottle(
  deps: { db: Db; clock: Clock; ids: IdGenerator; dialect: 'sqlite' | 'postgres' },
  policy: LoginThrottlePolicy,
  scope: string,
): LoginThrottle {
  const { db, clock } = deps;
  /**
   * Rows the window no longer counts go after each check (the check itself reads only rows inside the
   * window), outside its locked transaction. On Postgres it skips rows another transaction holds, so
   * it never waits on (or deadlocks with) a check in flight.
   */
  const prune = (cutoff: number) =>
    deps.dialect === 'postgres'
      ? sql`delete from login_checks where id in (select id from login_checks
          where scope = ${scope} and at <= ${cutoff} for update skip locked)`.execute(db)
      : db.deleteFrom('login_checks').where('scope', '=', scope).where('at', '<=', cutoff).execute();
  return {
    async begin(attempt) {
      const keys = keysOf(attempt);
      const ticket = deps.ids.id('lc');
      const outcome = await db.transaction().execute(async (trx) => {
        const now = clock.now();
        const cutoff = now - policy.windowMs;
        if (deps.dialect === 'postgres') {
          // One lock per key, in one order everywhere (no deadlock), held until this transaction ends.
          for (const k of Object.values(keys).sort())
            await sql`select pg_advisory_xact_lock(hashtextextended(${`${scope}\n${k}`}, 0))`.execute(trx);
        }
        const rows = await trx
          .selectFrom('login_checks')
          .select(['key', 'at'])
          .where('scope', '=', scope)
          .where('key', 'in', Object.values(keys))
          .where('at', '>', cutoff)
          .orderBy('at')
          .orderBy('id')
          .execute();
        const recent = { pair: [] as number[], account: [] as number[], address: [] as number[] };
        for (const r of rows)
          for (const name of ['pair', 'account', 'address'] as const)
            if (r.key === keys[name]) recent[name].push(Number(r.at));
        const wait = throttleWait(policy, now, recent);
        if (wait > 0) return { ok: false as const, retryAfterMs: wait };
        await trx
          .insertInto('login_checks')
          .values(Object.values(keys).map((key) => ({ scope, key, ticket, at: now })))
          .execute();
        return { ok: true as const };
      });
      await prune(clock.now() - policy.windowMs).catch(() => {}); // best effort: the next check prunes again
      if (!outcome.ok) return outcome;
      let done = false;
      return {
        ok: true,
        ticket: {
          async succeeded() {
            if (done) return;
            done = true;
            // A success proves the person: their own earlier typos from here stop counting.
            await db
              .deleteFrom('login_checks')
              .where('scope', '=', scope)
              .where((eb) => eb.or([eb('key', '=', keys.pair), eb('ticket', '=', ticket)]))
              .execute();
          },
          async failed() {
            done = true; // the reservation already counts as the failure
          },
        },
      };
    },
  };
}
