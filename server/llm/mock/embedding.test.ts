import { describe, expect, it } from 'vitest';
import { mockEmbedding } from './index.ts';

const norm = (v: number[]) => Math.hypot(...v);
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('mockEmbedding', () => {
  it('is deterministic and unit length, 64 dimensions by default', () => {
    const v = mockEmbedding('The cat sat on the mat.');
    expect(v).toHaveLength(64);
    expect(mockEmbedding('The cat sat on the mat.')).toEqual(v);
    expect(norm(v)).toBeCloseTo(1, 10);
    expect(norm(mockEmbedding(''))).toBeCloseTo(1, 10);
    expect(mockEmbedding('x', 8)).toHaveLength(8);
  });

  it('differs for different text, and is closer for texts that share words', () => {
    const base = mockEmbedding('refund policy for damaged items');
    expect(mockEmbedding('Refund policy for damaged items')).not.toEqual(base);
    expect(mockEmbedding('items damaged for policy refund')).not.toEqual(base);
    const near = cosine(base, mockEmbedding('what is the refund policy for damaged items?'));
    const far = cosine(base, mockEmbedding('shipping times to norway'));
    expect(near).toBeGreaterThan(far);
  });

  it('rejects a dimension count outside 1–4096', () => {
    expect(() => mockEmbedding('x', 0)).toThrow(RangeError);
    expect(() => mockEmbedding('x', 1.5)).toThrow(RangeError);
  });
});
