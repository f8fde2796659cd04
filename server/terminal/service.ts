/**
 * The Terminal: one shell per attempt in the attempt's sandbox session (same container, uid, limits
 * and network as Run), attached to at most one browser connection at a time.
 *
 * - **Reconnect**: a connection that goes away (reload, network blip) leaves the shell running for
 *   `detachedMs`; the next connection reattaches to the same shell and gets the last `scrollbackBytes`
 *   of output. A second tab takes the shell over; the first is told so. Once the shell has ended (it
 *   exited, a Run's cleanup ended it, the idle sandbox was recycled) the next connection starts a fresh
 *   shell in the same container — files in /workspace persist.
 * - **Capacity**: an idle shell holds no concurrency slot. A keystroke makes it busy: it claims a slot
 *   in the sandbox queue like a Run (round robin, its place shown; input waits meanwhile) and keeps it
 *   until nothing was typed and nothing printed for `busyMs`. Output is paced to
 *   `outputBytesPerSecond` (the program blocks on a full terminal, as on a slow one). A live shell
 *   holds a lease on the session, so the idle reclaim never removes the container under it; a shell
 *   with no browser ends after `detachedMs`, and then the session is reclaimable as usual.
 * - **End**: at submit and at deadline + grace the shell is killed and the connection closed with the
 *   reason; the task's `terminal: false` or a driver without shells (local fallback) refuse to open one.
 * - **Record**: input and output go to the timeline, bounded (recorder.ts).
 */
import { StringDecoder } from 'node:string_decoder';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { attemptWithManifest, recordEvent } from '../attempts/index.ts';
import { terminalEnabled } from '../tasks/index.ts';
import {
  isResourceShortage,
  type RunningShell,
  type SandboxManager,
  type SandboxSession,
  type SlotTicket,
} from '../sandbox/index.ts';
import { networkFor, type RunService } from '../runs/index.ts';
import { defaultRecordLimits, TerminalRecorder, type RecordLimits } from './recorder.ts';

/** Messages the server sends on the socket (JSON text frames). */
export type ServerMessage =
  | { t: 'ready'; resumed: boolean }
  | { t: 'out'; d: string }
  | { t: 'queued'; position: number }
  | { t: 'ended'; reason: string; final: boolean };

/** Close codes: the attempt is over (do not reconnect); the shell ended (a key starts another); taken over. */
export const CLOSE_FINAL = 4000;
export const CLOSE_ENDED = 4001;
export const CLOSE_TAKEN_OVER = 4002;

export interface TerminalClient {
  send(msg: ServerMessage): void;
  close(code: number, reason: string): void;
  /** Bytes queued on the connection and not yet sent. */
  buffered(): number;
}

export interface Attachment {
  input(data: string): void;
  resize(cols: number, rows: number): void;
  /** The connection went away. */
  detach(): void;
}

export interface TerminalOptions {
  /** A shell with no input and no output for this long gives its slot back (ms). */
  busyMs: number;
  /** A shell with no connection for this long is ended (ms). */
  detachedMs: number;
  outputBytesPerSecond: number;
  /** Output kept for a reconnecting browser. */
  scrollbackBytes: number;
  /** Input held while the shell waits for a slot; past it keystrokes are dropped. */
  pendingInputBytes: number;
  record: RecordLimits;
  /** How often gathered input/output is written to the timeline (ms). */
  flushMs: number;
}

export const defaultTerminalOptions: TerminalOptions = {
  busyMs: 10_000,
  detachedMs: 5 * 60_000,
  outputBytesPerSecond: 256 * 1024,
  scrollbackBytes: 64 * 1024,
  pendingInputBytes: 64 * 1024,
  record: defaultRecordLimits,
  flushMs: 1000,
};

/** Why the attempt's shell is ending, in the words the candidate reads. */
export const REASONS = {
  submitted: 'The attempt was submitted: the terminal is closed.',
  deadline: 'Time is up: the terminal is closed.',
  detached: 'The terminal was closed after a while with no browser attached.',
  shutdown: 'The server is restarting: the terminal is closed. Reload the page in a moment.',
};

const NO_DOCKER =
  'The terminal needs the Docker sandbox. This server runs code with the local fallback driver, where a terminal would be a shell on the server itself, so it is turned off; Run and Run tests still work.';

interface Shell {
  attemptId: string;
  image: string;
  network: 'none' | 'gateway';
  client?: TerminalClient;
  running?: RunningShell;
  ended: boolean;
  scrollback: string;
  decoder: StringDecoder;
  recorder: TerminalRecorder;
  /** Input is written in order, after any sync or wait for a slot before it. */
  chain: Promise<void>;
  pendingBytes: number;
  lastActive: number;
  slot?: { ticket: SlotTicket; granted: Promise<void>; held: boolean };
  paced: { windowStart: number; bytes: number; paused: boolean };
  timers: Set<NodeJS.Timeout>;
  /** Gives back the shell's lease on the session. */
  release?: () => void;
  /** Resolves the wait of a busy shell's slot (it ends early when the shell ends). */
  quiet?: () => void;
  /** Set while no connection is attached: ends the shell when it fires. */
  detachTimer?: NodeJS.Timeout;
}

export class TerminalService {
  private readonly shells = new Map<string, Shell>();
  private readonly opening = new Map<string, Promise<Shell>>();
  /** Bytes recorded per attempt (read from the timeline when its first shell opens here). */
  private readonly recorded = new Map<string, { bytes: number }>();
  private readonly opts: TerminalOptions;
  private flushTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly manager: SandboxManager,
    private readonly runs: RunService,
    opts: Partial<TerminalOptions> = {},
  ) {
    this.opts = { ...defaultTerminalOptions, ...opts };
  }

  /** Shells open now (attached or not), for tests and metrics. */
  get open(): number {
    return this.shells.size;
  }

  /**
   * Checks that the attempt may have a terminal at all (its task has one): 404 otherwise, so the
   * socket is never opened. Whether one can start now (Docker, sandbox ready) is told on the socket.
   */
  async check(attemptId: string): Promise<void> {
    const { manifest } = await attemptWithManifest(this.ctx, attemptId);
    if (!terminalEnabled(manifest)) throw new AppError('not_found', 'this task has no terminal');
  }

  /** Attaches a connection to the attempt's shell, starting one if there is none. */
  async attach(attemptId: string, client: TerminalClient, size: { cols: number; rows: number }) {
    if (this.closed) throw new AppError('unavailable', REASONS.shutdown);
    if (!this.manager.shells) throw new AppError('unavailable', NO_DOCKER);
    let sh = this.shells.get(attemptId);
    const resumed = !!sh && !sh.ended;
    if (!sh || sh.ended) sh = await this.openShell(attemptId, size);
    if (sh.client && sh.client !== client) {
      sh.client.send({
        t: 'ended',
        reason: 'The terminal was opened in another tab or window.',
        final: false,
      });
      sh.client.close(CLOSE_TAKEN_OVER, 'opened elsewhere');
    }
    sh.client = client;
    if (sh.detachTimer) this.clear(sh, sh.detachTimer);
    sh.detachTimer = undefined;
    client.send({ t: 'ready', resumed });
    // A fresh shell's first prompt came before anyone was attached; a resumed one's screen is replayed.
    if (sh.scrollback) client.send({ t: 'out', d: sh.scrollback });
    if (resumed) void sh.running?.resize(size.cols, size.rows);
    const shell = sh;
    return {
      input: (data: string) => this.input(shell, client, data),
      resize: (cols: number, rows: number) => {
        if (shell.client !== client || shell.ended) return;
        // In line with the keystrokes: what is typed after a resize runs at the new size.
        shell.chain = shell.chain.then(() => shell.running?.resize(cols, rows)).catch(() => {});
      },
      detach: () => this.detach(shell, client),
    } satisfies Attachment;
  }

  private openShell(attemptId: string, size: { cols: number; rows: number }): Promise<Shell> {
    // One shell per attempt: concurrent connections wait for the same opening.
    const busy = this.opening.get(attemptId);
    if (busy) return busy;
    const job = this.start(attemptId, size).finally(() => this.opening.delete(attemptId));
    this.opening.set(attemptId, job);
    return job;
  }

  private async start(attemptId: string, size: { cols: number; rows: number }): Promise<Shell> {
    const { attempt, manifest } = await attemptWithManifest(this.ctx, attemptId);
    if (!terminalEnabled(manifest) || !manifest.environment)
      throw new AppError('not_found', 'this task has no terminal');
    if (attempt.status !== 'started') throw new AppError('attempt_submitted', REASONS.submitted);
    const status = await this.manager.status();
    if (!status.ready)
      throw new AppError(
        'unavailable',
        `The terminal cannot start right now: ${status.detail ?? 'the sandbox is not ready'}`,
      );
    const total = this.recorded.get(attemptId) ?? { bytes: await this.recordedBytes(attemptId) };
    this.recorded.set(attemptId, total);
    const sh: Shell = {
      attemptId,
      image: manifest.environment.image,
      network: networkFor(manifest),
      ended: false,
      scrollback: '',
      decoder: new StringDecoder('utf8'),
      recorder: new TerminalRecorder(this.opts.record, () => this.ctx.clock.now(), total),
      chain: Promise.resolve(),
      pendingBytes: 0,
      lastActive: Date.now(),
      paced: { windowStart: Date.now(), bytes: 0, paused: false },
      timers: new Set(),
    };
    // The shell holds a lease on the session while it lives, so the idle reclaim does not take the
    // container (and files made only in the terminal) from under an open terminal.
    const lease = () =>
      new Promise<SandboxSession>((resolve, reject) => {
        this.manager
          .useAttempt(attemptId, sh.image, sh.network, async () => {
            resolve(await this.runs.syncedSession(attemptId, sh.image, sh.network));
            await new Promise<void>((release) => (sh.release = release));
          })
          .catch(reject);
      });
    // A session found lost on the way (its sandbox worker died) is replaced once, from the saved files.
    const session = await lease().catch((err: unknown) => {
      if (!isResourceShortage(err)) throw err;
      return lease();
    });
    try {
      sh.running = await this.manager.shell(session, { ...size, onData: (c) => this.output(sh, c) });
    } catch (err) {
      sh.release?.();
      throw err;
    }
    this.shells.set(attemptId, sh);
    void sh.running.ended.then(({ exitCode }) =>
      this.end(
        sh,
        exitCode === 0
          ? 'The shell exited. Press any key to start a new one.'
          : `The shell was stopped${exitCode === null ? '' : ` (status ${exitCode})`}: Run and Run tests end every process in the sandbox, the terminal's too. Press any key to start a new shell.`,
        false,
      ),
    );
    await recordEvent(this.ctx.db, {
      attemptId,
      at: this.ctx.clock.now(),
      type: 'terminal.opened',
      payload: {},
    });
    const left = attempt.deadline_at + this.ctx.config.submitGraceMs - this.ctx.clock.now();
    this.later(sh, Math.max(0, left), () => this.end(sh, REASONS.deadline, true));
    this.flushTimer ??= setInterval(() => void this.flush(), this.opts.flushMs);
    this.flushTimer.unref?.();
    return sh;
  }

  private async recordedBytes(attemptId: string): Promise<number> {
    const rows = await this.ctx.db
      .selectFrom('attempt_events')
      .select('payload_json')
      .where('attempt_id', '=', attemptId)
      .where('type', '=', 'terminal.io')
      .execute();
    return rows.reduce((n, r) => n + Buffer.byteLength(r.payload_json), 0);
  }

  private input(sh: Shell, client: TerminalClient, data: string) {
    if (sh.ended || sh.client !== client || !data) return;
    const bytes = Buffer.byteLength(data);
    if (sh.pendingBytes + bytes > this.opts.pendingInputBytes) return; // typing far ahead of a busy host
    sh.pendingBytes += bytes;
    sh.lastActive = Date.now();
    sh.recorder.push('in', data);
    const granted = this.busy(sh);
    // Enter runs a command: the files saved in the editor go to the sandbox first (only what changed).
    // (One query when nothing changed.)
    const sync = /[\r\n]/.test(data);
    sh.chain = sh.chain
      .then(async () => {
        await granted;
        if (sync && !sh.ended) {
          await this.runs
            .syncedSession(sh.attemptId, sh.image, sh.network)
            .catch((err: unknown) => this.ctx.logger.warn({ err }, 'terminal: syncing files failed'));
        }
        sh.pendingBytes -= bytes;
        if (!sh.ended) sh.running?.write(data);
      })
      .catch(() => {});
  }

  /** The slot this busy shell holds (claimed now if it holds none); resolves once it is granted. */
  private busy(sh: Shell): Promise<void> {
    if (sh.slot) return sh.slot.granted;
    let grant!: () => void;
    const granted = new Promise<void>((resolve) => (grant = resolve));
    const ticket = this.manager.claim({
      owner: `terminal:${sh.attemptId}`,
      // Never refused like a Run: a keystroke cannot answer 429. It waits its turn instead.
      kind: 'grade',
      onPosition: (position) => {
        if (position > 0 || sh.slot?.held === false) sh.client?.send({ t: 'queued', position });
      },
    });
    const slot = { ticket, granted, held: false };
    sh.slot = slot;
    ticket
      .run(async () => {
        slot.held = true;
        grant();
        await this.idle(sh);
      })
      .catch(() => grant())
      .finally(() => {
        if (sh.slot === slot) sh.slot = undefined;
      });
    return granted;
  }

  /** Resolves once the shell has had no input and no output for busyMs, or has ended. */
  private idle(sh: Shell): Promise<void> {
    return new Promise((resolve) => {
      sh.quiet = resolve;
      const check = () => {
        const quiet = Date.now() - sh.lastActive;
        if (sh.ended || quiet >= this.opts.busyMs) return resolve();
        this.later(sh, this.opts.busyMs - quiet, check);
      };
      check();
    });
  }

  private output(sh: Shell, chunk: Buffer) {
    const text = sh.decoder.write(chunk);
    sh.lastActive = Date.now();
    if (text) {
      sh.recorder.push('out', text);
      sh.scrollback = (sh.scrollback + text).slice(-this.opts.scrollbackBytes);
      sh.client?.send({ t: 'out', d: text });
    }
    this.pace(sh, chunk.length);
  }

  /** Holds output back past outputBytesPerSecond, or while the browser has not taken what was sent. */
  private pace(sh: Shell, bytes: number) {
    const p = sh.paced;
    const now = Date.now();
    if (now - p.windowStart >= 1000) {
      p.windowStart = now;
      p.bytes = 0;
    }
    p.bytes += bytes;
    const tooFast = p.bytes >= this.opts.outputBytesPerSecond;
    const backlog = (sh.client?.buffered() ?? 0) > this.opts.outputBytesPerSecond;
    if ((!tooFast && !backlog) || p.paused) return;
    p.paused = true;
    sh.running?.pause();
    const wait = tooFast ? 1000 - (now - p.windowStart) : 100;
    this.later(sh, Math.max(10, wait), () => {
      p.paused = false;
      if (!sh.ended) sh.running?.resume();
    });
  }

  private detach(sh: Shell, client: TerminalClient) {
    if (sh.client !== client) return;
    sh.client = undefined;
    sh.detachTimer = this.later(sh, this.opts.detachedMs, () => this.end(sh, REASONS.detached, false));
  }

  private later(sh: Shell, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(
      () => {
        sh.timers.delete(t);
        fn();
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    sh.timers.add(t);
    return t;
  }

  private clear(sh: Shell, t: NodeJS.Timeout) {
    clearTimeout(t);
    sh.timers.delete(t);
  }

  /** Ends a shell: tells its connection why, kills it, records the end. */
  private async end(sh: Shell, reason: string, final: boolean): Promise<void> {
    if (sh.ended) return;
    sh.ended = true;
    if (this.shells.get(sh.attemptId) === sh) this.shells.delete(sh.attemptId);
    for (const t of sh.timers) clearTimeout(t);
    sh.timers.clear();
    sh.slot?.ticket.cancel();
    sh.quiet?.();
    sh.release?.();
    sh.client?.send({ t: 'ended', reason, final });
    sh.client?.close(final ? CLOSE_FINAL : CLOSE_ENDED, final ? 'attempt over' : 'shell ended');
    sh.client = undefined;
    await sh.running?.kill().catch(() => {});
    await this.flushShell(sh);
    await recordEvent(this.ctx.db, {
      attemptId: sh.attemptId,
      at: this.ctx.clock.now(),
      type: 'terminal.ended',
      payload: { reason },
    }).catch((err: unknown) => this.ctx.logger.warn({ err }, 'terminal: recording the end failed'));
  }

  private async flushShell(sh: Shell) {
    const payload = sh.recorder.take();
    if (!payload) return;
    await recordEvent(this.ctx.db, {
      attemptId: sh.attemptId,
      at: this.ctx.clock.now(),
      type: 'terminal.io',
      payload,
    }).catch((err: unknown) => this.ctx.logger.warn({ err }, 'terminal: recording failed'));
  }

  /** Writes what every shell gathered to the timeline (every flushMs; tests call it directly). */
  async flush(): Promise<void> {
    await Promise.all([...this.shells.values()].map((sh) => this.flushShell(sh)));
  }

  /** Submit (by the candidate or the deadline sweep): the shell ends and the socket says why. */
  async attemptSubmitted(attemptId: string): Promise<void> {
    const opening = this.opening.get(attemptId);
    const sh = this.shells.get(attemptId);
    if (sh) await this.end(sh, REASONS.submitted, true);
    if (!opening) return;
    // A shell that was starting as the attempt was submitted may have brought a session back after
    // the runs gave it away: end it too, and give that session back.
    const late = await opening.catch(() => undefined);
    if (late) await this.end(late, REASONS.submitted, true);
    await this.manager.release(attemptId);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.shells.values()].map((sh) => this.end(sh, REASONS.shutdown, false)));
  }
}
