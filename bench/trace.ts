/**
 * Instrumentation for the benchmarks, without touching product code: a dockerode client whose every
 * Engine API call is timed, and a SandboxDriver wrapper that times each verb, counts sessions being
 * created (so a benchmark can wait for the warm pool to fill) and remembers every session it made
 * (so the benchmark removes exactly its own containers, never another process's).
 */
import Docker from 'dockerode';
import type {
  ExecRequest,
  RunningExec,
  SandboxDriver,
  SandboxFile,
  SandboxSession,
  SessionSpec,
} from '../server/sandbox/index.ts';
import { Samples } from './stats.ts';

export interface ApiCall {
  /** e.g. `POST /exec/:id/start`. */
  op: string;
  start: number;
  end: number;
}

type Dial = (
  options: { method?: string; path?: string },
  cb: (err: unknown, data: unknown) => void,
) => unknown;

/** Ids and volume/container names vary per call; the operation does not. */
const normalize = (path = '') =>
  path
    .split('?')[0]!
    .replace(/[0-9a-f]{64}/g, ':id')
    .replace(/ws-[a-z]+-[0-9a-f]{12}(-ws|-net)?/g, ':name')
    .replace(/worksample-sandbox-[a-z]+:[0-9a-f]+/g, ':image');

/** A Docker client that records the duration of every API call (until the response or the hijack). */
export function tracedDocker(): { docker: Docker; calls: ApiCall[] } {
  const docker = new Docker();
  const calls: ApiCall[] = [];
  const modem = docker.modem as unknown as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, cb) => {
    const op = `${options.method ?? 'GET'} ${normalize(options.path)}`;
    const start = performance.now();
    return dial(options, (err, data) => {
      if (calls.length < 200_000) calls.push({ op, start, end: performance.now() });
      cb(err, data);
    });
  };
  return { docker, calls };
}

/** Delegates to a real driver, timing each verb and tracking the sessions it created. */
export class TrackingDriver implements SandboxDriver {
  readonly name = 'docker' as const;
  readonly verbs = new Samples();
  readonly sessions = new Map<string, SandboxSession>();
  private creating = 0;

  constructor(
    readonly inner: SandboxDriver,
    /** Refuse warm-pool sessions on gateway networks: each needs its own Docker network, and the engine has few. */
    private readonly refuseGatewayPool = false,
    /** When given, each verb is also recorded here as a span `verb:<name>` next to the API calls. */
    private readonly spans?: ApiCall[],
  ) {}

  private record(verb: string, start: number) {
    const end = performance.now();
    this.verbs.add(verb, end - start);
    if (this.spans && this.spans.length < 200_000) this.spans.push({ op: `verb:${verb}`, start, end });
  }

  private async timed<T>(verb: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.record(verb, t0);
    }
  }

  status() {
    return this.timed('status', () => this.inner.status());
  }

  async createSession(spec: SessionSpec): Promise<SandboxSession> {
    if (this.refuseGatewayPool && spec.purpose === 'pool' && spec.network === 'gateway')
      throw new Error('benchmark: no warm pool for gateway networks');
    this.creating++;
    try {
      const s = await this.timed(`createSession(${spec.network})`, () => this.inner.createSession(spec));
      this.sessions.set(s.id, s);
      return s;
    } finally {
      this.creating--;
    }
  }

  putFiles(session: SandboxSession, files: SandboxFile[], deletes?: string[]) {
    return this.timed('putFiles', () => this.inner.putFiles(session, files, deletes));
  }

  getFiles(session: SandboxSession, opts?: { maxBytes?: number; under?: string }) {
    return this.timed('getFiles', () => this.inner.getFiles(session, opts));
  }

  exec(session: SandboxSession, req: ExecRequest): RunningExec {
    const t0 = performance.now();
    const running = this.inner.exec(session, req);
    void running.result.then(
      () => this.record('exec', t0),
      () => {},
    );
    return running;
  }

  stopProcesses(session: SandboxSession) {
    return this.timed('stopProcesses', () => this.inner.stopProcesses(session));
  }

  async destroy(session: SandboxSession) {
    await this.timed('destroy', () => this.inner.destroy(session));
    this.sessions.delete(session.id);
  }

  listOrphans(isLive: (sessionId: string) => boolean) {
    return this.inner.listOrphans(isLive);
  }

  removeOrphan(id: string) {
    return this.inner.removeOrphan(id);
  }

  close() {
    return this.inner.close();
  }

  /** Resolves once no session is being created (the pool has stopped filling), or after timeoutMs. */
  async idle(timeoutMs = 60_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (this.creating > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  /** Destroys every session this wrapper created that is still around. */
  async destroyAll(): Promise<void> {
    for (const s of [...this.sessions.values()]) await this.destroy(s).catch(() => {});
  }
}
