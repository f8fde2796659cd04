/**
 * A grading survives an engine error and a server crash (issue 19), with real processes and the real
 * Docker engine: a candidate submits to a `worksample serve`; the engine loses the first grading
 * container (the test kills it the moment it starts), so the try ends in an engine error and waits to
 * retry, never as the candidate's verdict; the second try's server is killed with SIGKILL while it
 * runs; a new server on the same database takes the grading up and it ends graded, passed.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  repoRoot,
  runCli,
  startServe,
  tempDir,
  type ServerProcess,
  serveEnv,
  openAsCandidate,
} from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { docker, sandboxesHint, sandboxesReady } from '../helpers/docker.ts';

const ready = await sandboxesReady(['python']);
const task = path.join(repoRoot, 'tests/fixtures/tasks/py-sum');

interface GradeRow {
  status: string;
  tries: number;
  verdict: string | null;
  passed: number;
  failed: number;
  last_error: string | null;
  error: string | null;
}

describe.runIf(needs('docker', ready, sandboxesHint))('a grading across an engine error and a crash', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess | undefined;
  let events: NodeJS.ReadableStream | undefined;
  const instance = `grading-restart-${randomBytes(4).toString('hex')}`;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    (events as unknown as { destroy?: () => void })?.destroy?.();
    await server?.stop('SIGKILL');
    for (const c of await docker.listContainers({
      all: true,
      filters: { label: [`org.worksample.managed=${instance}`] },
    }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
    await tmp.remove();
  });

  it('retries after the engine loses the container, resumes after SIGKILL, and ends graded', async () => {
    const env = await serveEnv(tmp.dir, {
      SANDBOX_DRIVER: 'docker',
      SANDBOX_INSTANCE: instance,
      SANDBOX_POOL_SIZE: '0',
      GRADING_RETRY_BASE_SECONDS: '2',
      GRADING_RETRY_MAX_SECONDS: '2',
    });
    expect((await runCli(['tasks', 'import', task], env)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'py-sum', '--email', 'ada@example.com', '--name', 'Ada'],
      env,
    );
    const link = invite.stdout.trim().split('\n').pop()!;

    // Every grading container of this server, as the engine starts it.
    const started: string[] = [];
    let onStart: (id: string) => void = () => {};
    events = (await docker.getEvents({
      filters: {
        type: ['container'],
        event: ['start'],
        label: [`org.worksample.managed=${instance}`, 'org.worksample.purpose=grade'],
      },
    })) as NodeJS.ReadableStream;
    let buffered = '';
    events.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        const id = (JSON.parse(line) as { id: string }).id;
        if (started.includes(id)) continue; // the same container again (a restart): not a new try
        started.push(id);
        onStart(id);
      }
    });

    server = await startServe(env);
    const url = server.url;
    const headers = await openAsCandidate(link, url);
    const begun = await fetch(`${url}/api/candidate/start`, { method: 'POST', headers });
    const attemptId = (await begun.json()).attempt.id as string;
    const put = await fetch(`${url}/api/attempts/${attemptId}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        path: 'calc.py',
        content: await readFile(path.join(task, 'solution/calc.py'), 'utf8'),
      }),
    });
    expect(put.status, await put.text()).toBe(200);

    // The engine error: the first grading container dies as soon as it starts.
    onStart = (id) => {
      onStart = () => {};
      void docker
        .getContainer(id)
        .kill()
        .catch(() => {});
    };
    const submitted = await fetch(`${url}/api/attempts/${attemptId}/submit`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(submitted.status, await submitted.text()).toBe(200);

    const grade = (): GradeRow | undefined => {
      const db = new Database(`${tmp.dir}/ws.db`, { readonly: true });
      try {
        return db.prepare('select * from grades where attempt_id = ?').get(attemptId) as GradeRow | undefined;
      } finally {
        db.close();
      }
    };
    // The second try: the server dies (SIGKILL) while the grading runs in its container.
    const secondTry = new Promise<void>((resolve) => {
      const wait = setInterval(() => {
        if (started.length >= 2) {
          clearInterval(wait);
          resolve();
        }
      }, 20);
    });
    await until(() => grade()?.status === 'retry_wait', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(grade())}\n${server!.stderr()}`);
    });
    // Not the candidate's verdict: no result, a try spent, the engine error kept for staff.
    const afterEngineError = grade()!;
    expect(afterEngineError).toMatchObject({ tries: 1, verdict: null, passed: 0 });
    expect(afterEngineError.last_error).toMatch(/^try 1 of 6 failed: .*(not running|sandbox stopped)/);
    await secondTry;
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server!.child.once('exit', resolve));
    expect(grade()).toMatchObject({ status: 'running', tries: 2, verdict: null });

    server = await startServe(env);
    await until(() => ['done', 'failed'].includes(grade()?.status ?? ''), 90_000);
    const final = grade()!;
    expect(final, JSON.stringify(final)).toMatchObject({
      status: 'done',
      verdict: 'passed',
      failed: 0,
      tries: 3,
      last_error: 'the server stopped during this try',
    });
    expect(final.passed).toBeGreaterThan(0);
    expect(started).toHaveLength(3);
    // The killed server's container went with the startup sweep; the finished grading's with its try.
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`org.worksample.managed=${instance}`, 'org.worksample.purpose=grade'] },
    });
    expect(left).toEqual([]);
  }, 180_000);
});

/** Polls a condition (a state change in another process; no fixed sleep decides the outcome). */
async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
