/**
 * Edit logs: the editor's content changes between two saves of a file, so a reviewer's replay shows
 * the typing, not only the saved revisions. One edit is `[t, offset, removed, text]`: `t` ms since the
 * batch's first change, `offset` and `removed` in UTF-16 code units (Monaco's rangeOffset and
 * rangeLength), `text` inserted there; edits apply in order, each to the text the previous ones left.
 *
 * Stops: a candidate fabricating typing. Every byte of a log comes from the candidate, so a log is
 * kept only if replaying it on the revision it claims to start from rebuilds, byte for byte, the
 * revision it claims to end at (`replayEdits`); the work that costs is bounded (gap buffer, at most
 * MAX_GAP_MOVES code units moved), and a batch's size is capped by the strict schema.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { readVarint, writeVarint } from './delta.ts';

/** Edits in one batch (between two saves of a file); the browser drops a bigger batch whole. */
export const MAX_EDITS = 2000;
/** Characters a batch may insert in all (a few large pastes still fit). */
export const MAX_INSERTED = 256 * 1024;
/** Code units the gap buffer may move while replaying one batch: typing moves few; far jumps many. */
const MAX_GAP_MOVES = 64 * 1024 * 1024;
const DAY = 86_400_000;

const hex = z.string().regex(/^[0-9a-f]{64}$/);
const count = (max: number) => z.number().int().min(0).max(max);

export const editSchema = z.tuple([count(DAY), count(2 ** 31), count(2 ** 31), z.string().max(MAX_INSERTED)]);
export type Edit = z.infer<typeof editSchema>;

export const editLogSchema = z
  .strictObject({
    path: z.string().max(1024),
    /** The saved revision (sha256 of its bytes) the edits start from. */
    baseSha256: hex,
    /** The saved revision they lead to. */
    sha256: hex,
    edits: z.array(editSchema).min(1).max(MAX_EDITS),
    /** Changes the browser could not keep (over its caps) since the last log it sent. */
    dropped: count(1_000_000).default(0),
  })
  .superRefine((log, ctx) => {
    let inserted = 0;
    for (let i = 0; i < log.edits.length; i++) {
      const [t, , , text] = log.edits[i]!;
      inserted += text.length;
      if (i > 0 && t < log.edits[i - 1]![0])
        ctx.addIssue({ code: 'custom', path: ['edits', i, 0], message: 'times must not go back' });
    }
    if (inserted > MAX_INSERTED)
      ctx.addIssue({
        code: 'custom',
        path: ['edits'],
        message: `inserts more than ${MAX_INSERTED} characters`,
      });
  });
export type EditLog = z.infer<typeof editLogSchema>;

/** A text with a movable gap: edits near each other (typing) cost what they insert, not the file's size. */
class GapBuffer {
  private buf: Uint16Array;
  private start: number;
  private end: number;
  moved = 0;

  constructor(text: string) {
    this.buf = new Uint16Array(text.length + 1024);
    for (let i = 0; i < text.length; i++) this.buf[i] = text.charCodeAt(i);
    this.start = text.length;
    this.end = this.buf.length;
  }

  get length() {
    return this.buf.length - (this.end - this.start);
  }

  private moveTo(pos: number) {
    if (pos < this.start) {
      const n = this.start - pos;
      this.buf.copyWithin(this.end - n, pos, this.start);
      this.start -= n;
      this.end -= n;
      this.moved += n;
    } else if (pos > this.start) {
      const n = pos - this.start;
      this.buf.copyWithin(this.start, this.end, this.end + n);
      this.start += n;
      this.end += n;
      this.moved += n;
    }
  }

  splice(offset: number, removed: number, text: string) {
    this.moveTo(offset);
    this.end += removed;
    if (this.end - this.start < text.length) {
      const tail = this.buf.length - this.end;
      const next = new Uint16Array(Math.max(this.buf.length * 2, this.length + text.length + 1024));
      next.set(this.buf.subarray(0, this.start));
      next.set(this.buf.subarray(this.end), next.length - tail);
      this.end = next.length - tail;
      this.buf = next;
    }
    for (let i = 0; i < text.length; i++) this.buf[this.start++] = text.charCodeAt(i);
  }

  toString() {
    const d = new TextDecoder('utf-16le');
    const part = (a: Uint16Array) => d.decode(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return part(this.buf.subarray(0, this.start)) + part(this.buf.subarray(this.end));
  }
}

/**
 * The text after applying `edits` to `base`, or why they do not apply (an edit outside the text, or
 * more work than a real editing session needs).
 */
export function replayEdits(base: string, edits: readonly Edit[]): { text: string } | { problem: string } {
  const g = new GapBuffer(base);
  for (let i = 0; i < edits.length; i++) {
    const [, offset, removed, text] = edits[i]!;
    if (offset + removed > g.length) return { problem: `edit ${i} is outside the text` };
    g.splice(offset, removed, text);
    if (g.moved > MAX_GAP_MOVES) return { problem: 'the edits jump around more than typing does' };
  }
  return { text: g.toString() };
}

/** A batch as stored: varints (time delta, offset, removed, text bytes) and the UTF-8 text, deflated. */
export function encodeEdits(edits: readonly Edit[]): Buffer {
  const parts: Buffer[] = [];
  let prev = 0;
  for (const [t, offset, removed, text] of edits) {
    const head: number[] = [];
    const bytes = Buffer.from(text, 'utf8');
    writeVarint(head, t - prev);
    writeVarint(head, offset);
    writeVarint(head, removed);
    writeVarint(head, bytes.byteLength);
    parts.push(Buffer.from(head), bytes);
    prev = t;
  }
  return deflateRawSync(Buffer.concat(parts));
}

export function decodeEdits(data: Buffer): Edit[] {
  const raw = inflateRawSync(data);
  const edits: Edit[] = [];
  let at = 0;
  let t = 0;
  while (at < raw.byteLength) {
    let dt: number, offset: number, removed: number, len: number;
    [dt, at] = readVarint(raw, at);
    [offset, at] = readVarint(raw, at);
    [removed, at] = readVarint(raw, at);
    [len, at] = readVarint(raw, at);
    t += dt;
    edits.push([t, offset, removed, raw.subarray(at, at + len).toString('utf8')]);
    at += len;
  }
  return edits;
}
