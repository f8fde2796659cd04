/**
 * How a revision's bytes are stored. An autosave changes a few characters of a file, so a revision is
 * usually a splice against the revision before it (keep `prefix` bytes, drop everything up to the
 * last `suffix` bytes, put `inserted` in between); every SNAPSHOT_EVERY revisions in a chain, or when
 * a splice would not be much smaller, the whole content is stored deflated instead. Rebuilding any
 * revision applies at most SNAPSHOT_EVERY splices to a snapshot; the sha256 of the result is checked.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export type Encoding = 'full' | 'full-deflate' | 'splice' | 'splice-deflate';

/** Longest chain of splices before the next full snapshot. */
export const SNAPSHOT_EVERY = 64;
/** Below this, deflate's overhead outweighs what it saves. */
const DEFLATE_FROM = 256;

export interface Stored {
  encoding: Encoding;
  data: Buffer;
}

function deflateIfSmaller(raw: Buffer, plain: Encoding, packed: Encoding): Stored {
  if (raw.byteLength < DEFLATE_FROM) return { encoding: plain, data: raw };
  const z = deflateRawSync(raw);
  return z.byteLength < raw.byteLength ? { encoding: packed, data: z } : { encoding: plain, data: raw };
}

/** The whole content, deflated when that is smaller. */
export function snapshot(content: Buffer): Stored {
  return deflateIfSmaller(content, 'full', 'full-deflate');
}

export function writeVarint(out: number[], n: number) {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

export function readVarint(buf: Buffer, at: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (;;) {
    if (at >= buf.byteLength) throw new Error('truncated splice');
    const b = buf[at++]!;
    n += (b & 0x7f) * mul;
    if (b < 0x80) return [n, at];
    mul *= 128;
  }
}

/** The splice that turns `base` into `next`: common prefix and suffix kept, the middle replaced. */
export function splice(base: Buffer, next: Buffer): Stored {
  const max = Math.min(base.byteLength, next.byteLength);
  let prefix = 0;
  while (prefix < max && base[prefix] === next[prefix]) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && base[base.byteLength - 1 - suffix] === next[next.byteLength - 1 - suffix])
    suffix++;
  const head: number[] = [];
  writeVarint(head, prefix);
  writeVarint(head, suffix);
  const raw = Buffer.concat([Buffer.from(head), next.subarray(prefix, next.byteLength - suffix)]);
  return deflateIfSmaller(raw, 'splice', 'splice-deflate');
}

/** The content a stored revision stands for; `base` is the rebuilt previous revision (splices only). */
export function apply(stored: Stored, base: Buffer | undefined): Buffer {
  const { encoding, data } = stored;
  if (encoding === 'full') return data;
  if (encoding === 'full-deflate') return inflateRawSync(data);
  if (!base) throw new Error('a splice needs the revision it was made against');
  const raw = encoding === 'splice-deflate' ? inflateRawSync(data) : data;
  const [prefix, a] = readVarint(raw, 0);
  const [suffix, b] = readVarint(raw, a);
  if (prefix + suffix > base.byteLength) throw new Error('splice does not fit its base');
  return Buffer.concat([base.subarray(0, prefix), raw.subarray(b), base.subarray(base.byteLength - suffix)]);
}

/**
 * How to store `next`, given the current revision it replaces (if its bytes are at hand) and how
 * many splices that one already sits on.
 */
export function encodeRevision(
  next: Buffer,
  base?: { content: Buffer; depth: number },
): Stored & { depth: number } {
  if (!base || base.depth + 1 >= SNAPSHOT_EVERY) return { ...snapshot(next), depth: 0 };
  const d = splice(base.content, next);
  // A rewrite of most of the file: a snapshot costs about the same and starts a fresh chain.
  if (d.data.byteLength * 2 > next.byteLength && next.byteLength > DEFLATE_FROM) {
    const s = snapshot(next);
    if (s.data.byteLength <= d.data.byteLength * 1.25) return { ...s, depth: 0 };
  }
  return { ...d, depth: base.depth + 1 };
}
