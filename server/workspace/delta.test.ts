import { describe, expect, it } from 'vitest';
import { SNAPSHOT_EVERY, apply, encodeRevision, snapshot, splice, type Stored } from './delta.ts';

/** A deterministic pseudo-random source, so a failure replays. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

function text(rand: () => number, bytes: number) {
  const words = ['const', 'return', 'await', 'model', 'tokens', '{', '}', '\n', 'é', '日本'];
  let s = '';
  while (Buffer.byteLength(s) < bytes) s += `${words[Math.floor(rand() * words.length)]} `;
  return Buffer.from(s);
}

function edit(rand: () => number, b: Buffer): Buffer {
  const at = Math.floor(rand() * (b.byteLength + 1));
  const cut = Math.floor(rand() * 8);
  const add = Buffer.from('xyz😀'.slice(0, Math.floor(rand() * 4)));
  return Buffer.concat([b.subarray(0, at), add, b.subarray(Math.min(b.byteLength, at + cut))]);
}

describe('revision encoding', () => {
  it('rebuilds every revision of a long editing session exactly, across snapshots', () => {
    const rand = rng(7);
    let content: Buffer = text(rand, 20_000);
    const chain: Array<{ stored: Stored & { depth: number }; content: Buffer }> = [];
    let prev: { content: Buffer; depth: number } | undefined;
    for (let i = 0; i < 3 * SNAPSHOT_EVERY + 5; i++) {
      // Mostly keystrokes, now and then a paste that rewrites much of the file, and an emptied file.
      content = i % 50 === 49 ? text(rand, 5_000 + Math.floor(rand() * 20_000)) : edit(rand, content);
      if (i === 77) content = Buffer.alloc(0);
      const stored = encodeRevision(content, prev);
      chain.push({ stored, content });
      prev = { content, depth: stored.depth };
    }
    // Replay any revision: from its latest snapshot forward through the splices.
    for (let i = 0; i < chain.length; i++) {
      let start = i;
      while (chain[start]!.stored.depth !== 0) start--;
      let rebuilt: Buffer | undefined;
      for (let j = start; j <= i; j++) rebuilt = apply(chain[j]!.stored, rebuilt);
      expect(rebuilt!.equals(chain[i]!.content), `revision ${i}`).toBe(true);
    }
    expect(Math.max(...chain.map((c) => c.stored.depth))).toBe(SNAPSHOT_EVERY - 1);
    expect(chain.filter((c) => c.stored.depth === 0).length).toBeGreaterThanOrEqual(3);
  });

  it('stores a keystroke in a 20 KB file in a few bytes, and a snapshot deflated', () => {
    const rand = rng(3);
    const base = text(rand, 20_000);
    const next = edit(rand, base);
    expect(splice(base, next).data.byteLength).toBeLessThan(24);
    const full = snapshot(base);
    expect(full.encoding).toBe('full-deflate');
    expect(full.data.byteLength).toBeLessThan(base.byteLength / 3);
  });

  it('handles identical, empty, prefix-only and suffix-only changes', () => {
    const cases: Array<[string, string]> = [
      ['abc', 'abc'],
      ['', 'abc'],
      ['abc', ''],
      ['abcabc', 'abc'],
      ['abc', 'abcabc'],
      ['aaaa', 'aa'],
      ['xabc', 'abc'],
      ['abc', 'abcx'],
    ];
    for (const [a, b] of cases) {
      const base = Buffer.from(a);
      expect(apply(splice(base, Buffer.from(b)), base).toString(), `${a} → ${b}`).toBe(b);
    }
  });

  it('refuses a splice without its base, or one that does not fit it', () => {
    const s = splice(Buffer.from('hello world'), Buffer.from('hello there world'));
    expect(() => apply(s, undefined)).toThrow(/needs the revision/);
    expect(() => apply(s, Buffer.from('hi'))).toThrow(/does not fit/);
  });
});
