/** The invite form's validity field: 0 days is refused with a message, never sent as "no value" (14 days). */
import { describe, expect, it } from 'vitest';
import { expiryDays } from './expiry.ts';

describe('expiryDays', () => {
  it('sends the days the admin typed', () => {
    expect(expiryDays('14')).toEqual({ expiresInDays: 14 });
    expect(expiryDays(' 1 ')).toEqual({ expiresInDays: 1 });
    expect(expiryDays('365')).toEqual({ expiresInDays: 365 });
  });

  it('refuses 0, empty, negative, too many and non-numbers with a clear message', () => {
    for (const bad of ['0', '', '  ', '-3', '366', 'two'])
      expect(() => expiryDays(bad), bad).toThrow(/enter a number of days from 1 to 365/);
  });
});
