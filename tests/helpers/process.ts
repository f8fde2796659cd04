/** Runs the real `worksample` command in a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repoRoot, 'bin/worksample.js');

export async function tempDir(prefix = 'ws-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A free loopback port (the OS picks one; a tiny race is acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The environment of a `worksample serve` on a free loopback port with a SQLite file in `dir`, no demo
 * seed (unless `extra` says otherwise), plus `extra`.
 */
export async function serveEnv(
  dir: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    PORT: String(port),
    DATABASE_URL: `sqlite:${dir}/ws.db`,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DEMO_SEED: 'false',
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `worksample ...args` to completion. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  url: string;
  stdout: () => string;
  stderr: () => string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `worksample serve` and resolves once it prints its URL; nodeArgs go before the script (e.g. --cpu-prof). */
export async function startServe(
  env: Record<string, string>,
  opts: { nodeArgs?: string[]; verb?: 'serve' | 'worker' } = {},
): Promise<ServerProcess> {
  const gatewayPort = await freePort();
  return new Promise((resolve, reject) => {
    // The local driver keeps these servers off the Docker engine, where sandbox suites run in parallel.
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), bin, opts.verb ?? 'serve'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        SANDBOX_DRIVER: 'local',
        SANDBOX_POOL_SIZE: '0',
        GATEWAY_PORT: String(gatewayPort),
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill(signal);
      });
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`server did not start in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 30_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      // The banner is written in one piece (one small write: atomic on a pipe), after the listener is
      // up; a log line may come after it in the same chunk (LOG_LEVEL=info), so its end is not the end.
      const m = /running at (\S+)[\s\S]*?\n\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, stdout: () => stdout, stderr: () => stderr, child, stop });
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
}

/** Starts `worksample worker` (a sandbox worker) and resolves once it prints its address. */
export function startWorkerProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startServe(env, { verb: 'worker' });
}

/**
 * Opens an invitation link as a candidate's browser would and answers the headers of that browser
 * (session cookie, CSRF token, JSON) for requests to `base`.
 */
export async function openAsCandidate(link: string, base: string): Promise<Record<string, string>> {
  const open = await fetch(link, { redirect: 'manual' });
  const cookie = open.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const { csrfToken } = (await fetch(`${base}/api/candidate`, { headers: { cookie } }).then((r) =>
    r.json(),
  )) as {
    csrfToken: string;
  };
  return { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
}
