/**
 * Live output of runs for subscribers (the browser's event stream). Bounded: a run's output is
 * already capped by the sandbox, and finished runs are forgotten after a short while (their stored
 * record serves late readers).
 */
export type RunEvent =
  | { seq: number; type: 'stdout' | 'stderr'; data: string }
  | { seq: number; type: 'status'; data: { status: string } }
  | { seq: number; type: 'exit'; data: { verdict: string; exitCode: number | null; durationMs: number } }
  /** The stream ends without an exit (the server is shutting down); the run's record tells the outcome. */
  | { seq: number; type: 'closed'; data: { reason: string } };

type Listener = (e: RunEvent) => void;

interface Channel {
  events: RunEvent[];
  listeners: Set<Listener>;
  done: boolean;
}

export class RunHub {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly keepFinishedMs = 60_000) {}

  open(runId: string) {
    this.channels.set(runId, { events: [], listeners: new Set(), done: false });
  }

  emit(runId: string, e: Omit<RunEvent, 'seq'>) {
    const ch = this.channels.get(runId);
    if (!ch || ch.done) return;
    const event = { ...e, seq: ch.events.length + 1 } as RunEvent;
    ch.events.push(event);
    for (const l of ch.listeners) l(event);
    if (event.type === 'exit') {
      ch.done = true;
      ch.listeners.clear();
      setTimeout(() => this.channels.delete(runId), this.keepFinishedMs).unref();
    }
  }

  /** Ends every live stream with a `closed` event (shutdown); later subscribers get the stored record. */
  closeAll(reason: string): number {
    let ended = 0;
    for (const [runId, ch] of this.channels) {
      this.channels.delete(runId);
      if (ch.done) continue;
      ch.done = true;
      const event: RunEvent = { seq: ch.events.length + 1, type: 'closed', data: { reason } };
      for (const l of ch.listeners) l(event), ended++;
      ch.listeners.clear();
    }
    return ended;
  }

  /** Replays events after `afterSeq`, then follows live ones. Returns undefined when the run is unknown here. */
  subscribe(runId: string, afterSeq: number, listener: Listener): (() => void) | undefined {
    const ch = this.channels.get(runId);
    if (!ch) return undefined;
    for (const e of ch.events) if (e.seq > afterSeq) listener(e);
    if (ch.done) return () => {};
    ch.listeners.add(listener);
    return () => ch.listeners.delete(listener);
  }
}
