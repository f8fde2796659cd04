/**
 * `npm run bench:sandbox`: how fast the sandbox is, measured with the real Docker engine, the real
 * DockerDriver and SandboxManager, and the product's HTTP path for a Run. Sends traffic only to the
 * local Docker engine (its unix socket); makes no network requests from inside the sandboxes. Every
 * loop is bounded in count and by a deadline; every container it made is removed in `finally`.
 *
 * 1. Attempt start: a session from the warm pool vs a cold createSession.
 * 2. Floor: a raw dockerode exec of `true` / `node -e 1` in a warm container, and our exec layer.
 * 3. A product Run of `node main.mjs` (prints 1) through POST …/runs + SSE vs the raw exec of the same;
 *    next to it, in the same loop, a TypeScript Run (`node --import tsx main.ts` with
 *    `compile: esbuild`, importing `./src/one.ts`) and the raw exec of tsx on the same files.
 * 4. 10 attempts running at once with maxConcurrent 4 and 10.
 */
import os from 'node:os';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  hostFirewall,
  DockerDriver,
  SandboxManager,
  defaultLimits,
  type SandboxSession,
  type SessionSpec,
} from '../server/sandbox/index.ts';
import { imageFor, type EnvName } from '../server/sandbox/images/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { exampleTaskDir, repoRoot, testConfig } from '../server/testing/index.ts';
import { benchApp, type BenchApp } from './app.ts';
import { rawExec } from './raw.ts';
import { Samples, summarize, table, type Summary } from './stats.ts';
import { TrackingDriver, tracedDocker } from './trace.ts';
import { callsOf, medianTimeline } from './timeline.ts';

const N = 15; // attempt-start samples per kind
const WARMUP = 3; // discarded first iterations of every loop
const FLOOR_N = 40;
const RUN_N = 30;
const CONCURRENT = 10;
const ROUNDS = 3;
const MAIN = 'console.log(1)\n';
const MAIN_TS = "import { one } from './src/one.ts';\n\nconsole.log(one);\n";
const ONE_TS = 'export const one: number = 1;\n';
/** `BENCH_SECTIONS=3`: only the product Run section (default: every section). */
const sections = (process.env.BENCH_SECTIONS ?? '1234').split('');
const deadline = performance.now() + 25 * 60_000; // a hard stop, whatever happens
const inTime = () => performance.now() < deadline;
const since = (t0: number) => performance.now() - t0;

const { docker, calls } = tracedDocker();
const config = testConfig();
const driver = new TrackingDriver(
  new DockerDriver({
    docker,
    imageFor: (env) => imageFor(env as EnvName),
    logger: silentLogger,
    // The same firewall the product uses for gateway networks (rules are removed with each network).
    firewall: await hostFirewall(),
    gatewayPort: config.gatewayPort,
    allowUnfirewalledGateway: config.sandbox.allowUnfirewalledGateway,
  }),
  true,
  calls,
);
const samples = new Samples();
const spec = (network: SessionSpec['network']): SessionSpec => ({
  env: 'node',
  purpose: 'test',
  ownerId: 'bench',
  limits: defaultLimits,
  network,
});

async function environment() {
  const [version, info] = await Promise.all([docker.version(), docker.info()]);
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    engine: version.Version,
    engineApi: version.ApiVersion,
    kernel: version.KernelVersion,
    engineCpus: info.NCPU,
    storageDriver: info.Driver,
    cgroup: `${info.CgroupVersion ?? '?'} (${info.CgroupDriver})`,
  };
}

/** 1. Pool take vs cold create, interleaved, each after the engine is idle. Returns a warm session. */
async function attemptStart(): Promise<SandboxSession> {
  const manager = new SandboxManager({
    driver,
    logger: silentLogger,
    limits: defaultLimits,
    poolSize: N + WARMUP,
    warmEnvs: ['node'],
    maxConcurrent: 4,
  });
  let warm: SandboxSession | undefined;
  try {
    const fill = performance.now();
    manager.warm();
    await driver.idle(120_000);
    const pooled = [...driver.sessions.values()].filter((s) => s.spec.purpose === 'pool').length;
    console.log(`warm pool filled: ${pooled} sessions in ${Math.round(since(fill))} ms`);
    for (let i = 0; i < N + WARMUP && inTime(); i++) {
      const keep = i >= WARMUP;
      await driver.idle();
      let t0 = performance.now();
      const sb = await manager.forAttempt(`bench-${i}`, 'node', 'none');
      const took = since(t0);
      if (sb.session.spec.purpose !== 'pool') throw new Error('the warm pool was empty');
      if (keep) samples.add('1 attempt start: pool forAttempt', took);
      await manager.release(`bench-${i}`);
      await driver.idle();
      t0 = performance.now();
      const cold = await driver.createSession(spec('none'));
      if (keep) samples.add('1 attempt start: cold createSession (none)', since(t0));
      if (!warm) warm = cold;
      else await driver.destroy(cold);
      t0 = performance.now();
      const gw = await driver.createSession(spec('gateway'));
      if (keep) samples.add('1 attempt start: cold createSession (gateway)', since(t0));
      await driver.destroy(gw);
    }
  } finally {
    await manager.close();
  }
  return warm!;
}

/** 2. The exec floor in one warm container: raw dockerode vs our exec layer, interleaved. */
async function floor(session: SandboxSession) {
  const container = docker.getContainer(session.id);
  const viaDriver = async (argv: string[]) => {
    const t0 = performance.now();
    await driver.exec(session, { argv }).result;
    return since(t0);
  };
  for (let i = 0; i < FLOOR_N + WARMUP && inTime(); i++) {
    const keep = i >= WARMUP;
    const steps: Array<[string, () => Promise<number>]> = [
      ['2 floor: raw exec `true`', async () => (await rawExec(container, ['true'])).exit],
      ['2 floor: raw exec `node -e 1`', async () => (await rawExec(container, ['node', '-e', '1'])).exit],
      ['2 driver.exec `true`', () => viaDriver(['true'])],
      ['2 driver.exec `node -e 1`', () => viaDriver(['node', '-e', '1'])],
    ];
    // Rotate the order each iteration so no kind always follows the same neighbour.
    for (let k = 0; k < steps.length; k++) {
      const [name, step] = steps[(i + k) % steps.length]!;
      const ms = await step();
      if (keep) samples.add(name, ms);
    }
  }
}

/** 3. Product Run vs raw exec of the same command in the same container. Returns the timeline. */
async function productRun(app: BenchApp) {
  const c = await app.startCandidate(0);
  const t0 = performance.now();
  await app.services.runs.settle();
  samples.add('3 product: sandbox claimed after start (cold, gateway)', since(t0));
  await app.writeFile(c.who, c.attemptId, 'main.mjs', MAIN);
  const sb = await app.services.runs.manager.existing(c.attemptId)!;
  const container = docker.getContainer(sb.session.id);
  // The TypeScript twin: the example task with a TS run command that opts into compile: esbuild.
  const ts = await app.startCandidate(1, 'hello-llm-ts');
  await app.services.runs.settle();
  await app.writeFile(ts.who, ts.attemptId, 'main.ts', MAIN_TS);
  await app.writeFile(ts.who, ts.attemptId, 'src/one.ts', ONE_TS);
  const tsContainer = docker.getContainer(
    (await app.services.runs.manager.existing(ts.attemptId)!).session.id,
  );
  const traces: Array<ReturnType<typeof callsOf>> = [];
  const product = async (keep: boolean) => {
    const from = calls.length;
    const t0 = performance.now();
    const run = await app.timedRun(c.who, c.attemptId);
    await app.services.runs.settle();
    if (run.stdout.replace(/\x1b\[[0-9;]*m/g, '') !== '1\n' || run.verdict !== 'ok')
      throw new Error(`unexpected run: ${JSON.stringify(run)}`);
    if (!keep) return;
    traces.push(callsOf(calls, from, t0, performance.now()));
    samples.add('3 run: POST /runs answered', run.accepted);
    samples.add('3 run: hub status=running', run.hubRunning ?? NaN);
    samples.add('3 run: hub first stdout', run.hubFirstByte ?? NaN);
    samples.add('3 run: hub exit', run.hubExit ?? NaN);
    samples.add('3 run: SSE first stdout', run.firstByte ?? NaN);
    samples.add('3 run: SSE exit', run.exit);
  };
  const productTs = async (keep: boolean) => {
    const run = await app.timedRun(ts.who, ts.attemptId);
    await app.services.runs.settle();
    if (run.stdout.replace(/\x1b\[[0-9;]*m/g, '') !== '1\n' || run.verdict !== 'ok')
      throw new Error(`unexpected TS run: ${JSON.stringify(run)}`);
    if (!keep) return;
    samples.add('3 TS run: SSE first stdout', run.firstByte ?? NaN);
    samples.add('3 TS run: SSE exit', run.exit);
  };
  const rawTs = async (keep: boolean) => {
    // What a Run cost before compile: tsx's loader at every start (the build the TS run left is unused).
    const r = await rawExec(tsContainer, ['node', '--import', 'tsx', 'main.ts']);
    if (!keep) return;
    samples.add('3 floor: raw `node --import tsx main.ts` first byte', r.firstByte ?? NaN);
  };
  const raw = async (keep: boolean) => {
    const r = await rawExec(container, ['node', 'main.mjs']);
    if (!keep) return;
    samples.add('3 floor: raw `node main.mjs` first byte', r.firstByte ?? NaN);
    samples.add('3 floor: raw `node main.mjs` exit', r.exit);
  };
  const viaDriver = async (keep: boolean) => {
    const t0 = performance.now();
    let first: number | undefined;
    const argv = ['node', 'main.mjs'];
    await driver.exec(sb.session, { argv, onStdout: () => (first ??= since(t0)) }).result;
    if (!keep) return;
    samples.add('3 driver.exec `node main.mjs` first byte', first ?? NaN);
    samples.add('3 driver.exec `node main.mjs` exit', since(t0));
  };
  const steps = [product, productTs, raw, rawTs, viaDriver];
  for (let i = 0; i < RUN_N + WARMUP && inTime(); i++)
    for (let k = 0; k < steps.length; k++) await steps[(i + k) % steps.length]!(i >= WARMUP);
  return medianTimeline(traces);
}

/** 4. CONCURRENT attempts click Run at the same moment, ROUNDS times. */
async function concurrent(app: BenchApp, maxConcurrent: number) {
  const label = `4 x${CONCURRENT} mc=${maxConcurrent}`;
  const cands = [];
  for (let i = 0; i < CONCURRENT; i++) {
    const c = await app.startCandidate(i);
    samples.add('4 product: POST /candidate/start', c.startMs);
    cands.push(c);
  }
  await app.services.runs.settle();
  for (const c of cands) await app.writeFile(c.who, c.attemptId, 'main.mjs', MAIN);
  for (let round = 0; round < ROUNDS + 1 && inTime(); round++) {
    const t0 = performance.now();
    const runs = await Promise.all(cands.map((c) => app.timedRun(c.who, c.attemptId)));
    const wall = since(t0);
    await app.services.runs.settle();
    if (runs.some((r) => r.verdict !== 'ok')) throw new Error('a concurrent run failed');
    if (round === 0) continue; // warm-up round
    samples.add(`${label}: wall`, wall);
    for (const r of runs) {
      samples.add(`${label}: per-run SSE first stdout`, r.firstByte ?? NaN);
      samples.add(`${label}: per-run SSE exit`, r.exit);
    }
  }
}

async function main() {
  const status = await driver.status();
  if (!status.ready) throw new Error(`the Docker sandbox is not ready: ${status.detail}`);
  const env = await environment();
  console.log('environment', env);
  let app: BenchApp | undefined;
  let timeline: ReturnType<typeof medianTimeline> = [];
  const started = performance.now();
  const tsTask = await tsVariant();
  try {
    if (sections.includes('1') || sections.includes('2')) {
      const warm = await attemptStart();
      if (sections.includes('2')) await floor(warm);
      await driver.destroy(warm);
    }
    app = await benchApp({
      driver,
      maxConcurrent: 2,
      onEmit: (type, at) => calls.push({ op: `hub:${type}`, start: at, end: at }),
    });
    await app.importTask(tsTask);
    if (sections.includes('3')) timeline = await productRun(app);
    await app.close();
    app = undefined;
    for (const mc of sections.includes('4') ? [4, 10] : []) {
      app = await benchApp({ driver, maxConcurrent: mc });
      await concurrent(app, mc);
      await app.close();
      app = undefined;
    }
  } finally {
    await app?.close().catch(() => {});
    await driver.destroyAll();
    await rm(path.dirname(tsTask), { recursive: true, force: true });
  }
  report(env, timeline, since(started));
}

/** The example task as a TypeScript task compiled with esbuild (slug hello-llm-ts), in a temp folder. */
async function tsVariant(): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'bench-ts-')), 'hello-llm-ts');
  await cp(exampleTaskDir, dir, { recursive: true });
  const yaml = (await readFile(path.join(dir, 'task.yaml'), 'utf8'))
    .replace(/^slug: hello-llm$/m, 'slug: hello-llm-ts')
    .replace(/^  run: .*$/m, "  run: ['node', '--import', 'tsx', 'main.ts']\n  compile: esbuild")
    .replace(/^  test: .*$/m, "  test: ['node', '--import', 'tsx', '--test', 'visible.test.mjs']");
  if (!yaml.includes('compile: esbuild') || !yaml.includes('hello-llm-ts'))
    throw new Error('the example task changed shape');
  await writeFile(path.join(dir, 'task.yaml'), yaml);
  return dir;
}

function report(env: Record<string, unknown>, timeline: ReturnType<typeof medianTimeline>, totalMs: number) {
  const s = samples.summaries();
  const p50 = (name: string) => s[name]?.p50 ?? NaN;
  const ratio = (a: string, b: string) => Math.round((p50(a) / p50(b)) * 100) / 100;
  const ratios = {
    'run first byte (SSE) / raw first byte': ratio(
      '3 run: SSE first stdout',
      '3 floor: raw `node main.mjs` first byte',
    ),
    'run exit (SSE) / raw exit': ratio('3 run: SSE exit', '3 floor: raw `node main.mjs` exit'),
    'driver.exec exit / raw exit (node main.mjs)': ratio(
      '3 driver.exec `node main.mjs` exit',
      '3 floor: raw `node main.mjs` exit',
    ),
    'driver.exec / raw (true)': ratio('2 driver.exec `true`', '2 floor: raw exec `true`'),
    'TS run first byte (SSE) / node main.mjs run first byte (SSE)': ratio(
      '3 TS run: SSE first stdout',
      '3 run: SSE first stdout',
    ),
    'TS run first byte (SSE) / raw `node main.mjs` first byte': ratio(
      '3 TS run: SSE first stdout',
      '3 floor: raw `node main.mjs` first byte',
    ),
    'raw `node --import tsx main.ts` / raw `node main.mjs` (first byte)': ratio(
      '3 floor: raw `node --import tsx main.ts` first byte',
      '3 floor: raw `node main.mjs` first byte',
    ),
  };
  const goals = {
    'warm run p50 <= 1.3x raw floor (exit)': ratios['run exit (SSE) / raw exit'] <= 1.3,
    'warm run p50 <= 1.3x raw floor (first byte)': ratios['run first byte (SSE) / raw first byte'] <= 1.3,
    'attempt start from pool p50 <= 50 ms': p50('1 attempt start: pool forAttempt') <= 50,
    'TS run p50 <= 1.5x node main.mjs run (first byte)':
      ratios['TS run first byte (SSE) / node main.mjs run first byte (SSE)'] <= 1.5,
  };
  const verbs: Record<string, Summary> = Object.fromEntries(
    [...driver.verbs.series].map(([k, v]) => [k, summarize(v)]),
  );
  console.log(`\n${table(s)}\n\ndriver verbs (all phases)\n${table(verbs)}`);
  console.log('\nratios (p50 / p50)', ratios, '\ngoals', goals);
  console.log('\nmedian Engine API timeline of one product Run (ms after the click):');
  for (const step of timeline)
    console.log(`  +${String(step.at).padStart(7)}  ${String(step.ms).padStart(6)} ms  ${step.op}`);
  const out = path.join(repoRoot, 'bench-results/sandbox.json');
  return mkdir(path.dirname(out), { recursive: true })
    .then(() =>
      writeFile(
        out,
        JSON.stringify(
          {
            at: new Date().toISOString(),
            totalMs: Math.round(totalMs),
            environment: env,
            summaries: s,
            driverVerbs: verbs,
            ratios,
            goals,
            runTimeline: timeline,
          },
          null,
          2,
        ),
      ),
    )
    .then(() => console.log(`\nwrote ${path.relative(process.cwd(), out)}`));
}

await main();
