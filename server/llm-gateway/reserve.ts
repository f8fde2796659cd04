/**
 * The calls each spender (attempt and purpose) has in flight, and the tokens they hold. Stops: budget
 * checks racing each other and their own recording. Two calls checked at the same time each see the
 * other as not yet claimed, and both fit; a call whose reservation is released before its row is
 * written is counted by neither. So admissions (check, then claim) run one at a time per spender, and
 * settlement (write the row, then release) takes its turn in the same queue. Calls of different
 * attempts never wait for each other.
 */
import type { BudgetRefusal, Grant, InFlight } from './policy.ts';

interface Slot extends InFlight {
  /** The tail of this spender's queue of admissions and settlements. */
  queue: Promise<unknown>;
  /** Admissions and settlements queued or running: the slot is dropped when idle and empty. */
  pending: number;
}

/** A claim on the spender's budget: settle it exactly once, when the call has been recorded. */
export interface Hold {
  readonly slot: string;
  readonly tokens: number;
  settled: boolean;
}

export class Reservations {
  private readonly slots = new Map<string, Slot>();

  /** Calls in flight for a spender (`attemptId/purpose`). */
  inFlight(slot: string): InFlight {
    const s = this.slots.get(slot);
    return { calls: s?.calls ?? 0, tokens: s?.tokens ?? 0 };
  }

  private exclusive<T>(slot: string, fn: (s: Slot) => Promise<T>): Promise<T> {
    let s = this.slots.get(slot);
    if (!s) {
      s = { calls: 0, tokens: 0, queue: Promise.resolve(), pending: 0 };
      this.slots.set(slot, s);
    }
    const entry = s;
    entry.pending++;
    const run = entry.queue.then(() => fn(entry));
    entry.queue = run.then(
      () => this.done(slot, entry),
      () => this.done(slot, entry),
    );
    return run;
  }

  private done(slot: string, s: Slot) {
    if (--s.pending === 0 && s.calls === 0 && this.slots.get(slot) === s) this.slots.delete(slot);
  }

  /**
   * Runs `check` with the spender's current in-flight totals and, when it grants, claims the call and
   * its tokens before anyone else of this spender is checked or recorded.
   */
  admit(
    slot: string,
    check: (inFlight: InFlight) => Promise<BudgetRefusal | Grant>,
  ): Promise<{ refusal: BudgetRefusal } | { grant: Grant; hold: Hold }> {
    return this.exclusive(slot, async (s) => {
      const result = await check({ calls: s.calls, tokens: s.tokens });
      if ('code' in result) return { refusal: result };
      s.calls++;
      s.tokens += result.reserve;
      return { grant: result, hold: { slot, tokens: result.reserve, settled: false } };
    });
  }

  /** Records the call (`record`), then releases its claim; a second settle of the same hold does nothing. */
  settle(hold: Hold, record: () => Promise<void>): Promise<void> {
    if (hold.settled) return Promise.resolve();
    hold.settled = true;
    return this.exclusive(hold.slot, async (s) => {
      try {
        await record();
      } finally {
        s.calls--;
        s.tokens -= hold.tokens;
      }
    });
  }
}
