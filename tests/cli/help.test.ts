/** `--version` and per-verb `--help` through the real command; `serve --help` must not start a server. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, repoRoot, runCli } from '../helpers/process.ts';

describe('worksample --version and --help', () => {
  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const r = await runCli(['--version'], {});
    expect(r).toMatchObject({ code: 0, stdout: `worksample ${version}\n` });
  });

  it('serve --help prints the usage of serve and exits without listening', async () => {
    const port = await freePort();
    const r = await runCli(['serve', '--help'], { PORT: String(port) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:\n {2}worksample serve /);
    expect(r.stdout).not.toMatch(/running at/);
    expect(r.stdout).not.toMatch(/worksample tasks/);
  });

  it('tasks -h lists only the task verbs', async () => {
    const r = await runCli(['tasks', '-h'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/worksample tasks validate/);
    expect(r.stdout).toMatch(/worksample tasks verify <dir>\.\.\. \[--skip-tamper\][^\n]*\n {40,}solution/);
    expect(r.stdout).not.toMatch(/worksample (serve|users|invite)/);
  });
});
