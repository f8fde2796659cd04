/**
 * A sandbox worker on another host (issue 18), with real parts on one machine: the worker and its own
 * Docker engine live in a network namespace of their own (tests/helpers/worker-host.ts), reaching
 * Postgres and the API server's gateway over a veth network; the API server (`serve`,
 * `SANDBOX_DRIVER=workers`, no Docker socket) runs on this machine. A candidate's Run there calls the
 * model through the worker's forwarder across that network, and cannot reach the worker's own API at
 * the address its sandbox sees; the submission is graded on that host's engine. `npm run
 * bench:multihost` runs three such hosts under load.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  openAsCandidate,
  repoRoot,
  runCli,
  startServe,
  type ServerProcess,
} from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';
import { canMakeHosts, WorkerHost } from '../helpers/worker-host.ts';
import { freshDatabaseUrl } from '../../server/testing/index.ts';

const ready = (await sandboxesReady()) && (await canMakeHosts());
const havePostgres = needs('postgres', Boolean(process.env.TEST_DATABASE_URL), 'set TEST_DATABASE_URL');

const program = (workerApi: string) => `
const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'Say hello' }] }),
});
let api = 'unreachable';
try {
  const res = await fetch('${workerApi}', { signal: AbortSignal.timeout(1000) });
  api = 'answered ' + res.status;
} catch {}
const host = new URL(process.env.OPENAI_BASE_URL).hostname;
try {
  const res = await fetch('http://' + host + ':8082/status', { signal: AbortSignal.timeout(1000) });
  api += ', at the gateway address answered ' + res.status;
} catch {}
console.log(['model', r.status, 'worker api', api].join(' '));
process.exit(0);
`;

describe.runIf(
  havePostgres &&
    needs('docker', ready, `${sandboxesHint}; run as root with iproute2 and util-linux (ip netns, nsenter)`),
)('a sandbox worker on its own host', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  it('runs, calls the model across the network, and grades there; the worker API stays out of reach', async () => {
    const fresh = await freshDatabaseUrl('postgres');
    cleanup.push(fresh.drop);
    const token = randomBytes(24).toString('hex');
    const gatewayPort = await freePort();
    const host = await WorkerHost.create(200, { database: fresh.url, gatewayPort });
    cleanup.push(() => host.remove());
    await host.startWorker({ database: fresh.url, token, gatewayPort });

    const port = await freePort();
    const env = {
      DATABASE_URL: fresh.url,
      WORKER_TOKEN: token,
      GATEWAY_PORT: String(gatewayPort),
      DEMO_SEED: 'false',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SANDBOX_DRIVER: 'workers',
      SANDBOX_POOL_SIZE: '0',
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    };
    expect((await runCli(['tasks', 'import', `${repoRoot}/tasks/hello-llm`], env)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'ada@example.com', '--name', 'Ada'],
      env,
    );
    expect(invite.code, invite.stderr).toBe(0);
    const server: ServerProcess = await startServe(env);
    cleanup.push(() => server.stop('SIGKILL'));
    const url = server.url;
    const headers = await openAsCandidate(invite.stdout.trim().split('\n').pop()!, url);
    const attemptId = (await (await fetch(`${url}/api/candidate/start`, { method: 'POST', headers })).json())
      .attempt.id as string;
    const saved = await fetch(`${url}/api/attempts/${attemptId}/file`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ path: 'main.mjs', content: program(`http://${host.far}:8082/status`) }),
    });
    expect(saved.status).toBe(200);
    const started = await fetch(`${url}/api/attempts/${attemptId}/runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'run' }),
    });
    expect(started.status, await started.clone().text()).toBe(202);
    const runId = (await started.json()).run.id as string;
    const events = await (
      await fetch(`${url}/api/attempts/${attemptId}/runs/${runId}/events`, { headers })
    ).text();
    expect(events).toContain('event: exit\ndata: {"verdict":"ok"');
    // The model answered through the forwarder on the worker's host; neither the worker's address on its
    // host's network nor its sandbox network's gateway address let the sandbox reach the worker's API.
    expect(events).toContain('model 200 worker api unreachable\\n');
    // The sandbox ran on the worker host's engine, not this machine's.
    expect(
      (await host.docker.listContainers({ filters: { label: [`org.worksample.owner=${attemptId}`] } }))
        .length,
    ).toBe(1);

    const submitted = await fetch(`${url}/api/attempts/${attemptId}/submit`, { method: 'POST', headers });
    expect(submitted.status, await submitted.text()).toBe(200);
    const db = new pg.Client({ connectionString: fresh.url });
    await db.connect();
    cleanup.push(() => db.end());
    let grade: { status: string; tries: number; error: string | null } | undefined;
    for (let i = 0; i < 240; i++) {
      grade = (await db.query('select status, tries, error from grades where attempt_id = $1', [attemptId]))
        .rows[0];
      if (grade && (grade.status === 'done' || grade.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(grade).toMatchObject({ status: 'done', tries: 1, error: null });
  });
});
