/** The `worksample` command as an author uses it: real process, real SQLite file. */
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDir } from '../helpers/process.ts';

describe('worksample CLI', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;
  beforeEach(async () => {
    tmp = await tempDir();
    env = { DATABASE_URL: `sqlite:${tmp.dir}/ws.db`, PUBLIC_URL: 'https://hire.example.com' };
  });
  afterEach(() => tmp.remove());

  it('adds users, imports and lists tasks, and prints an invitation link', async () => {
    const add = await runCli(['users', 'add', '--role', 'author', '--email', 'Author@Example.com'], env);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/created author author@example.com/);
    expect(add.stdout).toMatch(/password: \S{20}/);

    const dup = await runCli(
      ['users', 'add', '--role', 'author', '--email', 'author@example.com', '--password', 'long enough pw'],
      env,
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toBe('worksample: a user with email author@example.com already exists');

    expect((await runCli(['tasks', 'list'], env)).stdout).toMatch(/no tasks imported yet/);
    const imp = await runCli(['tasks', 'import', 'tasks/hello-llm'], env);
    expect(imp.stdout).toMatch(/^imported {2}hello-llm v1/);
    expect((await runCli(['tasks', 'import', 'tasks/hello-llm'], env)).stdout).toMatch(
      /^unchanged {2}hello-llm v1/,
    );
    expect((await runCli(['tasks', 'list'], env)).stdout).toMatch(/hello-llm {2}v1 \(1 version\) {2}code/);

    const inv = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'cand@example.com', '--name', 'Cand Idate'],
      env,
    );
    expect(inv.code).toBe(0);
    expect(inv.stdout).toMatch(/^https:\/\/hire\.example\.com\/i\/[A-Za-z0-9_-]{43}$/m);
  });

  it('validates a task folder and lists every problem with file and field', async () => {
    const dir = path.join(tmp.dir, 'hello-llm');
    await cp(path.join(repoRoot, 'tasks/hello-llm'), dir, { recursive: true });
    const yaml = path.join(dir, 'task.yaml');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(yaml, 'utf8');
    await writeFile(
      yaml,
      text.replace(/timeLimitMinutes: \d+/, 'timeLimitMinutes: -3').replace(/weight: [\d.]+/, 'weight: 0'),
    );
    const res = await runCli(['tasks', 'validate', dir], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`${dir}/task.yaml: timeLimitMinutes:`);
    expect(res.stdout).toContain(`${dir}/task.yaml: rubric.criteria[0].weight: expected a positive number`);
    expect((await runCli(['tasks', 'validate', 'tasks/hello-llm'], env)).code).toBe(0);
  });

  it('answers usage mistakes with one line and exit code 2', async () => {
    for (const args of [
      ['bogus'],
      ['invite', '--task', 'x'],
      ['users', 'add', '--email', 'a@b.co', '--role', 'boss'],
      ['invite', '--nope'],
    ]) {
      const res = await runCli(args, env);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/^worksample: /);
    }
    const unknownTask = await runCli(['invite', '--task', 'nope', '--email', 'a@b.co', '--name', 'A'], env);
    expect(unknownTask.code).toBe(1);
    expect(unknownTask.stderr).toContain(
      'task nope not found; import it with: worksample tasks import tasks/nope',
    );
  });
});
