/**
 * Live output of runs for subscribers (the browser's event stream). Bounded: output reaches the hub
 * coalesced (see coalesce.ts), the text kept per run for replay is capped (`maxBytes`; older output
 * events are dropped first, and a late subscriber is told so), and finished runs are forgotten after
 * a short while (their stored record serves late readers).
 *
 * Every event carries the stdout/stderr character offsets reached after it, so a reader resuming with
 * Last-Event-ID — from this hub or from the stored record once the hub has forgotten the run — gets
 * only what it has not seen.
 */
export type RunEvent = { seq: number; out: number; err: number } & (
  | { type: 'stdout' | 'stderr'; data: string }
  | { type: 'status'; data: { status: string } }
  | { type: 'queued'; data: { position: number } }
  | { type: 'notice'; data: { message: string } }
  | { type: 'exit'; data: { verdict: string; exitCode: number | null; durationMs: number } }
  /** The stream ends without an exit (the server is shutting down); the run's record tells the outcome. */
  | { type: 'closed'; data: { reason: string } }
);

export type RunEventInput = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, 'seq' | 'out' | 'err'>
    : never
  : never;

type Listener = (e: RunEvent) => void;

interface Channel {
  events: RunEvent[];
  listeners: Set<Listener>;
  done: boolean;
  seq: number;
  out: number;
  err: number;
  /** Characters of output kept in `events`. */
  kept: number;
  maxBytes: number;
  /** Output events up to this seq were dropped to stay under maxBytes. */
  droppedThrough: number;
  droppedAt: { out: number; err: number };
}

/** Where a reader resumes: the last event it saw (SSE id `seq.out.err`, or just `seq`). */
export interface Resume {
  seq: number;
  out?: number;
  err?: number;
}

/** Parses an SSE Last-Event-ID as this hub writes it; anything else means "from the start". */
export function parseEventId(id: string | undefined | null): Resume {
  const m = /^(\d{1,15})(?:\.(\d{1,15})\.(\d{1,15}))?$/.exec(id?.trim() ?? '');
  if (!m) return { seq: 0 };
  return m[2] === undefined
    ? { seq: Number(m[1]) }
    : { seq: Number(m[1]), out: Number(m[2]), err: Number(m[3]) };
}

export const eventId = (e: Pick<RunEvent, 'seq' | 'out' | 'err'>) => `${e.seq}.${e.out}.${e.err}`;

export class RunHub {
  private readonly channels = new Map<string, Channel>();
  /** Sees every event emitted (RunMirror: followers on other replicas). */
  mirror?: (runId: string, e: RunEvent) => void;

  constructor(
    private readonly keepFinishedMs = 60_000,
    /** Default cap on output characters kept per run for replay. */
    private readonly defaultMaxBytes = 4 * 1024 * 1024,
  ) {}

  open(runId: string, opts: { maxBytes?: number } = {}) {
    this.channels.set(runId, {
      events: [],
      listeners: new Set(),
      done: false,
      seq: 0,
      out: 0,
      err: 0,
      kept: 0,
      maxBytes: opts.maxBytes ?? this.defaultMaxBytes,
      droppedThrough: 0,
      droppedAt: { out: 0, err: 0 },
    });
  }

  emit(runId: string, e: RunEventInput) {
    const ch = this.channels.get(runId);
    if (!ch || ch.done) return;
    if (e.type === 'stdout') ch.out += e.data.length;
    if (e.type === 'stderr') ch.err += e.data.length;
    const event = { ...e, seq: ++ch.seq, out: ch.out, err: ch.err } as RunEvent;
    this.mirror?.(runId, event);
    ch.events.push(event);
    if (e.type === 'stdout' || e.type === 'stderr') {
      ch.kept += e.data.length;
      this.trim(ch);
    }
    for (const l of ch.listeners) l(event);
    if (event.type === 'exit') {
      ch.done = true;
      ch.listeners.clear();
      setTimeout(() => this.channels.delete(runId), this.keepFinishedMs).unref();
    }
  }

  /** Drops the oldest output events until the kept text fits the channel's cap. */
  private trim(ch: Channel) {
    if (ch.kept <= ch.maxBytes) return;
    const keep: RunEvent[] = [];
    for (const ev of ch.events) {
      if (ch.kept > ch.maxBytes && (ev.type === 'stdout' || ev.type === 'stderr')) {
        ch.kept -= ev.data.length;
        ch.droppedThrough = ev.seq;
        ch.droppedAt = { out: ev.out, err: ev.err };
      } else keep.push(ev);
    }
    ch.events = keep;
  }

  /** Ends every live stream with a `closed` event (shutdown); later readers get the stored record. */
  closeAll(reason: string): number {
    let ended = 0;
    for (const [runId, ch] of this.channels) {
      this.channels.delete(runId);
      if (ch.done) continue;
      ch.done = true;
      const event: RunEvent = { seq: ch.seq + 1, out: ch.out, err: ch.err, type: 'closed', data: { reason } };
      for (const l of ch.listeners) (l(event), ended++);
      ch.listeners.clear();
    }
    return ended;
  }

  /** Forgets a run that never started (its start was refused). */
  forget(runId: string) {
    this.channels.delete(runId);
  }

  /** Counts for tests and metrics: events and output characters kept for a run. */
  stats(runId: string): { events: number; keptChars: number } | undefined {
    const ch = this.channels.get(runId);
    return ch && { events: ch.events.length, keptChars: ch.kept };
  }

  /**
   * Replays events after `from`, then follows live ones. Returns undefined when the run is unknown
   * here (the caller replays the stored record instead).
   */
  subscribe(runId: string, from: Resume | number, listener: Listener): (() => void) | undefined {
    const ch = this.channels.get(runId);
    if (!ch) return undefined;
    const after = typeof from === 'number' ? from : from.seq;
    if (after < ch.droppedThrough) {
      listener({
        seq: ch.droppedThrough,
        ...ch.droppedAt,
        type: 'notice',
        data: {
          message: 'Earlier output of this run is no longer kept for live replay; see the run history.',
        },
      });
    }
    for (const e of ch.events) if (e.seq > after) listener(e);
    if (ch.done) return () => {};
    ch.listeners.add(listener);
    return () => ch.listeners.delete(listener);
  }
}
