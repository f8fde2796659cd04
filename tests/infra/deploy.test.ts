/**
 * The deployment an operator follows, for real: `docker-compose up -d --build` of the project's own
 * docker-compose.yml and Dockerfile (base images are offline stand-ins, tests/infra/stand-ins), with
 * an env file as README's "Deploying with docker-compose" writes it, then driven from the host over
 * the published loopback port only: health, readiness (LLM tasks runnable in attach mode), the
 * first-run banner with links built from PUBLIC_URL as given, an invitation created by the admin
 * through the API, the candidate's Run of an LLM task whose code calls the gateway from its sandbox,
 * submit, the hidden-test grade. Then SIGTERM (`docker-compose stop`) ends the server in time, and
 * `docker-compose down -v` leaves no container, network or volume of the project or of its sandboxes.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../server/sandbox/docker/hardening.ts';
import { docker, sandboxesReady, sandboxesHint } from '../helpers/docker.ts';
import { freePort, tempDir } from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { composeCommand, operatorEnv, repoRoot, runCompose } from './compose-cli.ts';
import { standInsReady } from './stand-ins/index.ts';

const compose = composeCommand();
const ready =
  needs('docker', await sandboxesReady(), sandboxesHint) &&
  needs(
    'compose',
    compose !== undefined && (await standInsReady(docker)),
    'apt-get install docker-compose, then build the base image stand-ins: npx tsx tests/infra/stand-ins/cli.ts',
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cookie header from a response's Set-Cookie lines. */
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');

describe.runIf(ready)('docker-compose.yml deployed for real', () => {
  const project = `wsdeploy${process.pid}`;
  const instance = `deploy-${process.pid}`;
  let dir: { dir: string; remove(): Promise<void> };
  let envFile: string;
  let base: string;
  let publicUrl: string;
  let banner = '';

  const dc = (args: string[], timeoutMs?: number) =>
    runCompose(compose!, ['--env-file', envFile, '-p', project, ...args], {
      env: operatorEnv(),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  let lastLogs = '';
  const logs = async () => (lastLogs = (await dc(['logs', '--no-color', 'worksample'])).output);
  /** Names of what the deployment's sandboxes left (containers, networks, volumes). */
  const sandboxLeft = async () => ({
    containers: (
      await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${instance}`] } })
    ).map((c) => c.Names[0]),
    networks: (await docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } })).map(
      (n) => n.Name,
    ),
    volumes: ((await docker.listVolumes({ filters: { label: [`${LABEL}=${instance}`] } })).Volumes ?? []).map(
      (v) => v.Name,
    ),
  });

  beforeAll(async () => {
    dir = await tempDir('ws-deploy-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Not the address the test uses, and not the container's port: links must use it as given.
    publicUrl = `http://localhost:${port}`;
    envFile = path.join(dir.dir, '.env');
    const settings = path.join(dir.dir, 'worksample.env');
    await writeFile(
      envFile,
      [
        `POSTGRES_PASSWORD=${randomBytes(18).toString('hex')}`,
        `DOCKER_GID=${statSync('/var/run/docker.sock').gid}`,
        `PUBLIC_URL=${publicUrl}`,
        'WORKSAMPLE_BIND=127.0.0.1',
        `WORKSAMPLE_PORT=${port}`,
        `WORKSAMPLE_ENV_FILE=${settings}`,
        '',
      ].join('\n'),
    );
    // The shipped worksample.env, plus the first-run demo (admin, tasks, invitations: off in
    // production unless asked for) and a sandbox label of this test's own.
    const shipped = await readFile(path.join(repoRoot, 'worksample.env'), 'utf8');
    await writeFile(settings, `${shipped}\nDEMO_SEED=true\nSANDBOX_INSTANCE=${instance}\n`);

    const up = await dc(['up', '-d', '--build'], 25 * 60_000);
    expect(up.code, up.output.slice(-4000)).toBe(0);
    for (let i = 0; i < 240; i++) {
      banner = await logs();
      if (/worksample is running at/.test(banner)) break;
      await sleep(500);
    }
    expect(banner, 'the server printed its banner').toMatch(/worksample is running at/);
  }, 30 * 60_000);

  afterAll(async () => {
    // The whole server log, for a failure's post-mortem (CI keeps the folder).
    if (envFile) {
      const all = (await dc(['logs', '--no-color'], 60_000).catch(() => undefined))?.output ?? '';
      const artifacts = path.join(repoRoot, 'test-artifacts/deploy');
      await mkdir(artifacts, { recursive: true });
      await writeFile(path.join(artifacts, `${project}.log`), /\|/.test(all) ? all : lastLogs);
    }
    // Whatever a failed step left: the project, then anything of its sandboxes.
    if (envFile) await dc(['down', '-v', '--remove-orphans'], 120_000).catch(() => {});
    for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${instance}`] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
    for (const n of await docker.listNetworks({ filters: { label: [`${LABEL}=${instance}`] } }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {});
    const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL}=${instance}`] } });
    for (const v of Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => {});
    // The built image's tag goes too (its layers stay as the build cache of the next run).
    await docker
      .getImage(`${project}_worksample`)
      .remove({ noprune: true })
      .catch(() => {});
    await dir?.remove();
  }, 180_000);

  it('answers /api/health, and /api/ready says code and LLM tasks can run', async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });

    let body: { ok?: boolean; database?: unknown; capabilities?: unknown } = {};
    for (let i = 0; i < 60; i++) {
      body = await (await fetch(`${base}/api/ready`)).json();
      if ((body.capabilities as { llmTasks?: { ok: boolean } })?.llmTasks?.ok) break;
      await sleep(1000);
    }
    expect(body).toMatchObject({
      ok: true,
      database: { ok: true, dialect: 'postgres' },
      capabilities: { codeTasks: { ok: true }, llmTasks: { ok: true } },
    });
  });

  it('prints the first-run admin and invitation links built from PUBLIC_URL as given', () => {
    expect(banner).toContain(`worksample is running at ${publicUrl}\n`);
    expect(banner).toMatch(/database: postgres +LLM: mock +sandbox: docker\n/);
    expect(banner).toMatch(/email: +admin@worksample\.local/);
    expect(banner).toMatch(/password: +\S{12,}/);
    const links = [...banner.matchAll(/ (\S+): (\S+\/i\/[A-Za-z0-9_-]+)\s*$/gm)].map((m) => [m[1], m[2]]);
    expect(links.map(([task]) => task)).toContain('hello-llm');
    for (const [, link] of links) expect(link!.startsWith(`${publicUrl}/i/`), link).toBe(true);
    expect(banner).not.toMatch(/could not import/);
  });

  it('lets the admin invite, and the candidate run an LLM task that calls the gateway, submit and be graded', async () => {
    // The admin signs in with the banner's password and invites through the API.
    const password = /password: +(\S+)/.exec(banner)![1]!;
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@worksample.local', password }),
    });
    expect(login.status).toBe(200);
    const staff = { cookie: cookieOf(login), 'x-csrf-token': (await login.json()).csrfToken as string };
    const invited = await fetch(`${base}/api/invitations`, {
      method: 'POST',
      headers: { ...staff, 'content-type': 'application/json' },
      body: JSON.stringify({
        taskSlug: 'hello-llm',
        candidateName: 'Dee Ploy',
        candidateEmail: 'dee@example.com',
      }),
    });
    expect(invited.status).toBe(201);
    const { link } = (await invited.json()) as { link: string };
    expect(link.startsWith(`${publicUrl}/i/`), link).toBe(true);

    // The candidate opens the link (through the published port, as the proxy would) and starts.
    const open = await fetch(`${base}${new URL(link).pathname}`, { redirect: 'manual' });
    expect(open.status).toBe(303);
    const cookie = cookieOf(open);
    const { csrfToken } = await (await fetch(`${base}/api/candidate`, { headers: { cookie } })).json();
    const headers = { cookie, 'x-csrf-token': csrfToken as string, 'content-type': 'application/json' };
    const started = await fetch(`${base}/api/candidate/start`, { method: 'POST', headers });
    expect(started.status).toBe(200);
    const attemptId = ((await started.json()) as { attempt: { id: string } }).attempt.id;

    const main = [
      "import OpenAI from 'openai';",
      'const client = new OpenAI({ maxRetries: 0 });',
      "const r = await client.chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: 'hello' }] });",
      "console.log('ANSWER: ' + r.choices[0].message.content);",
      '',
    ].join('\n');
    const put = (p: string, content: string) =>
      fetch(`${base}/api/attempts/${attemptId}/file`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ path: p, content }),
      });
    expect((await put('main.mjs', main)).status).toBe(200);
    const run = await fetch(`${base}/api/attempts/${attemptId}/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'run' }),
    });
    expect(run.status).toBe(202);
    const runId = ((await run.json()) as { run: { id: string } }).run.id;
    const events = await (
      await fetch(`${base}/api/attempts/${attemptId}/runs/${runId}/events`, { headers: { cookie } })
    ).text();
    expect(events).toContain('ANSWER: Hi! Ask me for some JSON.');
    expect(events).toMatch(/event: exit\n.*"verdict":"ok"/);
    // The sandboxes carry the deployment's label (so the emptiness checked at the end means something).
    expect((await sandboxLeft()).containers.length).toBeGreaterThan(0);

    const solution = await readFile(
      path.join(repoRoot, 'tasks/hello-llm/solution/parse-model-json.mjs'),
      'utf8',
    );
    expect((await put('parse-model-json.mjs', solution)).status).toBe(200);
    const submitted = await fetch(`${base}/api/attempts/${attemptId}/submit`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(submitted.status).toBe(200);

    type Grade = { status: string; verdict: string | null; passed: number; failed: number };
    let grade: Grade | null = null;
    for (let i = 0; i < 180; i++) {
      const res = await fetch(`${base}/api/attempts/${attemptId}/grade`, {
        headers: { cookie: staff.cookie },
      });
      grade = ((await res.json()) as { grade: Grade | null }).grade;
      if (grade?.status === 'done' || grade?.status === 'error') break;
      await sleep(1000);
    }
    expect(grade).toMatchObject({ status: 'done', verdict: 'passed', failed: 0 });
    expect(grade!.passed).toBeGreaterThanOrEqual(8);
  });

  it('stops within the grace period on SIGTERM, and down -v leaves nothing behind', async () => {
    const [server] = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${project}`, 'com.docker.compose.service=worksample'] },
    });
    expect(server, 'the worksample container').toBeDefined();
    const image = await docker.getImage(server!.ImageID).inspect();
    // The production image's size, for the record (issue 12 quotes it).
    process.stderr.write(`deploy test: image ${server!.Image} is ${(image.Size / 1e6).toFixed(0)} MB\n`);

    const stop = await dc(['stop', '-t', '10', 'worksample'], 60_000);
    expect(stop.code, stop.output).toBe(0);
    const state = (await docker.getContainer(server!.Id).inspect()).State;
    const text = await logs();
    // 0, not 137: the server ended by itself on SIGTERM, before Docker's kill at 10 s.
    expect({ exitCode: state.ExitCode, oomKilled: state.OOMKilled }, text.slice(-3000)).toEqual({
      exitCode: 0,
      oomKilled: false,
    });
    expect(text).toMatch(/shutdown: destroyed sandboxes/);

    const down = await dc(['down', '-v'], 120_000);
    expect(down.code, down.output).toBe(0);
    const byProject = { label: [`com.docker.compose.project=${project}`] };
    const left = {
      containers: (await docker.listContainers({ all: true, filters: byProject })).length,
      networks: (await docker.listNetworks({ filters: byProject })).length,
      networksByName: (await docker.listNetworks({ filters: { name: [`${project}_`] } })).length,
      volumes: ((await docker.listVolumes({ filters: byProject })).Volumes ?? []).length,
      volumesByName: ((await docker.listVolumes({ filters: { name: [`${project}_`] } })).Volumes ?? [])
        .length,
      sandboxes: await sandboxLeft(),
    };
    const steps = text.split('\n').filter((l) => l.includes('shutdown: '));
    expect(left, steps.join('\n')).toEqual({
      containers: 0,
      networks: 0,
      networksByName: 0,
      volumes: 0,
      volumesByName: 0,
      sandboxes: { containers: [], networks: [], volumes: [] },
    });
  });
});
