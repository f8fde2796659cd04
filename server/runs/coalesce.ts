/**
 * Output coalescing between a sandbox and the live hub. Stops memory amplification: a program writing
 * single bytes (alternating stdout and stderr) would otherwise make one hub event — a string, an
 * object kept for replay, an SSE frame — per byte. Output after a quiet spell of `flushMs` goes out at
 * once (the candidate sees a program's first line without delay); output that follows within
 * `flushMs` is joined per stream and flushed at most every `flushMs` or once `maxBytes` are pending; pending streams are flushed in the
 * order their output began, so stdout/stderr interleaving is kept at that granularity. Multi-byte
 * characters split across chunks are decoded whole, so the flushed text joins to the stored record.
 */
import { StringDecoder } from 'node:string_decoder';

export type OutputStream = 'stdout' | 'stderr';

export interface CoalesceOptions {
  /** Longest time output waits before it is flushed, ms. */
  flushMs?: number;
  /** Pending bytes (per stream) that trigger an immediate flush. */
  maxBytes?: number;
  /** Milliseconds clock (injected in tests). */
  now?: () => number;
}

interface Pending {
  decoder: StringDecoder;
  parts: string[];
  bytes: number;
  /** Order in which this stream's pending output began (lower first). */
  since: number;
}

export class OutputCoalescer {
  private readonly flushMs: number;
  private readonly maxBytes: number;
  private readonly pending: Record<OutputStream, Pending>;
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private closed = false;
  private lastFlush = -Infinity;
  private readonly now: () => number;

  constructor(
    private readonly emit: (stream: OutputStream, text: string) => void,
    opts: CoalesceOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 40;
    this.maxBytes = opts.maxBytes ?? 16 * 1024;
    this.now = opts.now ?? (() => performance.now());
    const fresh = (): Pending => ({ decoder: new StringDecoder('utf8'), parts: [], bytes: 0, since: 0 });
    this.pending = { stdout: fresh(), stderr: fresh() };
  }

  push(stream: OutputStream, chunk: Buffer): void {
    if (this.closed || !chunk.length) return;
    const p = this.pending[stream];
    const text = p.decoder.write(chunk);
    if (!p.bytes) p.since = ++this.tick;
    p.bytes += chunk.length;
    if (text) p.parts.push(text);
    const quietFor = this.now() - this.lastFlush;
    if (p.bytes >= this.maxBytes || (!this.timer && quietFor >= this.flushMs)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.flushMs - quietFor));
  }

  /** Emits everything pending now (both streams, in the order their output began). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlush = this.now();
    const order = (['stdout', 'stderr'] as const)
      .filter((s) => this.pending[s].bytes > 0)
      .sort((a, b) => this.pending[a].since - this.pending[b].since);
    for (const s of order) {
      const p = this.pending[s];
      const text = p.parts.join('');
      p.parts = [];
      p.bytes = 0;
      if (text) this.emit(s, text);
    }
  }

  /** Flushes what is left, including an incomplete trailing character; later pushes are ignored. */
  close(): void {
    if (this.closed) return;
    for (const s of ['stdout', 'stderr'] as const) {
      const rest = this.pending[s].decoder.end();
      if (rest) {
        if (!this.pending[s].bytes) this.pending[s].since = ++this.tick;
        this.pending[s].parts.push(rest);
        this.pending[s].bytes += rest.length;
      }
    }
    this.flush();
    this.closed = true;
  }
}
