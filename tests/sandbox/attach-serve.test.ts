/**
 * The real `worksample serve` in a container with the Docker socket (as docker-compose runs it, on a
 * network this test creates): it picks attach mode by itself, reports LLM tasks as runnable, and a
 * candidate's Run of an LLM task calls the gateway from its sandbox with the openai SDK. The CLI runs
 * inside the deployment (docker exec). SIGTERM (docker stop) while a grading runs ends the server in
 * time and leaves no sandbox, network or volume behind.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { LABEL } from '../../server/sandbox/docker/hardening.ts';
import { imageFor } from '../../server/sandbox/images/index.ts';
import { repoRoot } from '../../server/testing/index.ts';
import { sandboxesReady } from '../helpers/docker.ts';
import { needs } from '../helpers/require.ts';
import { docker } from './fixtures.ts';

const ready = needs(
  'docker',
  await sandboxesReady(),
  'start dockerd, then npm run sandboxes:build -- --offline',
);

describe.runIf(ready)('worksample serve in a container: LLM tasks in attach mode', () => {
  const instance = `attach-serve-${process.pid}`;
  const netName = `attach-serve-net-${process.pid}`;
  let server: Docker.Container;
  let base: string;
  let logs = '';

  const exec = async (argv: string[]): Promise<string> => {
    const e = await server.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, WorkingDir: repoRoot });
    const stream = await e.start({ hijack: true, stdin: false });
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      docker.modem.demuxStream(
        stream,
        { write: (c: Buffer) => out.push(c) } as never,
        { write: (c: Buffer) => out.push(c) } as never,
      );
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    return Buffer.concat(out).toString('utf8');
  };

  beforeAll(async () => {
    await docker.createNetwork({ Name: netName, Driver: 'bridge' });
    const modules = realpathSync(path.join(repoRoot, 'node_modules'));
    server = await docker.createContainer({
      name: `attach-serve-${process.pid}`,
      Image: await imageFor('node'),
      User: '0',
      WorkingDir: repoRoot,
      Cmd: ['/opt/node', 'bin/worksample.js', 'serve'],
      Env: [
        'HOST=0.0.0.0',
        'PORT=8080',
        'GATEWAY_PORT=8081',
        'PUBLIC_URL=http://127.0.0.1:8080',
        'DATABASE_URL=sqlite:/tmp/ws.db',
        'WEB_DIST=/nonexistent',
        'SANDBOX_DRIVER=docker',
        `SANDBOX_INSTANCE=${instance}`,
        'SANDBOX_POOL_SIZE=0',
        'SANDBOX_AUTO_BUILD=false',
        'DEMO_SEED=false',
        'LOG_LEVEL=info',
      ],
      HostConfig: {
        NetworkMode: netName,
        Binds: [
          `${process.execPath}:/opt/node:ro`,
          `${repoRoot}:${repoRoot}:ro`,
          `${modules}:${modules}:ro`,
          '/var/run/docker.sock:/var/run/docker.sock',
        ],
      },
    });
    await server.start();
    const ip = (await server.inspect()).NetworkSettings.Networks[netName]!.IPAddress;
    base = `http://${ip}:8080`;
    for (let i = 0; i < 300; i++) {
      logs = (await server.logs({ stdout: true, stderr: true })).toString('utf8');
      if (/running at/.test(logs)) break;
      if (!(await server.inspect()).State.Running) throw new Error(`the server exited:\n${logs}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toMatch(/running at http:\/\/127\.0\.0\.1:8080/);
  }, 90_000);

  afterAll(async () => {
    await server?.remove({ force: true }).catch(() => {});
    await docker
      .getNetwork(netName)
      .remove()
      .catch(() => {});
  });

  it('reports LLM tasks runnable and runs one that calls the gateway; SIGTERM mid-grading leaves nothing behind', async () => {
    const ready = await (await fetch(`${base}/api/ready`)).json();
    expect(ready.capabilities).toEqual({ codeTasks: { ok: true }, llmTasks: { ok: true } });
    expect(logs).toMatch(/attaching this container to sandbox networks/);

    expect(await exec(['/opt/node', 'bin/worksample.js', 'tasks', 'import', 'tasks/hello-llm'])).toMatch(
      /hello-llm/,
    );
    const invited = await exec([
      '/opt/node',
      'bin/worksample.js',
      'invite',
      '--task',
      'hello-llm',
      '--email',
      'c@example.com',
      '--name',
      'C',
    ]);
    const token = /\/i\/([A-Za-z0-9_-]+)/.exec(invited)![1]!;

    const open = await fetch(`${base}/i/${token}`, { redirect: 'manual' });
    const cookie = open.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const { csrfToken } = await fetch(`${base}/api/candidate`, { headers: { cookie } }).then((r) => r.json());
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    const started = await fetch(`${base}/api/candidate/start`, { method: 'POST', headers }).then((r) =>
      r.json(),
    );
    const attemptId = started.attempt.id as string;
    const main = `
import OpenAI from 'openai';
const client = new OpenAI({ maxRetries: 0 });
const r = await client.chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: 'hello' }] });
console.log('ANSWER: ' + r.choices[0].message.content);
`;
    const put = await fetch(`${base}/api/attempts/${attemptId}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'main.mjs', content: main }),
    });
    expect(put.status).toBe(200);
    const run = await fetch(`${base}/api/attempts/${attemptId}/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'run' }),
    }).then((r) => r.json());
    const events = await fetch(`${base}/api/attempts/${attemptId}/runs/${run.run.id}/events`, {
      headers: { cookie },
    }).then((r) => r.text());
    expect(events).toContain('ANSWER: Hi! Ask me for some JSON.');
    expect(events).toMatch(/event: exit\n.*"verdict":"ok"/);

    // Submit with code whose import takes a while: SIGTERM arrives while grading runs in its sandbox.
    const slow = await fetch(`${base}/api/attempts/${attemptId}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        path: 'parse-model-json.mjs',
        content:
          'await new Promise((r) => setTimeout(r, 20000));\nexport const parseModelJson = () => null;\n',
      }),
    });
    expect(slow.status).toBe(200);
    const submitted = await fetch(`${base}/api/attempts/${attemptId}/submit`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(submitted.status).toBe(200);
    const grading = async () =>
      (
        await docker.listContainers({
          filters: { label: [`${LABEL}=${instance}`, 'org.worksample.purpose=grade'] },
        })
      ).length;
    for (let i = 0; i < 100 && (await grading()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await grading(), 'a grading sandbox is running').toBeGreaterThan(0);

    const stopped = performance.now();
    await server.stop({ t: 10 });
    const stopMs = performance.now() - stopped;
    const state = (await server.inspect()).State;
    logs = (await server.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(state.ExitCode, logs).toBe(0);
    expect(stopMs).toBeLessThan(9500); // exited by itself, before Docker's kill at 10 s
    expect(logs).toMatch(/shutdown: destroyed sandboxes/);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${instance}`] } });
    const nets = await docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } });
    const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL}=${instance}`] } });
    expect({ containers: left.length, networks: nets.length, volumes: Volumes?.length ?? 0 }).toEqual({
      containers: 0,
      networks: 0,
      volumes: 0,
    });
  }, 120_000);
});
