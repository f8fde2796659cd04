/** The Compose CLI for the infra tests: v1 `docker-compose`, else the `docker compose` plugin. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const composeFile = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

/** The command that runs Compose here, or undefined when neither answers. */
export function composeCommand(): string[] | undefined {
  for (const cmd of [['docker-compose'], ['docker', 'compose']]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const r = spawnSync(bin, [...args, 'version'], { stdio: 'ignore', timeout: 20_000 });
    if (r.status === 0) return cmd;
  }
  return undefined;
}

/** Only what an operator sets: nothing leaks into Compose's variables from the test's environment. */
export function operatorEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

export interface ComposeResult {
  code: number | null;
  output: string;
}

/** Runs `<compose> -f docker-compose.yml ...args` from the repository root; resolves with its output. */
export function runCompose(
  cmd: readonly string[],
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ComposeResult> {
  const [bin, ...rest] = cmd as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...rest, '-f', composeFile, ...args], {
      cwd: repoRoot,
      env: opts.env ?? operatorEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
