/** Live output: coalesced before the hub, bounded per run, and resumable from Last-Event-ID. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputCoalescer } from './coalesce.ts';
import { eventId, parseEventId, RunHub, type RunEvent } from './hub.ts';

describe('OutputCoalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('turns a million alternating single bytes into a bounded number of flushes, losing nothing', () => {
    const emitted: Array<[string, string]> = [];
    const c = new OutputCoalescer((s, t) => emitted.push([s, t]), {
      flushMs: 40,
      maxBytes: 16 * 1024,
      now: () => Date.now(),
    });
    for (let i = 0; i < 1_000_000; i++) {
      c.push(i % 2 ? 'stderr' : 'stdout', Buffer.from(i % 2 ? 'e' : 'o'));
      if (i % 10_000 === 0) vi.advanceTimersByTime(1); // time passes while the program writes
    }
    c.close();
    // 500 000 bytes per stream at 16 KiB per flush, plus at most one timer flush per 40 ms (100 ms passed).
    expect(emitted.length).toBeLessThanOrEqual(2 * Math.ceil(500_000 / (16 * 1024)) + 2 * 4 + 2);
    const joined = (s: string) =>
      emitted
        .filter(([x]) => x === s)
        .map(([, t]) => t)
        .join('');
    expect(joined('stdout')).toBe('o'.repeat(500_000));
    expect(joined('stderr')).toBe('e'.repeat(500_000));
  });

  it('sends the first output after a quiet spell at once, and batches what follows within flushMs', () => {
    const emitted: Array<[string, string]> = [];
    const c = new OutputCoalescer((s, t) => emitted.push([s, t]), { flushMs: 40, now: () => Date.now() });
    c.push('stdout', Buffer.from('first line\n'));
    expect(emitted).toEqual([['stdout', 'first line\n']]);
    c.push('stderr', Buffer.from('warn '));
    c.push('stdout', Buffer.from('hello'));
    c.push('stderr', Buffer.from('again'));
    expect(emitted).toHaveLength(1);
    vi.advanceTimersByTime(40);
    expect(emitted).toEqual([
      ['stdout', 'first line\n'],
      ['stderr', 'warn again'],
      ['stdout', 'hello'],
    ]);
    // Quiet again: the next line is not held back.
    vi.advanceTimersByTime(100);
    c.push('stdout', Buffer.from('later'));
    expect(emitted.at(-1)).toEqual(['stdout', 'later']);
  });

  it('never splits a multi-byte character across events', () => {
    const emitted: string[] = [];
    const c = new OutputCoalescer((_s, t) => emitted.push(t), { flushMs: 40, maxBytes: 1 });
    const euro = Buffer.from('€'); // 3 bytes
    for (const b of euro) c.push('stdout', Buffer.from([b]));
    c.close();
    expect(emitted.join('')).toBe('€');
    expect(emitted.every((t) => !t.includes('\uFFFD'))).toBe(true);
  });
});

describe('RunHub', () => {
  const collect = (hub: RunHub, runId: string, from: Parameters<RunHub['subscribe']>[1]) => {
    const got: RunEvent[] = [];
    hub.subscribe(runId, from, (e) => got.push(e));
    return got;
  };

  it('keeps at most maxBytes of output for replay, dropping the oldest and saying so', () => {
    const hub = new RunHub(60_000, 100);
    hub.open('r', { maxBytes: 100 });
    for (let i = 0; i < 50; i++) hub.emit('r', { type: 'stdout', data: 'x'.repeat(10) });
    expect(hub.stats('r')).toEqual({ events: 10, keptChars: 100 });
    const replay = collect(hub, 'r', 0);
    expect(replay[0]).toMatchObject({ type: 'notice' });
    expect(replay.slice(1).map((e) => e.seq)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
  });

  it('resumes after the Last-Event-ID it wrote: nothing is shown twice', () => {
    const hub = new RunHub();
    hub.open('r');
    hub.emit('r', { type: 'stdout', data: 'one\n' });
    hub.emit('r', { type: 'stderr', data: 'two\n' });
    const first = collect(hub, 'r', 0);
    const lastId = eventId(first.at(-1)!);
    expect(lastId).toBe('2.4.4');
    hub.emit('r', { type: 'stdout', data: 'three\n' });
    const again = collect(hub, 'r', parseEventId(lastId));
    expect(again.map((e) => e.data)).toEqual(['three\n']);
  });

  it('parses only ids it could have written', () => {
    expect(parseEventId('7.10.3')).toEqual({ seq: 7, out: 10, err: 3 });
    expect(parseEventId('7')).toEqual({ seq: 7 });
    for (const bad of [undefined, '', 'x', '1.2', '-1', '1.2.3.4'])
      expect(parseEventId(bad)).toEqual({ seq: 0 });
  });
});
