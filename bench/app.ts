/**
 * The product's HTTP app over an in-memory SQLite database and a given sandbox driver, driven like a
 * browser: the same code path a candidate's "Run" takes (route → RunService → SandboxManager →
 * driver), with the pool size and job cap the benchmark chooses (the test harness fixes both).
 */
import { createApp } from '../server/http/index.ts';
import { createServices } from '../server/services/index.ts';
import { openDatabase } from '../server/db/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { FakeClock, randomIds } from '../server/platform/index.ts';
import { defaultLimits, type ManagerOptions, type SandboxDriver } from '../server/sandbox/index.ts';
import type { Config } from '../server/config/index.ts';
import { mockUpstream } from '../server/llm/index.ts';
import { importTask } from '../server/tasks/import.ts';
import { createInvitation } from '../server/invitations/index.ts';
import { exampleTaskDir, testConfig } from '../server/testing/index.ts';
import { readSse } from '../server/testing/sse.ts';

export interface Browser {
  cookies: Map<string, string>;
  csrf?: string;
}

/** Times (ms after the POST was sent) at which a run's milestones were seen. */
export interface RunTiming {
  /** POST /runs answered (202). */
  accepted: number;
  /** Server side, from the run hub: the run left the queue / first stdout / exit. */
  hubRunning?: number;
  hubFirstByte?: number;
  hubExit?: number;
  /** Client side, from the SSE stream: first stdout event / exit event. */
  firstByte?: number;
  exit: number;
  stdout: string;
  verdict?: string;
}

export async function benchApp(opts: {
  driver: SandboxDriver;
  maxConcurrent: number;
  poolSize?: number;
  /** Configuration (default testConfig()): the gateway port, above all. */
  config?: Config;
  /** More sandbox manager options (idle time, creation gate). */
  sandbox?: Partial<Pick<ManagerOptions, 'idleMs' | 'maxCreating' | 'maxQueued'>>;
  /** Called as the server publishes each run event. */
  onEmit?: (type: string, at: number) => void;
}) {
  const database = await openDatabase('sqlite::memory:');
  const services = createServices({
    database,
    clock: new FakeClock(),
    ids: randomIds,
    driver: opts.driver,
    sandbox: {
      limits: defaultLimits,
      poolSize: opts.poolSize ?? 0,
      warmEnvs: ['node'],
      maxConcurrent: opts.maxConcurrent,
      ...opts.sandbox,
    },
    llm: mockUpstream(),
    logger: silentLogger,
    config: opts.config ?? testConfig(),
  });
  const app = createApp(services);
  await importTask(services.ctx, exampleTaskDir);
  // Instrumentation only: when the server published each run event (replays would be late).
  const emitted = new Map<string, Map<string, number>>();
  const emit = services.runs.hub.emit.bind(services.runs.hub);
  services.runs.hub.emit = (runId, e) => {
    const seen = emitted.get(runId) ?? new Map<string, number>();
    emitted.set(runId, seen);
    if (!seen.has(e.type)) seen.set(e.type, performance.now());
    opts.onEmit?.(e.type, performance.now());
    emit(runId, e);
  };

  const headers = (who: Browser, method: string, body: boolean) => {
    const h: Record<string, string> = {};
    if (who.cookies.size) h.cookie = [...who.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (who.csrf && method !== 'GET') h['x-csrf-token'] = who.csrf;
    if (body) h['content-type'] = 'application/json';
    return h;
  };

  async function req(who: Browser, method: string, url: string, body?: unknown) {
    const res = await app.request(url, {
      method,
      headers: headers(who, method, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const sc of res.headers.getSetCookie()) {
      const [k, v] = sc.split(';')[0]!.split('=');
      if (v) who.cookies.set(k!, v);
    }
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
    return text ? (JSON.parse(text) as any) : undefined;
  }

  /** Invites, opens the link and starts the attempt; the session is claimed in the background. */
  async function startCandidate(
    n: number,
    taskSlug = 'hello-llm',
  ): Promise<{ who: Browser; attemptId: string; startMs: number }> {
    const { link } = await createInvitation(
      services.ctx,
      { taskSlug, candidateName: `Bench ${n}`, candidateEmail: `bench-${n}-${taskSlug}@example.com` },
      null,
    );
    const who: Browser = { cookies: new Map() };
    who.csrf = (await req(who, 'POST', '/api/invitations/open', { token: link.split('/i/')[1] })).csrfToken;
    const t0 = performance.now();
    const started = await req(who, 'POST', '/api/candidate/start');
    return { who, attemptId: started.attempt.id as string, startMs: performance.now() - t0 };
  }

  async function writeFile(who: Browser, attemptId: string, path: string, content: string) {
    await req(who, 'PUT', `/api/attempts/${attemptId}/file`, { path, content });
  }

  /** Clicks Run and follows the event stream to the exit event, timing each milestone. */
  async function timedRun(who: Browser, attemptId: string): Promise<RunTiming> {
    const t0 = performance.now();
    const at = () => performance.now() - t0;
    const { run } = await req(who, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    const timing: RunTiming = { accepted: at(), exit: NaN, stdout: '' };
    const res = await app.request(`/api/attempts/${attemptId}/runs/${run.id}/events`, {
      headers: headers(who, 'GET', false),
    });
    await readSse(res.body!, ({ event, data }) => {
      if (event === 'stdout') {
        timing.firstByte ??= at();
        timing.stdout += data;
      }
      if (event === 'exit') {
        timing.exit = at();
        timing.verdict = data.verdict;
      }
    });
    const hub = emitted.get(run.id);
    emitted.delete(run.id);
    const rel = (type: string) => (hub?.has(type) ? hub.get(type)! - t0 : undefined);
    return { ...timing, hubRunning: rel('status'), hubFirstByte: rel('stdout'), hubExit: rel('exit') };
  }

  return {
    app,
    services,
    sandbox: services.sandbox,
    startCandidate,
    /** Imports another task folder (e.g. a variant of the example written for one benchmark). */
    importTask: (dir: string) => importTask(services.ctx, dir),
    writeFile,
    timedRun,
    async close() {
      await services.close();
      await database.close();
    },
  };
}

export type BenchApp = Awaited<ReturnType<typeof benchApp>>;
