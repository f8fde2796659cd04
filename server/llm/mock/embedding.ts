/**
 * Deterministic embeddings for /v1/embeddings. Feature hashing: every lowercased word
 * (weight 1), every pair of adjacent words (0.5) and the exact text (0.25) adds ±weight
 * to one slot chosen by a hash. Texts that share words therefore point in similar
 * directions, so retrieval tasks behave plausibly; any other difference (order, case,
 * punctuation) still changes the vector. The result has unit length.
 */
import { fnv1a } from './hash.ts';

export const DEFAULT_EMBEDDING_DIMENSIONS = 64;

/** A unit-length vector of `dimensions` numbers (1–4096) that depends only on `text`. */
export function mockEmbedding(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) {
    throw new RangeError(`dimensions must be a whole number from 1 to 4096, got ${dimensions}`);
  }
  const vec = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    vec[h % dimensions]! += (fnv1a(feature, h) & 1 ? 1 : -1) * weight;
  };
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  words.forEach((w, i) => {
    add(`w:${w}`, 1);
    if (i > 0) add(`b:${words[i - 1]} ${w}`, 0.5);
  });
  add(`t:${text}`, 0.25);
  let norm = Math.hypot(...vec);
  // Features can cancel out exactly; fall back to one slot so the vector stays unit length.
  if (norm === 0) {
    vec[fnv1a(`t:${text}`) % dimensions] = 1;
    norm = 1;
  }
  return vec.map((x) => x / norm);
}
