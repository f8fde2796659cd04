import { describe, expect, it } from 'vitest';
import { TerminalRecorder } from './recorder.ts';

describe('TerminalRecorder', () => {
  const limits = { inPerMinute: 10, outPerMinute: 20, perAttempt: 45 };

  it('keeps the first bytes of each minute and counts what it drops', () => {
    let now = 0;
    const total = { bytes: 0 };
    const r = new TerminalRecorder(limits, () => now, total);
    r.push('in', 'ls -la\r');
    r.push('in', 'cat file\r');
    r.push('out', 'y\r\n'.repeat(10));
    expect(r.take()).toEqual({
      in: 'ls -la\rcat',
      out: 'y\r\n'.repeat(6) + 'y\r',
      droppedIn: 6,
      droppedOut: 10,
    });
    expect(r.take()).toBeUndefined();
    now = 60_000; // a new minute: room again, up to the attempt's bound
    r.push('out', 'z'.repeat(30));
    expect(r.take()).toEqual({ out: 'z'.repeat(15), droppedOut: 15 });
    expect(total.bytes).toBe(45);
    now = 120_000;
    r.push('in', 'more\r');
    expect(r.take()).toEqual({ droppedIn: 5 });
  });

  it('never splits a character', () => {
    const r = new TerminalRecorder({ ...limits, outPerMinute: 5 }, () => 0, { bytes: 0 });
    r.push('out', 'ab€€');
    expect(r.take()).toEqual({ out: 'ab€', droppedOut: 3 });
  });
});
