import { describe, expect, it } from 'vitest';
import { CappedOutput, truncationMarker } from './output.ts';

describe('CappedOutput', () => {
  it('keeps everything under the cap and forwards it', () => {
    const seen: string[] = [];
    let overflow = 0;
    const out = new CappedOutput(
      10,
      () => overflow++,
      (c) => seen.push(c.toString()),
    );
    out.push(Buffer.from('hello'));
    out.push(Buffer.from('world'));
    expect(out.result()).toEqual({ text: 'helloworld', bytes: 10, truncated: false });
    expect(seen.join('')).toBe('helloworld');
    expect(overflow).toBe(0);
  });

  it('stops keeping at the cap, marks the text and signals overflow exactly once', () => {
    let overflow = 0;
    const forwarded: string[] = [];
    const out = new CappedOutput(
      8,
      () => overflow++,
      (c) => forwarded.push(c.toString()),
    );
    out.push(Buffer.from('12345'));
    out.push(Buffer.from('67890'));
    out.push(Buffer.alloc(1_000_000, 'x'));
    const r = out.result();
    expect(r.text).toBe(`12345678${truncationMarker(8)}`);
    expect(r.bytes).toBe(1_000_010);
    expect(r.truncated).toBe(true);
    expect(overflow).toBe(1);
    expect(forwarded.join('')).toBe(`12345678${truncationMarker(8)}`);
  });
});
