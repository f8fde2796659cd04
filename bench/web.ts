/**
 * `npm run bench:web`: the candidate page's budgets. Builds the web app, measures gzipped sizes (the
 * JS a page loads before Monaco; the lazily loaded Monaco chunks; the workers, for information), then
 * starts a real server on loopback and measures "editor interactive" — navigation start to the
 * `editor-interactive` mark (Monaco created with the file's model) — in Chromium with the HTTP cache
 * disabled. Prints a table and writes bench-results/web.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { percentile } from './stats.ts';
import { freePort, repoRoot, runCli, startServe } from '../tests/helpers/process.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../tests/e2e/harness.ts';

const BUDGET = { preMonacoKb: 60, monacoKb: 800, interactiveMs: 1000 };
const RUNS = 7;
const dist = path.join(repoRoot, 'web/dist');
const gz = (file: string) => gzipSync(readFileSync(path.join(dist, 'assets', file)), { level: 9 }).length;
const kb = (n: number) => Math.round((n / 1024) * 10) / 10;

function sizes() {
  execFileSync('npm', ['run', 'build:web', '--silent'], { cwd: repoRoot, stdio: 'ignore' });
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)![1]!;
  // Chunks the entry imports statically load with it; Monaco's arrive through dynamic import().
  const staticImports = [
    ...readFileSync(path.join(dist, 'assets', entry), 'utf8').matchAll(/from"\.\/([^"]+\.js)"/g),
  ].map((m) => m[1]!);
  const files = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  const preMonaco = [entry, ...staticImports];
  const monaco = files.filter((f) => /^(monaco|editor\.api)-/.test(f));
  const workers = files.filter((f) => /^(ts\.worker|editor\.worker|tsMode|node-types)-/.test(f));
  const sum = (list: string[]) => list.reduce((a, f) => a + gz(f), 0);
  return {
    preMonacoGzipKb: kb(sum(preMonaco)),
    monacoGzipKb: kb(sum(monaco)),
    monacoFiles: monaco,
    lazyLanguageAndWorkerGzipKb: Object.fromEntries(
      workers.map((f) => [f.replace(/-[^-]+\.js$/, ''), kb(gz(f))]),
    ),
  };
}

async function interactive(): Promise<{ cold: number[]; warm: number[] }> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ws-bench-web-'));
  const port = await freePort();
  const env = {
    PORT: String(port),
    DATABASE_URL: `sqlite:${tmp}/ws.db`,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DEMO_SEED: 'false',
  };
  await runCli(['tasks', 'import', 'tasks/hello-llm'], env);
  const link = (
    await runCli(['invite', '--task', 'hello-llm', '--email', 'bench@example.com', '--name', 'Bench'], env)
  ).stdout
    .trim()
    .split('\n')
    .pop()!;
  const server = await startServe(env);
  const context = await chromium.launchPersistentContext(`${tmp}/profile`, {
    executablePath: chromiumPath,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 720 },
    baseURL: server.url,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(link);
    await page.getByTestId('start').click();
    await page.locator('body[data-editor-ready=true]').waitFor();
    // Cold: a first visit (no HTTP cache, so no compiled-code cache either). Warm: a reload, as a
    // candidate coming back to the tab gets it (Chromium's HTTP cache and V8's code cache).
    const measure = async (cacheDisabled: boolean) => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const p = await context.newPage();
        const cdp = await context.newCDPSession(p);
        await cdp.send('Network.setCacheDisabled', { cacheDisabled });
        await p.goto('/attempt');
        await p.locator('body[data-editor-ready=true]').waitFor({ timeout: 30_000 });
        times.push(await p.evaluate(() => performance.getEntriesByName('editor-interactive')[0]!.startTime));
        await p.close();
      }
      return times;
    };
    const cold = await measure(true);
    return { cold, warm: await measure(false) };
  } finally {
    await context.close();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

const s = sizes();
const { cold: times, warm } = await interactive();
const median = Math.round(percentile(times, 50));
const warmMedian = Math.round(percentile(warm, 50));
const rows = [
  [
    'JS before Monaco (gzip)',
    `${s.preMonacoGzipKb} KB`,
    `≤ ${BUDGET.preMonacoKb} KB`,
    s.preMonacoGzipKb <= BUDGET.preMonacoKb,
  ],
  [
    'Monaco chunks (gzip)',
    `${s.monacoGzipKb} KB`,
    `≤ ${BUDGET.monacoKb} KB`,
    s.monacoGzipKb <= BUDGET.monacoKb,
  ],
  [
    `editor interactive (median of ${RUNS}, no cache)`,
    `${median} ms`,
    `≤ ${BUDGET.interactiveMs} ms`,
    median <= BUDGET.interactiveMs,
  ],
] as const;
console.log('\nweb budgets');
for (const [what, value, budget, ok] of rows)
  console.log(`  ${what.padEnd(44)} ${value.padStart(10)}  ${budget.padEnd(10)} ${ok ? 'ok' : 'OVER'}`);
console.log(
  `  ${`editor interactive (median of ${RUNS}, reload)`.padEnd(44)} ${`${warmMedian} ms`.padStart(10)}`,
);
console.log('  lazily loaded later (gzip KB):', s.lazyLanguageAndWorkerGzipKb);
await mkdir(path.join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(
  path.join(repoRoot, 'bench-results/web.json'),
  JSON.stringify(
    {
      measuredAt: new Date().toISOString(),
      budget: BUDGET,
      sizes: s,
      editorInteractiveMs: { median, runs: times.map(Math.round) },
      editorInteractiveReloadMs: { median: warmMedian, runs: warm.map(Math.round) },
    },
    null,
    2,
  ) + '\n',
);
