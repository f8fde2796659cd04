/**
 * Bounded capture of a program's output. Keeps the server's memory bounded however much a program
 * prints: past the cap nothing more is kept, a visible marker is appended, and the caller is told
 * (once) so it can stop the program.
 */
import type { CapturedStream } from './types.ts';

export const truncationMarker = (limit: number) => `\n[worksample: output truncated after ${limit} bytes]\n`;

export class CappedOutput {
  private chunks: Buffer[] = [];
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
      this.chunks.push(Buffer.from(part));
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
    const text = Buffer.concat(this.chunks).toString('utf8');
    return {
      text: this.overflowed ? text + truncationMarker(this.limit) : text,
      bytes: this.seen,
      truncated: this.overflowed,
    };
  }
}
