/**
 * `npm run bench:capacity`: how many concurrent LLM-task attempts one Docker engine carries, through
 * the product's HTTP path (invite → open → start → write files → Run with live output → submit →
 * grading), with the real DockerDriver, host firewall and LLM gateway (mock model). N attempts start
 * (CAPACITY_N, default 200); each gets its sandbox and private network at start; a share of them
 * (10 %) then Run code that calls the gateway, three times each, while some (5 %) submit and are
 * graded. Reported: failed Runs and gradings (goal 0), peak containers and networks, memory and CPU
 * per idle and per busy sandbox (cgroup v1 counters plus the containerd shim each container costs),
 * attempts per GiB, Run latency under load as a ratio over a raw `docker exec` floor measured in the
 * same run, and the idle reclaim (every idle session destroyed, the next Run recreating it).
 *
 * Sends traffic only to the local engine's socket and, from inside the sandboxes, to the gateway on
 * the addresses of networks it created. Everything it made is removed in `finally`. Takes minutes:
 * opt-in, not part of `npm run bench`.
 */
import { readFile, writeFile as writeFileFs } from 'node:fs/promises';
import os from 'node:os';
import { readdir } from 'node:fs/promises';
import { DockerDriver, hostFirewall, type SandboxSession } from '../server/sandbox/index.ts';
import { LABEL } from '../server/sandbox/docker/hardening.ts';
import { imageFor, type EnvName } from '../server/sandbox/images/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { freeLoopbackPort, type FakeClock } from '../server/platform/index.ts';
import { testConfig } from '../server/testing/index.ts';
import { getGrade } from '../server/grading-jobs/index.ts';
import { benchApp, type Browser } from './app.ts';
import { rawExec } from './raw.ts';
import { summarize } from './stats.ts';

const N = Number(process.env.CAPACITY_N ?? 200);
const BUSY = Math.max(1, Math.round(N * 0.1));
const GRADINGS = Math.max(1, Math.round(N * 0.05));
const ROUNDS = 3;
const IDLE_MS = 10 * 60_000;
const MiB = 1024 * 1024;
const deadline = performance.now() + 30 * 60_000;
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const MAIN = `const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'Classify: great product' }] }),
});
const body = await r.json();
console.log('gateway ' + r.status + ' ' + (body.choices?.[0]?.message?.content ?? '').length);
`;

const gatewayPort = await freeLoopbackPort();
const config = testConfig({ GATEWAY_PORT: String(gatewayPort) });
const instance = `bench-capacity-${process.pid}`;
const driver = new DockerDriver({
  imageFor: (e) => imageFor(e as EnvName),
  logger: silentLogger,
  firewall: await hostFirewall(),
  gatewayPort,
  instance,
  subnetPool: config.sandbox.subnetPool,
});

/** Memory and CPU counters of a container's cgroup (v1, cgroupfs); undefined elsewhere. */
async function cgroup(id: string) {
  try {
    const mem = `/sys/fs/cgroup/memory/docker/${id}`;
    const stat = Object.fromEntries(
      (await readFile(`${mem}/memory.stat`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k!, Number(v)]),
    );
    return {
      usage: Number(await readFile(`${mem}/memory.usage_in_bytes`, 'utf8')),
      max: Number(await readFile(`${mem}/memory.max_usage_in_bytes`, 'utf8')),
      rss: stat.total_rss ?? stat.rss ?? 0,
      cache: stat.total_cache ?? stat.cache ?? 0,
      cpuNs: Number(await readFile(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8')),
    };
  } catch {
    return undefined;
  }
}

/** Resident memory of the containerd shim of each of these containers (host cost outside the cgroup). */
async function shimRss(ids: Set<string>): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.startsWith('/usr/bin/containerd-shim')) continue;
    const id = cmd.split('\0')[cmd.split('\0').indexOf('-id') + 1];
    if (!id || !ids.has(id)) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    out.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
  }
  return out;
}

const ours = async () =>
  (await driver.docker.listContainers({ all: true, filters: { label: [`${LABEL}=${instance}`] } })).map(
    (c) => c.Id,
  );

const median = (xs: number[]) => summarize(xs).p50;
const mib = (b: number) => Math.round((b / MiB) * 10) / 10;

const app = await benchApp({
  driver,
  maxConcurrent: config.sandbox.maxConcurrent,
  poolSize: 1,
  config,
  sandbox: { idleMs: IDLE_MS },
});
const peak = { containers: 0, networks: 0 };
const poll = setInterval(async () => {
  const [c, n] = await Promise.all([
    ours().catch(() => []),
    driver.docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } }).catch(() => []),
  ]);
  peak.containers = Math.max(peak.containers, c.length);
  peak.networks = Math.max(peak.networks, n.length);
}, 5000);

const failures: string[] = [];
let floorSession: SandboxSession | undefined;
try {
  log(
    `environment: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (shared machine)`,
  );
  // Floor: a raw exec of node in a warm container, nothing of ours around it.
  floorSession = await driver.createSession({
    env: 'node',
    purpose: 'test',
    ownerId: 'floor',
    limits: app.sandbox.limits,
    network: 'none',
  });
  const container = driver.docker.getContainer(floorSession.id);
  const floor: number[] = [];
  for (let i = 0; i < 13; i++) {
    const t = await rawExec(container, ['node', '-e', '1']);
    if (i >= 3) floor.push(t.exit);
  }
  await driver.destroy(floorSession);
  floorSession = undefined;
  log(`floor: raw exec of node p50 ${median(floor)} ms`);

  // 1. N attempts start; each sandbox (container + private network) is claimed in the background.
  const t0 = performance.now();
  const candidates: Array<{ who: Browser; attemptId: string }> = [];
  for (let i = 0; i < N; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, N - i) }, (_, j) => app.startCandidate(i + j)),
    );
    candidates.push(...batch);
  }
  await app.services.settle();
  const startAll = performance.now() - t0;
  const sessions = app.sandbox.attemptSessions;
  log(`${N} attempts started, ${sessions} sandboxes ready in ${Math.round(startAll / 1000)} s`);
  // Pre-warming at start is a head start, not a promise: an attempt without one gets it at its first Run.
  if (sessions < N) log(`only ${sessions} of ${N} attempts got a sandbox at start`);

  // 2. Idle cost: every attempt's sandbox, nothing running, CPU over 10 s.
  const ids = new Set(await ours());
  const before = new Map<string, NonNullable<Awaited<ReturnType<typeof cgroup>>>>();
  for (const id of ids) {
    const c = await cgroup(id);
    if (c) before.set(id, c);
  }
  await new Promise((r) => setTimeout(r, 10_000));
  const idleMem: number[] = [];
  const idleCpu: number[] = [];
  for (const [id, b] of before) {
    const c = await cgroup(id);
    if (!c) continue;
    idleMem.push(c.usage);
    idleCpu.push(((c.cpuNs - b.cpuNs) / 10e9) * 100);
  }
  const shims = await shimRss(ids);
  log(
    `idle: ${idleMem.length} sandboxes, median cgroup ${mib(median(idleMem))} MiB, shim ${mib(median(shims))} MiB`,
  );

  // 3. A share runs code that calls the gateway, while others submit and are graded.
  const busy = candidates.slice(0, BUSY);
  const graded = candidates.slice(BUSY, BUSY + GRADINGS);
  const busyIds = new Map<string, string>();
  for (const c of busy) {
    await app.writeFile(c.who, c.attemptId, 'main.mjs', MAIN);
    const s = await app.sandbox.existing(c.attemptId);
    if (s) busyIds.set(c.attemptId, (await s).session.id);
  }
  // Peak memory of the busy sandboxes from here on (cgroup v1 max_usage, reset by writing 0).
  for (const id of busyIds.values())
    await writeFileFs(`/sys/fs/cgroup/memory/docker/${id}/memory.max_usage_in_bytes`, '0').catch(() => {});
  const runMs: number[] = [];
  const busyStart = new Map<string, number>();
  for (const id of busyIds.values()) busyStart.set(id, (await cgroup(id))?.cpuNs ?? 0);
  const t1 = performance.now();
  const runners = busy.map(async (c) => {
    for (let r = 0; r < ROUNDS && performance.now() < deadline; r++) {
      try {
        const t = await app.timedRun(c.who, c.attemptId);
        runMs.push(t.exit);
        if (t.verdict !== 'ok' || !/gateway 200 [1-9]/.test(t.stdout))
          failures.push(`run of ${c.attemptId}: ${t.verdict} ${t.stdout.trim().slice(0, 120)}`);
      } catch (err) {
        failures.push(`run of ${c.attemptId}: ${(err as Error).message.slice(0, 200)}`);
      }
    }
  });
  const submits = graded.map((c) =>
    Promise.resolve(
      app.app.request(`/api/attempts/${c.attemptId}/submit`, {
        method: 'POST',
        headers: {
          cookie: [...c.who.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          'x-csrf-token': c.who.csrf ?? '',
        },
      }),
    ).then((res) => res.status < 300 || failures.push(`submit of ${c.attemptId}: ${res.status}`)),
  );
  await Promise.all([...runners, ...submits]);
  const busyWall = performance.now() - t1;
  const busyMem: number[] = [];
  const busyCpu: number[] = [];
  for (const id of busyIds.values()) {
    const c = await cgroup(id);
    if (!c) continue;
    busyMem.push(c.max);
    busyCpu.push((c.cpuNs - busyStart.get(id)!) / 1e6 / ROUNDS); // CPU ms per Run
  }
  await app.services.settle();
  const grades = await Promise.all(graded.map((c) => getGrade(app.services.ctx, c.attemptId)));
  for (const [i, g] of grades.entries())
    if (g?.status !== 'done')
      failures.push(`grading of ${graded[i]!.attemptId}: ${g?.status} ${g?.error ?? ''}`);
  log(
    `busy: ${runMs.length} runs, ${grades.filter((g) => g?.status === 'done').length}/${GRADINGS} gradings done`,
  );

  // 4. Idle reclaim: every session unused for the idle time goes; the next Run recreates one.
  const clock = app.services.clock as FakeClock;
  clock.advance(IDLE_MS);
  const t2 = performance.now();
  const reclaimed = await app.sandbox.reclaimIdle();
  const reclaimMs = performance.now() - t2;
  const left = (await ours()).length;
  const recreateMs: number[] = [];
  for (const c of busy.slice(0, 5)) {
    const t = await app.timedRun(c.who, c.attemptId);
    recreateMs.push(t.exit);
    if (t.verdict !== 'ok' || !/gateway 200/.test(t.stdout))
      failures.push(`run after reclaim of ${c.attemptId}: ${t.verdict} ${t.stdout.trim().slice(0, 120)}`);
  }

  const idleCost = median(idleMem) + median(shims);
  const busyCost = median(busyMem) + median(shims);
  const report = {
    machine: {
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
      note: 'shared with other jobs while measured',
    },
    attempts: N,
    busyAttempts: BUSY,
    runs: runMs.length,
    gradings: GRADINGS,
    failed: failures.length,
    peak,
    startAllSeconds: Math.round(startAll / 1000),
    sandboxesAtStart: sessions,
    perIdleSandbox: {
      cgroupMiB: mib(median(idleMem)),
      shimMiB: mib(median(shims)),
      cpuPercent: Math.round(median(idleCpu) * 1000) / 1000,
    },
    perBusySandbox: { peakCgroupMiB: mib(median(busyMem)), cpuMsPerRun: Math.round(median(busyCpu)) },
    attemptsPerGiB: { idle: Math.floor(1024 / mib(idleCost)), busy: Math.floor(1024 / mib(busyCost)) },
    runUnderLoadMs: {
      ...summarize(runMs),
      floorP50: median(floor),
      ratioP50: Math.round((median(runMs) / median(floor)) * 10) / 10,
    },
    busyPhaseSeconds: Math.round(busyWall / 1000),
    idleReclaim: {
      reclaimed,
      seconds: Math.round(reclaimMs / 100) / 10,
      containersLeft: left,
      runAfterReclaimMsP50: median(recreateMs),
      ratioOverFloor: Math.round((median(recreateMs) / median(floor)) * 10) / 10,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (failures.length) process.stdout.write(`failures:\n  ${failures.slice(0, 20).join('\n  ')}\n`);
  process.exitCode = failures.length ? 1 : 0;
} finally {
  clearInterval(poll);
  if (floorSession) await driver.destroy(floorSession).catch(() => {});
  await app.close().catch(() => {});
  await app.sandbox.removeEverything().catch(() => {});
}
