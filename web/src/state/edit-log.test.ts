/** The typing between saves: recorded per file, bounded, handed over with the save it leads to. */
import { describe, expect, it } from 'vitest';
import { EditRecorder, MAX_EDITS, type Change } from './edit-log.ts';

const typed = (offset: number, text: string): Change => ({ rangeOffset: offset, rangeLength: 0, text });

function recorder() {
  let now = 1000;
  const r = new EditRecorder(() => now);
  return { r, tick: (ms: number) => (now += ms) };
}

describe('EditRecorder', () => {
  it('hands over the changes since the last save as a log from that save to the next', () => {
    const { r, tick } = recorder();
    r.start('a.ts', 'base');
    r.record('a.ts', [typed(0, 'x')]);
    tick(150);
    r.record('a.ts', [typed(1, 'y')]);
    const batch = r.take('a.ts');
    tick(50);
    r.record('a.ts', [typed(2, 'z')]); // typed while the save is in flight: the next batch
    expect(r.saved('a.ts', batch, 'next')).toEqual({
      path: 'a.ts',
      baseSha256: 'base',
      sha256: 'next',
      edits: [
        [0, 0, 0, 'x'],
        [150, 1, 0, 'y'],
      ],
      dropped: 0,
    });
    expect(r.saved('a.ts', r.take('a.ts'), 'third')).toMatchObject({
      baseSha256: 'next',
      sha256: 'third',
      edits: [[0, 2, 0, 'z']],
    });
  });

  it('orders the changes of one multi-cursor event from the end of the text backwards', () => {
    const { r } = recorder();
    r.start('a.ts', 'base');
    r.record('a.ts', [typed(2, 'b'), typed(9, 'c'), typed(5, 'a')]);
    expect(r.saved('a.ts', r.take('a.ts'), 'next')?.edits.map((e) => e[1])).toEqual([9, 5, 2]);
  });

  it('puts a batch back in front of later typing when its save is retried', () => {
    const { r, tick } = recorder();
    r.start('a.ts', 'base');
    r.record('a.ts', [typed(0, 'x')]);
    const batch = r.take('a.ts');
    tick(300);
    r.record('a.ts', [typed(1, 'y')]);
    r.restore('a.ts', batch); // offline
    expect(r.saved('a.ts', r.take('a.ts'), 'next')?.edits).toEqual([
      [0, 0, 0, 'x'],
      [300, 1, 0, 'y'],
    ]);
  });

  it('sends nothing it cannot vouch for: an unknown start, a change without a list, an unchanged save', () => {
    const { r } = recorder();
    r.record('new.ts', [typed(0, 'x')]); // never started from a server content
    expect(r.saved('new.ts', r.take('new.ts'), 'next')).toBeNull();
    r.start('a.ts', 'base');
    r.record('a.ts', [typed(0, 'x')]);
    r.lose('a.ts'); // e.g. a draft restored from IndexedDB
    r.record('a.ts', [typed(1, 'y')]);
    expect(r.saved('a.ts', r.take('a.ts'), 'next')).toBeNull();
    // The save it followed starts a fresh, usable batch; its drops are counted in the next log.
    r.record('a.ts', [typed(0, 'z')]);
    expect(r.saved('a.ts', r.take('a.ts'), 'third')).toMatchObject({ baseSha256: 'next', dropped: 3 });
    r.record('a.ts', [typed(0, 'q'), { rangeOffset: 0, rangeLength: 1, text: '' }]);
    expect(r.saved('a.ts', r.take('a.ts'), 'third')).toBeNull();
  });

  it(`drops a batch over ${MAX_EDITS} changes whole (the save is not its business), and stops when the server is full`, () => {
    const { r } = recorder();
    r.start('a.ts', 'base');
    for (let i = 0; i <= MAX_EDITS; i++) r.record('a.ts', [typed(i, 'x')]);
    expect(r.saved('a.ts', r.take('a.ts'), 'next')).toBeNull();
    r.record('a.ts', [typed(0, 'y')]);
    expect(r.saved('a.ts', r.take('a.ts'), 'third')?.dropped).toBe(MAX_EDITS + 1);
    r.full = true;
    r.record('a.ts', [typed(0, 'z')]);
    expect(r.saved('a.ts', r.take('a.ts'), 'fourth')).toBeNull();
  });
});
