/**
 * Bounded capture of a program's output. Keeps the server's memory bounded however much a program
 * prints: past the cap nothing more is kept, a visible marker is appended, and the caller is told
 * (once) so it can stop the program.
 */
import type { CapturedStream } from './types.ts';

export const truncationMarker = (limit: number) => `\n[worksample: output truncated after ${limit} bytes]\n`;

export class CappedOutput {
  // One buffer grown by doubling (up to the cap): a million 1-byte writes cost a few copies, not a
  // million Buffer objects.
  private buf = Buffer.alloc(0);
  private kept = 0;
  private seen = 0;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
    private readonly forward?: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer) {
    this.seen += chunk.length;
    if (this.overflowed) return;
    const room = this.limit - this.kept;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length) {
      if (this.kept + part.length > this.buf.length) {
        const grown = Buffer.alloc(Math.min(this.limit, Math.max(4096, 2 * (this.kept + part.length))));
        this.buf.copy(grown, 0, 0, this.kept);
        this.buf = grown;
      }
      part.copy(this.buf, this.kept);
      this.kept += part.length;
      this.forward?.(part);
    }
    if (chunk.length > room) {
      this.overflowed = true;
      this.forward?.(Buffer.from(truncationMarker(this.limit)));
      this.onOverflow();
    }
  }

  get truncated() {
    return this.overflowed;
  }

  result(): CapturedStream {
    const text = this.buf.subarray(0, this.kept).toString('utf8');
    return {
      text: this.overflowed ? text + truncationMarker(this.limit) : text,
      bytes: this.seen,
      truncated: this.overflowed,
    };
  }
}
