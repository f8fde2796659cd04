/**
 * What a terminal puts on the attempt's timeline, bounded: keystrokes and output are gathered and
 * written as one `terminal.io` event about every second, keeping at most `inPerMinute` bytes of input
 * and `outPerMinute` bytes of output per minute and `perAttempt` bytes over the whole attempt. What
 * does not fit is counted, not stored (`droppedIn` / `droppedOut` on the event: the replay shows a
 * marker), so `yes` in a terminal cannot fill the database.
 */
export interface RecordLimits {
  inPerMinute: number;
  outPerMinute: number;
  perAttempt: number;
}

export const defaultRecordLimits: RecordLimits = {
  inPerMinute: 8 * 1024,
  outPerMinute: 32 * 1024,
  perAttempt: 2 * 1024 * 1024,
};

export interface IoPayload {
  in?: string;
  out?: string;
  droppedIn?: number;
  droppedOut?: number;
}

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
function cutBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = Buffer.from(s).subarray(0, max).toString('utf8');
  if (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}

export class TerminalRecorder {
  private pending: Required<IoPayload> = { in: '', out: '', droppedIn: 0, droppedOut: 0 };
  private minute = -1;
  private used = { in: 0, out: 0 };

  constructor(
    private readonly limits: RecordLimits,
    private readonly now: () => number,
    /** Bytes this attempt's terminals have recorded so far (shared across its shells). */
    private readonly total: { bytes: number },
  ) {}

  push(kind: 'in' | 'out', text: string) {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.used = { in: 0, out: 0 };
    }
    const perMinute = kind === 'in' ? this.limits.inPerMinute : this.limits.outPerMinute;
    const room = Math.max(
      0,
      Math.min(perMinute - this.used[kind], this.limits.perAttempt - this.total.bytes),
    );
    const kept = cutBytes(text, room);
    const keptBytes = Buffer.byteLength(kept);
    this.used[kind] += keptBytes;
    this.total.bytes += keptBytes;
    this.pending[kind] += kept;
    const dropped = Buffer.byteLength(text) - keptBytes;
    if (kind === 'in') this.pending.droppedIn += dropped;
    else this.pending.droppedOut += dropped;
  }

  /** What was gathered since the last take, or undefined when nothing was. */
  take(): IoPayload | undefined {
    const p = this.pending;
    if (!p.in && !p.out && !p.droppedIn && !p.droppedOut) return undefined;
    this.pending = { in: '', out: '', droppedIn: 0, droppedOut: 0 };
    const out: IoPayload = {};
    if (p.in) out.in = p.in;
    if (p.out) out.out = p.out;
    if (p.droppedIn) out.droppedIn = p.droppedIn;
    if (p.droppedOut) out.droppedOut = p.droppedOut;
    return out;
  }
}
