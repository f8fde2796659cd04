/** Edit logs: replaying the editor's changes on a text, and their compact stored form. */
import { describe, expect, it } from 'vitest';
import { decodeEdits, editLogSchema, encodeEdits, MAX_EDITS, replayEdits, type Edit } from './edit-log.ts';

describe('edit logs', () => {
  it('replays typing, deletions, replacements and non-ASCII text in order', () => {
    const edits: Edit[] = [
      [0, 5, 0, ' '],
      [80, 6, 0, 'wörld'],
      [200, 6, 5, 'world 🌍'],
      [300, 0, 1, 'H'],
      [320, 0, 0, '// '],
    ];
    expect(replayEdits('hello', edits)).toEqual({ text: '// Hello world 🌍' });
  });

  it('refuses edits outside the text', () => {
    expect(replayEdits('abc', [[0, 4, 0, 'x']])).toEqual({ problem: 'edit 0 is outside the text' });
    expect(replayEdits('abc', [[0, 1, 3, '']])).toEqual({ problem: 'edit 0 is outside the text' });
  });

  it('grows past its first capacity (a large paste) and stops at edits that jump around a large file', () => {
    const paste = 'x'.repeat(100_000);
    expect(replayEdits('ab', [[0, 1, 0, paste]])).toEqual({ text: `a${paste}b` });
    const big = 'y'.repeat(1_000_000);
    const jumps = Array.from({ length: 200 }, (_, i) => [i, i % 2 ? 0 : 1_000_000, 0, ''] as Edit);
    expect(replayEdits(big, jumps)).toEqual({ problem: 'the edits jump around more than typing does' });
  });

  it('stores a batch compactly and reads it back exactly', () => {
    const edits: Edit[] = Array.from({ length: 500 }, (_, i) => [
      i * 150,
      1000 + i,
      i % 7 === 0 ? 1 : 0,
      'aé'[i % 2]!,
    ]);
    const data = encodeEdits(edits);
    expect(decodeEdits(data)).toEqual(edits);
    expect(data.byteLength).toBeLessThan(edits.length * 4);
  });

  it('accepts only well-formed batches', () => {
    const log = { path: 'a.ts', baseSha256: 'a'.repeat(64), sha256: 'b'.repeat(64), edits: [[0, 0, 0, 'x']] };
    expect(editLogSchema.safeParse(log).success).toBe(true);
    expect(editLogSchema.safeParse({ ...log, edits: [] }).success).toBe(false);
    expect(editLogSchema.safeParse({ ...log, edits: [[0, -1, 0, 'x']] }).success).toBe(false);
    expect(
      editLogSchema.safeParse({
        ...log,
        edits: [
          [5, 0, 0, 'x'],
          [4, 1, 0, 'y'],
        ],
      }).success,
    ).toBe(false);
    expect(editLogSchema.safeParse({ ...log, sha256: 'B'.repeat(64) }).success).toBe(false);
    const many = Array.from({ length: MAX_EDITS + 1 }, () => [0, 0, 0, 'x']);
    expect(editLogSchema.safeParse({ ...log, edits: many }).success).toBe(false);
  });
});
