/**
 * Browser tests: a real `worksample serve` on a temp SQLite database and Debian's Chromium driven by
 * playwright-core. Only loopback is used.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { needs } from '../helpers/require.ts';
import { repoRoot, runCli, serveEnv, startServe, tempDir, type ServerProcess } from '../helpers/process.ts';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = () =>
  needs('chromium', existsSync(chromiumPath), 'apt-get install chromium (or set CHROMIUM_PATH)');
export const artifacts = path.join(repoRoot, 'test-artifacts/e2e');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The password of every staff user the e2e tests add. */
export const STAFF_PASSWORD = 'correct horse battery staple';

export interface Env {
  server: ServerProcess;
  env: Record<string, string>;
  dbFile: string;
  /** Creates an invitation through the CLI and returns its link. */
  invite(task: string, email: string, name?: string): Promise<string>;
  /** Adds a staff user with STAFF_PASSWORD through the CLI, as an operator would. */
  addUser(role: 'admin' | 'reviewer' | 'author', email: string, name?: string): Promise<void>;
  close(): Promise<void>;
}

/** Imports `tasks` (folders relative to the repo) into a fresh database and starts the server. */
export async function startEnv(tasks: string[], extra: Record<string, string> = {}): Promise<Env> {
  const tmp = await tempDir('ws-e2e-');
  const env = await serveEnv(tmp.dir, extra);
  const dbFile = `${tmp.dir}/ws.db`;
  for (const t of tasks) {
    const r = await runCli(['tasks', 'import', t], env);
    if (r.code !== 0) throw new Error(`import ${t}: ${r.stderr}`);
  }
  const server = await startServe(env);
  return {
    server,
    env,
    dbFile,
    async invite(task, email, name = 'Ada Lovelace') {
      const r = await runCli(['invite', '--task', task, '--email', email, '--name', name], env);
      if (r.code !== 0) throw new Error(`invite: ${r.stderr}`);
      return r.stdout.trim().split('\n').pop()!;
    },
    async addUser(role, email, name) {
      const args = ['users', 'add', '--role', role, '--email', email, '--password', STAFF_PASSWORD];
      const r = await runCli(name ? [...args, '--name', name] : args, env);
      if (r.code !== 0) throw new Error(`users add ${email}: ${r.stderr}`);
    },
    async close() {
      await server.stop();
      await tmp.remove();
    },
  };
}

export interface Browsing {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh Chromium profile with one page at 1280×720. */
export async function openBrowser(
  baseURL: string,
  viewport = { width: 1280, height: 720 },
): Promise<Browsing> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'ws-chromium-'));
  // A fresh profile per browser: no IndexedDB or cookies carried between tests.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    args: CHROMIUM_ARGS,
    viewport,
    baseURL,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Signs a staff user (added with STAFF_PASSWORD) in through the review login form. */
export async function signIn(page: Page, email: string) {
  await page.goto('/review');
  await page.getByTestId('login-form').waitFor();
  // The login form renders before the app rewrites the URL (an effect), so wait for the redirect.
  await page.waitForURL(/\/login\?next=%2Freview$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(STAFF_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('signed-in').waitFor();
}

export async function shot(page: Page, name: string) {
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

/** Waits until the header says everything is saved. */
export async function saved(page: Page) {
  await page.locator('[data-testid=save-state][data-status=saved]').waitFor();
}

/** The attempt id from the candidate view. */
export async function attemptId(page: Page): Promise<string> {
  const r = await page.request.get('/api/candidate');
  return ((await r.json()) as { attempt: { id: string } }).attempt.id;
}

export async function serverFile(page: Page, id: string, file: string): Promise<string> {
  const r = await page.request.get(`/api/attempts/${id}/file?path=${encodeURIComponent(file)}`);
  return ((await r.json()) as { content: string }).content;
}

/** Types at the end of the open Monaco editor (`delay`: ms between keys, as a person types). */
export async function typeInEditor(page: Page, text: string, opts: { delay?: number } = {}) {
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text, opts);
}

/** The visible text of the Monaco editor (Monaco renders spaces as no-break spaces). */
export async function editorText(page: Page): Promise<string> {
  return (await page.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' ');
}

/** A candidate driven through the HTTP API alone (no browser): the link opened, cookies and CSRF kept. */
export interface CandidateApi {
  call(method: string, url: string, body?: unknown): Promise<Record<string, any>>;
}

/** Opens an invitation link like a candidate's browser and returns an API caller with its session. */
export async function candidateApi(env: Env, link: string): Promise<CandidateApi> {
  const base = env.server.url.replace(/\/$/, '');
  const opened = await fetch(link, { redirect: 'manual' });
  const cookie = opened.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await (await fetch(`${base}/api/candidate`, { headers: { cookie } })).json()) as {
    csrfToken: string;
  };
  const h = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
  return {
    async call(method, url, body) {
      const r = await fetch(base + url, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, any>>;
    },
  };
}
