/** Admissions per spender do not interleave, so concurrent checks cannot each miss the other's claim. */
import { describe, expect, it } from 'vitest';
import { Reservations } from './reserve.ts';
import type { BudgetRefusal, Grant, InFlight } from './policy.ts';

const BUDGET = 100;
const refusal: BudgetRefusal = {
  budget: 'tokens',
  code: 'budget_tokens_insufficient',
  type: 'insufficient_quota',
  message: 'no',
  retryable: false,
};

describe('Reservations', () => {
  it('counts held tokens for concurrent admissions and gives them back once', async () => {
    const r = new Reservations();
    /** Like checkBudgets: reads recorded usage (here: none) asynchronously before deciding. */
    const grant = async (held: InFlight): Promise<BudgetRefusal | Grant> => {
      await new Promise((resolve) => setImmediate(resolve));
      return held.tokens + 40 <= BUDGET ? { reserve: 40, outputCap: 40 } : refusal;
    };
    const results = await Promise.all([1, 2, 3].map(() => r.admit('y/attempt', grant)));
    expect(results.filter((x) => 'hold' in x)).toHaveLength(2);
    expect(r.inFlight('y/attempt')).toEqual({ calls: 2, tokens: 80 });
    const hold = (results[0] as { hold: Parameters<Reservations['settle']>[0] }).hold;
    await r.settle(hold, async () => undefined);
    await r.settle(hold, async () => undefined);
    expect(r.inFlight('y/attempt')).toEqual({ calls: 1, tokens: 40 });
    // Another spender is not held up by this one.
    expect('hold' in (await r.admit('z/attempt', grant))).toBe(true);
  });
});
