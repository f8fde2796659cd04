/** Deterministic hashing for `rate` draws and embeddings. */
import { createHash } from 'node:crypto';

/** A uniform number in [0, 1) determined by the key's parts. */
export function uniform(...parts: Array<string | number>): number {
  const digest = createHash('sha256').update(parts.map(String).join('\u0000')).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** 32-bit FNV-1a; fast and good enough for spreading features over vector slots. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
