/**
 * Prometheus metrics at GET /metrics (prom-client text format). One registry per app (no global
 * state): HTTP latency by route pattern (never the raw path: ids and invitation tokens stay out of
 * labels), autosave latency, the run queue and the sandboxes held, and — read from the database at
 * scrape time, so they survive restarts — runs by verdict, gradings by job status and verdict and the
 * tries they took, gateway calls and tokens.
 * Access rules are in access.ts.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger/index.ts';

export { metricsAccess, operatorRequest } from './access.ts';
export { registerMetrics } from './route.ts';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  db: Db;
  /** Jobs waiting for a sandbox slot. */
  queued(): number;
  /** Sandbox sessions held (warm pool, attempts, one-off jobs). */
  sessions(): Promise<number>;
  logger: Logger;
}

const AUTOSAVE_ROUTE = '/api/attempts/:id/file';

export function createMetrics(src: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'worksample_process_' });
  const http = new Histogram({
    name: 'worksample_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const autosave = new Histogram({
    name: 'worksample_autosave_duration_seconds',
    help: 'Latency of saving a workspace file (the editor autosave), by status',
    labelNames: ['status'] as const,
    // Fine below 25 ms (the autosave goal in docs/SCALING.md), so a p99 near it can be read off.
    buckets: [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'worksample_run_queue_length',
    help: 'Runs and gradings waiting for a sandbox slot',
    registers: [registry],
    collect() {
      this.set(src.queued());
    },
  });
  new Gauge({
    name: 'worksample_sandbox_sessions',
    help: 'Sandbox sessions held: the warm pool, attempts and one-off jobs',
    registers: [registry],
    async collect() {
      this.set(await src.sessions());
    },
  });
  const fromDb = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    rows: () => Promise<Array<Record<L, string | number | null> & { n: number | string | bigint | null }>>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await rows()) {
          const labels = Object.fromEntries(labelNames.map((l) => [l, String(r[l] ?? 'none')]));
          this.set(labels as Partial<Record<L, string>>, Number(r.n ?? 0));
        }
      },
    });
  fromDb('worksample_runs', 'Runs recorded, by kind and verdict', ['kind', 'verdict'] as const, () =>
    src.db
      .selectFrom('runs')
      .select(['kind', 'verdict', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'done')
      .groupBy(['kind', 'verdict'])
      .execute(),
  );
  fromDb(
    'worksample_gradings',
    "Submissions' current gradings, by job status (queued, running, retry_wait, done, failed) and verdict",
    ['status', 'verdict'] as const,
    () =>
      src.db
        .selectFrom('grades')
        .select(['status', 'verdict', (eb) => eb.fn.countAll<number>().as('n')])
        .where('superseded_at', 'is', null)
        .groupBy(['status', 'verdict'])
        .execute(),
  );
  fromDb(
    'worksample_grading_tries',
    'Tries spent on gradings (retries after engine errors included), by job status',
    ['status'] as const,
    () =>
      src.db
        .selectFrom('grades')
        .select(['status', (eb) => eb.fn.sum<number>('tries').as('n')])
        .groupBy(['status'])
        .execute(),
  );
  fromDb(
    'worksample_gateway_calls',
    'LLM gateway calls recorded, by purpose and HTTP status',
    ['purpose', 'status'] as const,
    () =>
      src.db
        .selectFrom('llm_calls')
        .select(['purpose', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['purpose', 'status'])
        .execute(),
  );
  fromDb(
    'worksample_gateway_tokens',
    'LLM gateway tokens recorded, by kind (prompt, completion)',
    ['kind'] as const,
    async () => {
      const r = await src.db
        .selectFrom('llm_calls')
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<number>('prompt_tokens'), eb.lit(0)).as('prompt'),
          eb.fn.coalesce(eb.fn.sum<number>('completion_tokens'), eb.lit(0)).as('completion'),
        ])
        .executeTakeFirst();
      return [
        { kind: 'prompt', n: r?.prompt ?? 0 },
        { kind: 'completion', n: r?.completion ?? 0 },
      ];
    },
  );

  /** Observes every request's latency under its route pattern (unmatched paths share one label). */
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = safeRoute(c);
      const status = String(c.res.status);
      http.observe({ method: c.req.method, route, status }, seconds);
      if (route === AUTOSAVE_ROUTE && c.req.method === 'PUT') autosave.observe({ status }, seconds);
    }
  };

  return {
    registry,
    middleware,
    /** The exposition text and its content type. */
    async render(): Promise<{ body: string; contentType: string }> {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

function safeRoute(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    // After next(), the route index is that of the handler that answered.
    const route = routePath(c);
    // Wildcards are the API 404 and the web app: one label each, whatever the path was.
    return route || 'unmatched';
  } catch {
    return 'unmatched';
  }
}
