/**
 * The sandbox job queue: a cap on concurrent jobs (runs, gradings), the rest waiting in a bounded,
 * fair line. Stops one attempt — or many runs of one attempt — from filling every slot and starving
 * other candidates: waiting jobs are served round robin across owners (attempts), each owner may have
 * only `maxQueuedPerOwner` runs waiting, and past `maxQueued` waiting runs new ones are refused with
 * 429 and a Retry-After. Grading jobs are never refused and wait their turn.
 *
 * A job that finds no resources (ResourceShortage: no free sandbox subnet, a busy engine) gives its
 * slot back and waits at the head of the line, with its place reported, until a backoff has passed;
 * then it runs again. A shortage never fails a job.
 */
import { AppError } from '../errors/index.ts';
import type { Logger } from '../logger/index.ts';
import { isResourceShortage } from './types.ts';

export interface SlotOptions {
  /** Whose job this is (the attempt id); waiting jobs are served round robin across owners. */
  owner?: string;
  /** 'grade' jobs are never refused for a full queue (they still wait their turn). Default 'run'. */
  kind?: 'run' | 'grade';
  /** Told the job's place in line (1 = next to start) whenever it changes, and 0 once it starts. */
  onPosition?: (position: number) => void;
}

/** A place in line, claimed synchronously (so a full queue is refused before anything else happens). */
export interface SlotTicket {
  /**
   * Runs fn once a slot is free; the slot is freed when fn settles. fn runs again (after a backoff,
   * from the head of the line) when it throws ResourceShortage, so it must throw that before doing
   * anything it would not repeat.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Gives up the place (or the slot, if granted and not yet used). */
  cancel(): void;
}

export interface QueueOptions {
  /** Jobs that may execute at once. */
  maxConcurrent: number;
  /** Runs that may wait in all (grading is not counted); default 8 × maxConcurrent. */
  maxQueued?: number;
  /** Runs one owner may have waiting; default 1. */
  maxQueuedPerOwner?: number;
  /** One run's wall clock, for the Retry-After estimate. */
  wallMs: number;
  /** Wait before the first retry after a shortage, doubling up to maxMs (default 500 ms → 10 s). */
  backoff?: { firstMs: number; maxMs: number };
  logger: Logger;
}

interface Waiter {
  owner: string;
  kind: 'run' | 'grade';
  grant: () => void;
  onPosition?: (position: number) => void;
  position: number;
  /** Not to be started before this time (ms, Date.now): backing off after a shortage. */
  notBefore: number;
}

export class JobQueue {
  private running = 0;
  /** owner → its waiting jobs (oldest first); `turns` is the order owners are served in. */
  private readonly waiting = new Map<string, Waiter[]>();
  private turns: string[] = [];
  private jobs = 0;
  private wake?: { timer: NodeJS.Timeout; at: number };
  private closed = false;

  constructor(private readonly opts: QueueOptions) {}

  /**
   * Claims a place in line now. Throws AppError('rate_limited', …, { retryAfterSeconds }) when the
   * owner already has maxQueuedPerOwner runs waiting or the queue holds maxQueued runs.
   */
  claim(opts: SlotOptions = {}): SlotTicket {
    // A job without an owner is its own owner: it keeps its place among the turns.
    const owner = opts.owner ?? `job-${++this.jobs}`;
    const kind = opts.kind ?? 'run';
    let state: 'waiting' | 'granted' | 'running' | 'done' = 'waiting';
    let wakeUp!: () => void;
    let ready!: Promise<void>;
    const arm = () => (ready = new Promise<void>((resolve) => (wakeUp = resolve)));
    arm();
    let current: Waiter | undefined;
    let abandoned = false;
    const grant = () => {
      state = 'granted';
      current = undefined;
      this.running++;
      opts.onPosition?.(0);
      wakeUp();
    };
    const free = () => {
      this.running--;
      this.next();
    };
    const enqueue = (front: boolean, notBefore: number) => {
      const w: Waiter = { owner, kind, grant, onPosition: opts.onPosition, position: 0, notBefore };
      current = w;
      const list = this.waiting.get(owner);
      if (list) front ? list.unshift(w) : list.push(w);
      else this.waiting.set(owner, [w]);
      if (front) this.turns = [owner, ...this.turns.filter((o) => o !== owner)];
      else if (!list) this.turns.push(owner);
      this.next(); // starts it at once if a slot is free and only backing-off jobs are ahead
    };
    if (this.running < this.opts.maxConcurrent && this.turns.length === 0) grant();
    else {
      if (kind === 'run') this.refuseIfFull(owner);
      enqueue(false, 0);
    }
    const cancelWaiter = () => {
      const list = this.waiting.get(owner);
      const i = list?.findIndex((w) => w === current) ?? -1;
      current = undefined;
      if (!list || i < 0) return;
      list.splice(i, 1);
      if (!list.length) {
        this.waiting.delete(owner);
        this.turns = this.turns.filter((o) => o !== owner);
      }
      this.reposition();
    };
    return {
      run: async <T>(fn: () => Promise<T>): Promise<T> => {
        for (let shortages = 0; ; shortages++) {
          await ready;
          if (state !== 'granted') throw new Error('this place in line was given up');
          state = 'running';
          let outcome: { value: T } | { err: unknown };
          try {
            outcome = { value: await fn() };
          } catch (err) {
            outcome = { err };
          }
          free(); // the slot goes back whatever happened
          if ('value' in outcome) {
            state = 'done';
            return outcome.value;
          }
          const { err } = outcome;
          if (!isResourceShortage(err) || this.closed || abandoned) {
            state = 'done';
            throw err;
          }
          // No resources now: back to the head of the line, and try again after the backoff.
          const waitMs = this.backoff(shortages);
          this.opts.logger.warn(
            { owner, kind, reason: err.message, resource: err.resource, retryInMs: waitMs },
            'sandbox job waiting for resources',
          );
          state = 'waiting';
          arm();
          enqueue(true, Date.now() + waitMs);
        }
      },
      cancel: () => {
        if (state === 'waiting') {
          state = 'done';
          cancelWaiter();
          wakeUp(); // wakes run(), which then refuses
        } else if (state === 'granted') {
          state = 'done';
          free();
        } else if (state === 'running') abandoned = true; // not run again after a shortage
      },
    };
  }

  private backoff(shortages: number): number {
    const { firstMs, maxMs } = this.opts.backoff ?? { firstMs: 500, maxMs: 10_000 };
    const ms = Math.min(maxMs, firstMs * 2 ** shortages);
    return Math.round(ms * (0.75 + Math.random() * 0.5)); // jitter: waiting jobs do not retry in step
  }

  private refuseIfFull(owner: string) {
    const perOwner = this.opts.maxQueuedPerOwner ?? 1;
    const max = this.opts.maxQueued ?? 8 * this.opts.maxConcurrent;
    const mine = (this.waiting.get(owner) ?? []).filter((w) => w.kind === 'run').length;
    let all = 0;
    for (const list of this.waiting.values()) for (const w of list) if (w.kind === 'run') all++;
    // A rough wait: one run's wall clock per round of the queue.
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil(((all / this.opts.maxConcurrent + 1) * this.opts.wallMs) / 1000),
    );
    if (mine >= perOwner)
      throw new AppError(
        'rate_limited',
        `you already have ${mine === 1 ? 'a run' : `${mine} runs`} waiting for a sandbox; wait for it to start`,
        { retryAfterSeconds },
      );
    if (all >= max)
      throw new AppError(
        'rate_limited',
        `all sandboxes are busy and ${all} runs are waiting; try again in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
  }

  /**
   * Starts waiting jobs while slots are free: the first owner in turn whose next job is not backing
   * off, who then goes to the back of the line. Wakes itself when a backoff ends.
   */
  private next() {
    const now = Date.now();
    let soonest = Infinity;
    let i = 0;
    while (this.running < this.opts.maxConcurrent && i < this.turns.length) {
      const owner = this.turns[i]!;
      const list = this.waiting.get(owner)!;
      const w = list[0]!;
      if (w.notBefore > now) {
        soonest = Math.min(soonest, w.notBefore);
        i++;
        continue;
      }
      this.turns.splice(i, 1);
      list.shift();
      if (list.length) this.turns.push(owner);
      else this.waiting.delete(owner);
      w.grant();
    }
    if (soonest < Infinity && !this.closed && (!this.wake || this.wake.at > soonest)) {
      if (this.wake) clearTimeout(this.wake.timer);
      const timer = setTimeout(
        () => {
          this.wake = undefined;
          this.next();
        },
        Math.max(1, soonest - now),
      );
      timer.unref?.();
      this.wake = { timer, at: soonest };
    }
    this.reposition();
  }

  /** Recomputes every waiting job's place (round robin order) and tells those whose place changed. */
  private reposition() {
    let position = 0;
    for (let round = 0; ; round++) {
      let any = false;
      for (const owner of this.turns) {
        const w = this.waiting.get(owner)?.[round];
        if (!w) continue;
        any = true;
        position++;
        if (w.position !== position) {
          w.position = position;
          w.onPosition?.(position);
        }
      }
      if (!any) break;
    }
  }

  /** Jobs waiting for a slot (all owners), including those backing off after a shortage. */
  get queued(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  /** Stops retrying: jobs backing off run now, and one that finds no resources from now on fails. */
  close(): void {
    this.closed = true;
    if (this.wake) clearTimeout(this.wake.timer);
    this.wake = undefined;
    for (const list of this.waiting.values()) for (const w of list) w.notBefore = 0;
    this.next();
  }
}
