/**
 * `npm run bench:load`: autosave latency of one host under many candidates, as a ratio over a bare
 * node HTTP server measured in the same run (the floor: what this machine's loopback, client and
 * event loop cost without the product).
 *
 * For each dialect and candidate count: a fresh database (a SQLite file in a temporary folder, or a
 * Postgres database created on TEST_DATABASE_URL's server and dropped afterwards) gets the example
 * task and one invitation per virtual candidate through the service verbs; then a real
 * `worksample serve` process starts (sandbox driver `none`: saves need no sandbox) and every
 * candidate opens its link, reads its CSRF token and starts its attempt over HTTP, like a browser.
 * Each candidate then saves its own 2–8 KB file every 2 s with a small random edit — PUT
 * /api/attempts/{id}/file with its cookies, `x-csrf-token` and the revision it edited from — for the
 * measured seconds (after a warm-up). The floor is the same load on a bare server started just before.
 *
 *   npm run bench:load -- --dialect sqlite,postgres --candidates 300,600,1000 --seconds 40
 *   (Postgres needs TEST_DATABASE_URL=postgres://worksample:worksample@127.0.0.1:5432/worksample_test)
 *   --profile DIR   run the server with --cpu-prof into DIR
 *   --timeline      print each measured second's p50 and max (where the stalls are)
 *   --warmup S      seconds before measuring (default: 6, +1 per 50 candidates over 300)
 *   AUTOSAVE_SYNC_COMMIT=false npm run bench:load …   the server's relaxed autosave commit (Postgres)
 *
 * Besides latency it reports the server's CPU per save and, on Postgres, statements (commits) per
 * save and the Postgres server processes' CPU per save (when Postgres runs on this machine).
 *
 * Prints a table and writes bench-results/load.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { percentile } from './stats.ts';
import { freePort, repoRoot, startServe, tempDir, type ServerProcess } from '../tests/helpers/process.ts';
import { dropDatabase, seedInvitations } from '../server/testing/index.ts';

type Dialect = 'sqlite' | 'postgres';

const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: process.env.TEST_DATABASE_URL ? 'sqlite,postgres' : 'sqlite' },
    candidates: { type: 'string', default: '300,600,1000' },
    seconds: { type: 'string', default: '40' },
    warmup: { type: 'string' },
    interval: { type: 'string', default: '2000' },
    profile: { type: 'string' },
    timeline: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
/**
 * Seconds before measuring: by default 6, plus a second per 50 candidates over 300. Each candidate's
 * first save takes the slow path (no cached base: the session, attempt and file are read first), and
 * all of them land within the first interval; at 1000 candidates the server needs ≈15 s to work off
 * that start-up burst (--timeline shows it), which is not the steady state this bench measures.
 */
const warmupFor = (count: number) =>
  args.warmup !== undefined ? Number(args.warmup) : 6 + Math.max(0, Math.ceil((count - 300) / 50));
const INTERVAL = Number(args.interval);

export interface LoadResult {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  /** The bench process's own event-loop delay p99 (ms): client-side noise in the figures. */
  clientLagP99: number;
  /** 1-minute load average at the end of the measured window (the machine is shared). */
  load1: number;
}

/**
 * The autosave latency as the server measured it (its metrics histogram, from the request reaching the
 * app to the response leaving it): without the load generator's own delays and loopback, which share
 * this machine's cores with the server.
 */
export interface ServerSide {
  p50: number;
  p99: number;
  /** Share of saves answered within 25 ms (%). */
  within25: number;
}

/** The cumulative bucket counts of worksample_autosave_duration_seconds (all statuses), by `le` in ms. */
async function serverHistogram(base: string): Promise<Map<number, number>> {
  const res = await request(`${base}/metrics`, { method: 'GET', headers: {} });
  const out = new Map<number, number>();
  for (const m of res.body.matchAll(
    /^worksample_autosave_duration_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm,
  )) {
    const le = m[1] === '+Inf' ? Infinity : Math.round(Number(m[1]) * 1e6) / 1e3;
    out.set(le, (out.get(le) ?? 0) + Number(m[2]));
  }
  return out;
}

/** Quantiles from the window's bucket counts, interpolated within a bucket as Prometheus does. */
function histogramSummary(a: Map<number, number>, b: Map<number, number>): ServerSide {
  const les = [...b.keys()].sort((x, y) => x - y);
  const cum = les.map((le) => (b.get(le) ?? 0) - (a.get(le) ?? 0));
  const total = cum.at(-1) ?? 0;
  const quantile = (q: number) => {
    const rank = q * total;
    const i = cum.findIndex((c) => c >= rank);
    if (i < 0 || !Number.isFinite(les[i]!)) return les.at(-2) ?? 0;
    const lo = i === 0 ? 0 : les[i - 1]!;
    const below = i === 0 ? 0 : cum[i - 1]!;
    const inBucket = cum[i]! - below;
    return Math.round((lo + (les[i]! - lo) * (inBucket ? (rank - below) / inBucket : 1)) * 10) / 10;
  };
  const at25 = cum[les.indexOf(25)] ?? 0;
  return {
    p50: quantile(0.5),
    p99: quantile(0.99),
    within25: total ? Math.round((at25 / total) * 10000) / 100 : 0,
  };
}

/** What the server spent per save in the measured window: CPU (ms) and, on Postgres, statements. */
export interface Cost {
  server: ServerSide;
  cpuMsPerSave: number;
  /** This bench process's own CPU per save (ms): the load generator shares the machine's cores. */
  clientCpuMsPerSave: number;
  statementsPerSave?: number;
  /** Postgres server processes' CPU per save (ms), when Postgres runs on this machine. */
  postgresCpuMsPerSave?: number;
}

/** A candidate as the bench drives it: cookies, CSRF token, attempt, and the file it edits. */
interface Candidate {
  cookie: string;
  csrf: string;
  attemptId: string;
  path: string;
  content: string;
  revision: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

/**
 * One HTTP request over the keep-alive agent. A reused socket the server closed as idle (node's 5 s
 * keep-alive timeout, reached when saves fall behind under load) is reset as the request goes out;
 * like a browser, and as node's docs for `request.reusedSocket` show, that request is sent again once.
 */
function request(
  url: string,
  opts: { method: string; headers?: Record<string, string>; body?: string },
  retried = false,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method, headers: opts.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(request(url, opts, true));
      else reject(err);
    });
    if (opts.body) req.end(opts.body);
    else req.end();
  });
}

const WORDS =
  'const let return function await async import export from value result model prompt token'.split(' ');
function randomText(bytes: number): string {
  let s = '';
  while (s.length < bytes) {
    const n = 3 + Math.floor(Math.random() * 9);
    const line: string[] = [];
    for (let i = 0; i < n; i++) line.push(WORDS[Math.floor(Math.random() * WORDS.length)]!);
    s += `${line.join(' ')};\n`;
  }
  return s.slice(0, bytes);
}

/** A keystroke pause's worth of change: a few characters inserted, replaced or deleted somewhere. */
function smallEdit(s: string): string {
  const at = Math.floor(Math.random() * s.length);
  const cut = Math.floor(Math.random() * 4);
  const add = randomBytes(3)
    .toString('hex')
    .slice(0, 1 + Math.floor(Math.random() * 6));
  return s.slice(0, at) + add + s.slice(at + cut);
}

async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** A fresh database of the dialect with the example task and `count` invitation links. */
async function prepare(dialect: Dialect, count: number, dir: string, publicUrl: string) {
  let url: string;
  let drop = async () => {};
  if (dialect === 'sqlite') url = `sqlite:${dir}/bench.db`;
  else {
    const admin = process.env.TEST_DATABASE_URL;
    if (!admin) throw new Error('--dialect postgres needs TEST_DATABASE_URL');
    const name = `ws_bench_${randomBytes(5).toString('hex')}`;
    const run = async (q: string) => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(q);
      await c.end();
    };
    await run(`create database ${name}`);
    const u = new URL(admin);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = () => dropDatabase(admin, name);
  }
  const links = await seedInvitations(url, publicUrl, count);
  return { url, links, drop };
}

/** Opens the link, reads the CSRF token and starts the attempt, as the web app does. */
async function openCandidate(base: string, link: string): Promise<Candidate> {
  const open = await request(link, { method: 'GET' });
  const setCookies = ([] as string[]).concat(open.headers['set-cookie'] ?? []);
  const cookie = setCookies.map((c) => c.split(';')[0]!).join('; ');
  const view = await request(`${base}/api/candidate`, { method: 'GET', headers: { cookie } });
  const csrf = JSON.parse(view.body).csrfToken as string;
  const started = await request(`${base}/api/candidate/start`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrf },
  });
  if (started.status !== 200) throw new Error(`start answered ${started.status}: ${started.body}`);
  const attemptId = JSON.parse(started.body).attempt.id as string;
  const size = 2048 + Math.floor(Math.random() * 6144);
  return { cookie, csrf, attemptId, path: 'notes/scratch.ts', content: randomText(size), revision: 0 };
}

/**
 * Every candidate saves every INTERVAL ms (phases spread over the interval), one save in flight per
 * candidate like the web app's saver; samples after the warm-up count.
 */
async function drive(
  count: number,
  save: (i: number) => Promise<boolean>,
  window?: { start(): void; end(): void },
): Promise<LoadResult> {
  const samples: number[] = [];
  /** With --timeline: the measured window's latencies by the second they were sent in. */
  const perSecond: number[][] = [];
  let errors = 0;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const t0 = performance.now();
  const warmup = warmupFor(count);
  const measureFrom = t0 + warmup * 1000;
  const end = measureFrom + SECONDS * 1000;
  const lagTimer = setTimeout(() => {
    lag.enable();
    window?.start();
  }, warmup * 1000);
  const endTimer = setTimeout(() => window?.end(), (warmup + SECONDS) * 1000);
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      let due = t0 + (i / count) * INTERVAL;
      for (;;) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const start = performance.now();
        if (start >= end) return;
        let ok = false;
        try {
          ok = await save(i);
        } catch {
          ok = false;
        }
        const ms = performance.now() - start;
        if (start >= measureFrom) {
          samples.push(ms);
          if (args.timeline) {
            const sec = Math.floor((start - measureFrom) / 1000);
            (perSecond[sec] ??= []).push(ms);
          }
          if (!ok) errors++;
        }
        due += INTERVAL;
      }
    }),
  );
  clearTimeout(lagTimer);
  clearTimeout(endTimer);
  if (args.timeline)
    for (const [sec, list] of perSecond.entries()) {
      if (!list) continue;
      const [p50, max] = [percentile(list, 50), Math.max(...list)].map((x) => x.toFixed(1).padStart(7));
      console.log(
        `  s${String(sec).padStart(3)}  n ${String(list.length).padStart(4)}  p50 ${p50}  max ${max} ms`,
      );
    }
  lag.disable();
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: samples.length,
    p50: r(percentile(samples, 50)),
    p95: r(percentile(samples, 95)),
    p99: r(percentile(samples, 99)),
    max: r(Math.max(...samples)),
    errors,
    clientLagP99: r(lag.percentile(99) / 1e6),
    load1: r(os.loadavg()[0]!),
  };
}

/** User + system CPU of a process so far (ms), from /proc (Linux). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
}

/**
 * CPU so far (ms) of each Postgres server process on this machine (postmaster, backends, WAL writer,
 * checkpointer), by pid; empty when Postgres runs elsewhere. A window's cost is the sum over the pids
 * alive at both ends (the pool's backends live through it; the snapshot's own connection does not).
 */
async function postgresCpu(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if ((await readFile(`/proc/${name}/comm`, 'utf8')).trim() !== 'postgres') continue;
      out.set(Number(name), await cpuMs(Number(name)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Statements the bench database has run so far (each autocommit statement or transaction is one commit). */
async function commits(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      'select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()',
    );
    return Number(rows[0].n);
  } finally {
    await c.end();
  }
}

/** The floor: a bare node HTTP server in its own process that reads the body and answers a small JSON. */
async function floor(count: number): Promise<LoadResult> {
  const port = await freePort();
  const code = `require('http').createServer((q,s)=>{const c=[];q.on('data',d=>c.push(d));q.on('end',()=>{JSON.parse(Buffer.concat(c).toString());s.setHeader('content-type','application/json');s.end('{"file":{"revision":1},"changed":true}')})}).listen(${port},'127.0.0.1',()=>console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  const bodies = Array.from({ length: count }, () => randomText(2048 + Math.floor(Math.random() * 6144)));
  try {
    return await drive(count, async (i) => {
      bodies[i] = smallEdit(bodies[i]!);
      const res = await request(`http://127.0.0.1:${port}/api/attempts/x/file`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', cookie: 'ws_candidate=x', 'x-csrf-token': 'x' },
        body: JSON.stringify({ path: 'notes/scratch.ts', content: bodies[i], baseRevision: 0 }),
      });
      return res.status === 200;
    });
  } finally {
    child.kill('SIGKILL');
  }
}

async function product(dialect: Dialect, count: number): Promise<LoadResult & Cost> {
  const tmp = await tempDir('ws-load-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const db = await prepare(dialect, count, tmp.dir, base);
  let server: ServerProcess | undefined;
  try {
    server = await startServe(
      {
        DATABASE_URL: db.url,
        PORT: String(port),
        PUBLIC_URL: base,
        DEMO_SEED: 'false',
        SANDBOX_DRIVER: 'none',
      },
      { nodeArgs: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`] : [] },
    );
    const candidates: Candidate[] = new Array(count);
    await pool(db.links, 16, async (link, i) => {
      candidates[i] = await openCandidate(base, link);
    });
    let firstError: string | undefined;
    const pid = server.child.pid!;
    const at: Array<
      Promise<{
        histogram: Map<number, number>;
        cpu: number;
        client: number;
        statements?: number;
        pg?: Map<number, number>;
      }>
    > = [];
    const snapshot = async () => ({
      histogram: await serverHistogram(base),
      client: (({ user, system }) => (user + system) / 1000)(process.cpuUsage()),
      cpu: await cpuMs(pid),
      statements: dialect === 'postgres' ? await commits(db.url) : undefined,
      pg: dialect === 'postgres' ? await postgresCpu() : undefined,
    });
    // Taken from timers and awaited after the window: a failure is reported there, not as an
    // unhandled rejection in the middle of it.
    const taken = () => {
      const p = snapshot();
      p.catch(() => {});
      return p;
    };
    const result = await drive(
      count,
      async (i) => {
        const c = candidates[i]!;
        const content = smallEdit(c.content);
        const res = await request(`${base}/api/attempts/${c.attemptId}/file`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', cookie: c.cookie, 'x-csrf-token': c.csrf },
          body: JSON.stringify({ path: c.path, content, baseRevision: c.revision }),
        }).catch((err: Error) => {
          firstError ??= `request failed: ${err.message}`;
          throw err;
        });
        if (res.status !== 200) {
          firstError ??= `${res.status} ${res.body.slice(0, 200)}`;
          return false;
        }
        c.content = content;
        c.revision = JSON.parse(res.body).file.revision;
        return true;
      },
      { start: () => at.push(taken()), end: () => at.push(taken()) },
    );
    if (firstError) console.error(`  first error: ${firstError}`);
    if (at.length < 2) at.push(taken());
    const [a, b] = await Promise.all(at);
    const perSave = (x: number) => Math.round((x / Math.max(1, result.n)) * 100) / 100;
    return {
      ...result,
      server: histogramSummary(a!.histogram, b!.histogram),
      cpuMsPerSave: perSave(b!.cpu - a!.cpu),
      clientCpuMsPerSave: perSave(b!.client - a!.client),
      // The two snapshot connections' own statements are not the server's.
      statementsPerSave:
        a!.statements === undefined ? undefined : perSave(b!.statements! - a!.statements - 1),
      postgresCpuMsPerSave:
        a!.pg?.size && b!.pg?.size
          ? perSave([...b!.pg].reduce((t, [p, ms]) => t + (a!.pg!.has(p) ? ms - a!.pg!.get(p)! : 0), 0))
          : undefined,
    };
  } finally {
    await server?.stop('SIGINT');
    await db.drop();
    await tmp.remove();
  }
}

async function main() {
  const dialects = args.dialect.split(',') as Dialect[];
  const counts = args.candidates.split(',').map(Number);
  const rows: Array<{
    dialect: Dialect;
    candidates: number;
    floor: LoadResult;
    autosave: LoadResult & Cost;
  }> = [];
  console.log(
    `autosave load (AUTOSAVE_SYNC_COMMIT=${process.env.AUTOSAVE_SYNC_COMMIT ?? 'true'}): ${SECONDS} s measured after ${counts.map((n) => `${warmupFor(n)} s (${n})`).join(', ')} of warm-up, one save per candidate every ${INTERVAL} ms`,
  );
  for (const dialect of dialects) {
    for (const count of counts) {
      const f = await floor(count);
      const a = await product(dialect, count);
      rows.push({ dialect, candidates: count, floor: f, autosave: a });
      const ratio = (a.p99 / f.p99).toFixed(1);
      console.log(
        `${dialect.padEnd(8)} ${String(count).padStart(5)}  autosave p50 ${a.p50} p95 ${a.p95} p99 ${a.p99} max ${a.max} ms, ` +
          `${a.n} saves, ${a.errors} errors | floor p50 ${f.p50} p99 ${f.p99} max ${f.max} ms | p99 ${ratio}× floor ` +
          `| server-side p50 ${a.server.p50} p99 ${a.server.p99} ms, ${a.server.within25}% within 25 ms ` +
          `| client lag p99 ${a.clientLagP99}/${f.clientLagP99} ms, ${a.clientCpuMsPerSave} ms CPU per save | server ${a.cpuMsPerSave} ms CPU` +
          `${a.statementsPerSave === undefined ? '' : `, ${a.statementsPerSave} statements`} per save ` +
          `${a.postgresCpuMsPerSave === undefined ? '' : `| Postgres ${a.postgresCpuMsPerSave} ms CPU per save `}` +
          `| load ${f.load1}/${a.load1}`,
      );
    }
  }
  const out = path.join(repoRoot, 'bench-results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'load.json'), `${JSON.stringify({ seconds: SECONDS, rows }, null, 2)}\n`);
  agent.destroy();
}

await main();
