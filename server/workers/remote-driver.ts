/**
 * `SANDBOX_DRIVER=workers`: the API server's sandbox driver when candidate code runs on `worksample
 * worker` processes (one per Docker host) instead of in this process. It needs no Docker socket: it
 * places each new session on the least loaded live worker (the `workers` table), then sends every verb
 * of that session to the worker holding it, over the worker's HTTP API with the shared token.
 *
 * A worker that stops answering is marked lost at once (and is skipped until it registers again): its
 * sessions are gone (`gone`), so the sandbox manager recreates an attempt's session on another worker
 * from the stored files, and a job that had not started its exec yet is sent back to the head of the
 * queue (`ResourceShortage`) instead of failing — the candidate sees the Run wait, then run.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, WorkersTable } from '../db/index.ts';
import type { Clock } from '../platform/index.ts';
import type { Logger } from '../logger/index.ts';
import {
  ResourceShortage,
  type ExecRequest,
  type ExecResult,
  type RunningExec,
  type RunningShell,
  type ShellRequest,
  type SandboxDriver,
  type SandboxFile,
  type SandboxSession,
  type SandboxStatus,
  type SessionSpec,
} from '../sandbox/index.ts';
import { OWNER_HEADER, type ExecFrame, type WireError } from './protocol.ts';
import { liveWorkers } from './registry.ts';

export interface RemoteDriverOptions {
  db: Kysely<DB>;
  clock: Clock;
  token: string;
  /** A worker without a heartbeat for this long is dead. */
  staleMs: number;
  /** This deployment's sandbox instance: the prefix of this process's name on the workers. */
  owner: string;
  logger: Logger;
}

interface RemoteSession extends SandboxSession {
  readonly worker: string;
  /** The worker's `started_at` when the session was made: a restarted worker holds none of them. */
  readonly incarnation: number;
  readonly remoteId: string;
}

class WorkerLost extends ResourceShortage {
  constructor(worker: string, cause?: unknown) {
    super('engine', `sandbox worker ${worker} stopped answering; moving to another worker`, { cause });
  }
}

/** How often this process tells every live worker it still lives (workers reap after 5 minutes). */
const TOUCH_MS = 60_000;
/** Longest a verb other than exec may take (a file sync of a full workspace included). */
const CALL_TIMEOUT_MS = 60_000;
/** An exec's or shell's stream silent this long (the worker sends keep-alives every 15 s): the worker is gone. */
const STREAM_SILENCE_MS = 45_000;

/** The worker does not hold the session (it restarted, or the session was removed). */
class SessionUnknown extends Error {}

export class RemoteDriver implements SandboxDriver {
  readonly name = 'docker' as const;
  /** The workers' own listeners serve the gateway on their sandbox networks, not this process. */
  readonly gatewayElsewhere = true;
  /** worker id → url and incarnation, as last read from the table. */
  private readonly known = new Map<string, { url: string; incarnation: number }>();
  /** worker id → the incarnation seen to stop answering. */
  private readonly lost = new Map<string, number>();
  /** Sessions this process made and has neither destroyed nor seen lost (its part of each worker's load). */
  private readonly mine = new Map<string, RemoteSession>();
  /** Sessions a worker said it does not hold (destroyed by another sweep, or the worker restarted). */
  private readonly goneSessions = new Set<string>();
  private statusCache: { at: number; value: Promise<SandboxStatus> } | undefined;

  /** This process's name on the workers: its sessions are its own, not another replica's. */
  private readonly owner: string;
  private readonly touch: NodeJS.Timeout;

  constructor(private readonly opts: RemoteDriverOptions) {
    this.owner = `${opts.owner}.${randomBytes(6).toString('hex')}`;
    // A worker removes the sessions of a process silent for 5 minutes: say every minute that we live.
    this.touch = setInterval(() => {
      void this.live()
        .then((ws) => Promise.all(ws.map((w) => this.call(w.id, 'GET', '/status').catch(() => {}))))
        .catch(() => {});
    }, TOUCH_MS);
    this.touch.unref();
  }

  /** Live workers, minus those this process saw die (until they register again). */
  private async live(): Promise<WorkersTable[]> {
    const rows = await liveWorkers(this.opts.db, this.opts.clock.now(), this.opts.staleMs);
    for (const w of rows) this.known.set(w.id, { url: w.url, incarnation: w.started_at });
    // Sessions of a worker incarnation that is gone (restarted, lost) hold nothing any more.
    for (const [id, m] of this.mine) if (this.gone(m)) this.mine.delete(id);
    return rows.filter((w) => this.lost.get(w.id) !== w.started_at);
  }

  status(): Promise<SandboxStatus> {
    const now = Date.now();
    if (!this.statusCache || now - this.statusCache.at > 1000)
      this.statusCache = { at: now, value: this.readStatus() };
    return this.statusCache.value;
  }

  private async readStatus(): Promise<SandboxStatus> {
    const workers = await this.live();
    const ready = workers.filter((w) => w.ready);
    if (!ready.length)
      return {
        driver: 'docker',
        ready: false,
        detail: workers.length
          ? `no sandbox worker is ready (${workers.map((w) => `${w.id}: ${w.detail ?? 'starting'}`).join('; ')})`
          : 'no sandbox worker is running: start `worksample worker` on a Docker host (same DATABASE_URL and WORKER_TOKEN)',
      };
    const gateway = ready.filter((w) => w.gateway_ready);
    return {
      driver: 'docker',
      ready: true,
      detail: `${ready.length} sandbox worker${ready.length === 1 ? '' : 's'}`,
      gatewayNetworks: gateway.length
        ? { ready: true }
        : { ready: false, detail: 'no sandbox worker can create LLM-gateway networks' },
    };
  }

  async createSession(spec: SessionSpec): Promise<SandboxSession> {
    // Least loaded first: the table's count (as of the worker's last heartbeat, up to 3 s old) or what
    // this process placed there itself, whichever is more; ties broken at random, so that replicas
    // and bursts spread.
    const placed = new Map<string, number>();
    for (const m of this.mine.values()) placed.set(m.worker, (placed.get(m.worker) ?? 0) + 1);
    const load = (w: WorkersTable) =>
      Math.max(w.sessions, placed.get(w.id) ?? 0) / Math.max(1, w.max_sessions);
    const workers = (await this.live())
      .filter((w) => w.ready && (spec.network !== 'gateway' || w.gateway_ready))
      .map((w) => ({ w, load: load(w), tie: Math.random() }))
      .filter((x) => x.load < 1)
      .sort((a, b) => a.load - b.load || a.tie - b.tie)
      .map((x) => x.w);
    let last: unknown;
    for (const w of workers) {
      try {
        const made = (await this.call(w.id, 'POST', '/sessions', { spec, owner: this.owner })) as {
          id: string;
          gatewayAddress?: string;
          workspacePath?: string;
        };
        const session: RemoteSession = {
          id: `${w.id}/${made.id}`,
          spec,
          gatewayAddress: made.gatewayAddress,
          workspacePath: made.workspacePath,
          worker: w.id,
          incarnation: w.started_at,
          remoteId: made.id,
        };
        this.mine.set(session.id, session);
        return session;
      } catch (err) {
        last = err;
        // Full, short of something, or gone: the next worker may have room.
        if (err instanceof ResourceShortage) continue;
        throw err;
      }
    }
    throw last instanceof ResourceShortage
      ? last
      : new ResourceShortage('engine', 'no sandbox worker has room for a session now', { cause: last });
  }

  /** Known lost without asking: its worker stopped answering or restarted since. */
  gone(session: SandboxSession): boolean {
    const s = session as RemoteSession;
    return (
      this.goneSessions.has(s.id) ||
      this.lost.get(s.worker) === s.incarnation ||
      (this.known.get(s.worker)?.incarnation ?? s.incarnation) !== s.incarnation
    );
  }

  async putFiles(session: SandboxSession, files: SandboxFile[], deletes: string[] = []): Promise<void> {
    await this.onSession(session, 'PUT', '/files', {
      files: files.map((f) => ({ path: f.path, content: f.content.toString('base64') })),
      deletes,
    });
  }

  async getFiles(session: SandboxSession, opts: { maxBytes?: number; under?: string } = {}) {
    const body = (await this.onSession(session, 'POST', '/files', opts)) as {
      files: Array<{ path: string; content: string }>;
    };
    return body.files.map((f) => ({ path: f.path, content: Buffer.from(f.content, 'base64') }));
  }

  async stopProcesses(session: SandboxSession): Promise<void> {
    await this.onSession(session, 'POST', '/stop');
  }

  async alive(session: SandboxSession): Promise<boolean> {
    if (this.gone(session)) return false;
    try {
      return ((await this.onSession(session, 'GET', '/alive')) as { alive: boolean }).alive;
    } catch {
      return !this.gone(session);
    }
  }

  async destroy(session: SandboxSession): Promise<void> {
    const lost = this.gone(session);
    this.goneSessions.delete(session.id);
    this.mine.delete(session.id);
    if (lost) return; // its worker removes what it left when it starts again
    await this.onSession(session, 'DELETE', '').catch((err: unknown) => {
      if (!(err instanceof WorkerLost)) throw err;
    });
  }

  exec(session: SandboxSession, req: ExecRequest): RunningExec {
    const s = session as RemoteSession;
    let execId: string | undefined;
    let cancelled = false;
    const later: Array<[string, unknown]> = [];
    const post = this.orderedPoster(s.worker);
    const send = (path: string, body?: unknown) => {
      if (execId) void post(`/execs/${execId}${path}`, body);
      else later.push([path, body]);
    };
    const { onStdout, onStderr, ...wire } = req;
    const result = this.openStream(s, '/exec', wire, (frame) => {
      if (frame.t === 'id') {
        execId = frame.id;
        for (const [path, body] of later.splice(0)) send(path, body);
      } else if (frame.t === 'o') onStdout?.(Buffer.from(frame.d, 'base64'));
      else if (frame.t === 'e') onStderr?.(Buffer.from(frame.d, 'base64'));
    }) as Promise<ExecResult>;
    return {
      write: (data) => send('/input', { data }),
      closeStdin: () => send('/input', { close: true }),
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        send('/cancel');
      },
      result,
    };
  }

  /** The Terminal: a shell on the worker, its output streamed back, keys and resizes sent in order. */
  async shell(session: SandboxSession, req: ShellRequest): Promise<RunningShell> {
    const s = session as RemoteSession;
    let started!: (id: string) => void;
    const id = new Promise<string>((resolve) => (started = resolve));
    const ended = this.openStream(s, '/shell', { cols: req.cols, rows: req.rows }, (frame) => {
      if (frame.t === 'id') started(frame.id);
      else if (frame.t === 'o') req.onData(Buffer.from(frame.d, 'base64'));
    }) as Promise<{ exitCode: number | null }>;
    const shellId = await Promise.race([
      id,
      ended.then(() => {
        throw new Error('the shell ended before it started');
      }),
    ]);
    const post = this.orderedPoster(s.worker);
    const send = (path: string, body?: unknown) => post(`/shells/${shellId}${path}`, body);
    return {
      write: (data) => void send('/input', { data }),
      resize: (cols, rows) => send('/resize', { cols, rows }),
      pause: () => void send('/pause'),
      resume: () => void send('/resume'),
      kill: () => send('/kill'),
      // A worker lost under the shell ends it (the terminal says so; the next key starts a new one).
      ended: ended.catch(() => ({ exitCode: null })),
    };
  }

  /** POSTs to one worker, each after the previous has been answered (keystrokes stay in order). */
  private orderedPoster(worker: string) {
    let chain: Promise<void> = Promise.resolve();
    return (path: string, body?: unknown): Promise<void> => {
      chain = chain.then(() =>
        this.call(worker, 'POST', path, body).then(
          () => {},
          (err: unknown) =>
            this.opts.logger.warn({ err, worker }, 'could not reach the worker of a running exec or shell'),
        ),
      );
      return chain;
    };
  }

  /**
   * Opens a streamed verb (an exec, a shell) on the session and feeds its frames to `onFrame` until the
   * result (`r`, resolved) or an error (`x`, rejected). Until the worker has taken it nothing ran: a lost
   * worker or session is a shortage (the job goes back to the head of the queue and gets a session
   * elsewhere). Once it runs, losing the worker fails it — no second run behind the candidate's back.
   */
  private async openStream(
    s: RemoteSession,
    suffix: string,
    body: unknown,
    onFrame: (frame: ExecFrame) => void,
  ): Promise<unknown> {
    if (this.gone(s)) throw new WorkerLost(s.worker);
    // The worker sends a frame at least every 15 s; silence for STREAM_SILENCE_MS means it is gone.
    const silence = new AbortController();
    let timer = setTimeout(() => silence.abort(), STREAM_SILENCE_MS);
    const heard = () => {
      clearTimeout(timer);
      timer = setTimeout(() => silence.abort(), STREAM_SILENCE_MS);
    };
    try {
      const path = `/sessions/${encodeURIComponent(s.remoteId)}${suffix}`;
      const res = await this.request(s.worker, 'POST', path, body, s.incarnation, silence.signal);
      if (!res.ok) throw this.lostIfUnknown(s, await this.wireError(s.worker, res));
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buffered = '';
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
          heard();
        } catch (err) {
          this.markLost(s.worker, s.incarnation);
          throw new Error(`sandbox worker ${s.worker} stopped answering`, { cause: err });
        }
        if (chunk.done) break;
        buffered += dec.decode(chunk.value, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const frame = JSON.parse(buffered.slice(0, nl)) as ExecFrame;
          buffered = buffered.slice(nl + 1);
          if (frame.t === 'r' || frame.t === 'x') {
            void reader.cancel().catch(() => {});
            if (frame.t === 'x') throw new Error(frame.message);
            return frame.r;
          }
          onFrame(frame);
        }
      }
      this.markLost(s.worker, s.incarnation);
      throw new Error(`sandbox worker ${s.worker} ended the stream without a result`);
    } finally {
      clearTimeout(timer);
    }
  }

  async listOrphans(isLive: (sessionId: string) => boolean) {
    const found: Array<{ id: string; ownerId: string; purpose: string }> = [];
    for (const w of await this.live()) {
      const body = (await this.call(w.id, 'GET', `/sessions?owner=${encodeURIComponent(this.owner)}`).catch(
        () => ({ sessions: [] }),
      )) as {
        sessions: Array<{ id: string; ownerId: string; purpose: string }>;
      };
      for (const o of body.sessions) {
        const id = `${w.id}/${o.id}`;
        if (!isLive(id)) found.push({ ...o, id });
      }
    }
    return found;
  }

  async removeOrphan(id: string): Promise<void> {
    const i = id.indexOf('/');
    await this.call(id.slice(0, i), 'DELETE', `/sessions/${encodeURIComponent(id.slice(i + 1))}`).catch(
      () => {},
    );
  }

  async close(): Promise<void> {
    clearInterval(this.touch);
  }

  // --- the wire ---

  private onSession(session: SandboxSession, method: string, suffix: string, body?: unknown) {
    const s = session as RemoteSession;
    if (this.gone(s)) throw new WorkerLost(s.worker);
    return this.call(
      s.worker,
      method,
      `/sessions/${encodeURIComponent(s.remoteId)}${suffix}`,
      body,
      s.incarnation,
    ).catch((err: unknown) => {
      throw this.lostIfUnknown(s, err);
    });
  }

  /** A session its worker says it does not hold is gone: a shortage, so the job gets a new one. */
  private lostIfUnknown(s: RemoteSession, err: unknown): unknown {
    if (!(err instanceof SessionUnknown)) return err;
    this.goneSessions.add(s.id);
    this.mine.delete(s.id);
    return new WorkerLost(s.worker, err);
  }

  private markLost(worker: string, incarnation = this.known.get(worker)?.incarnation) {
    if (incarnation === undefined || this.lost.get(worker) === incarnation) return;
    this.lost.set(worker, incarnation);
    this.statusCache = undefined;
    this.opts.logger.warn({ worker }, 'sandbox worker stopped answering; its sessions move to other workers');
  }

  private async request(
    worker: string,
    method: string,
    path: string,
    body?: unknown,
    incarnation?: number,
    signal: AbortSignal = AbortSignal.timeout(CALL_TIMEOUT_MS),
  ) {
    const w = this.known.get(worker);
    if (!w) throw new WorkerLost(worker);
    try {
      return await fetch(`${w.url}${path}`, {
        method,
        signal,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          [OWNER_HEADER]: this.owner,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      // Refused, reset, unreachable: the worker is gone (its sessions with it).
      this.markLost(worker, incarnation);
      throw new WorkerLost(worker, err);
    }
  }

  private async call(worker: string, method: string, path: string, body?: unknown, incarnation?: number) {
    const res = await this.request(worker, method, path, body, incarnation);
    if (!res.ok) throw await this.wireError(worker, res);
    return res.status === 204 ? undefined : res.json();
  }

  private async wireError(worker: string, res: Response): Promise<Error> {
    const body = (await res.json().catch(() => ({}))) as Partial<WireError>;
    const message = body.message ?? `sandbox worker ${worker} answered ${res.status}`;
    if (body.error === 'capacity' || body.error === 'shortage')
      return new ResourceShortage(body.resource ?? 'engine', message);
    if (body.error === 'unknown_session') return new SessionUnknown(message);
    if (res.status === 401)
      return new Error(`sandbox worker ${worker} refused the token: WORKER_TOKEN differs`);
    return new Error(message);
  }
}
