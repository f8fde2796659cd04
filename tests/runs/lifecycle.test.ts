/**
 * Processes must not outlive their Run (issue 11, item 1), through the product's HTTP path on the real
 * Docker engine. A candidate's program starts a `setsid` daemon that writes a file and polls the LLM
 * gateway every 100 ms, then kills its own parent — the wrapper shell that used to do the cleanup.
 * After the Run: no candidate process is left in the container, the file stops changing (checked by
 * another Run), and the run's gateway key, used after the Run ended, is refused and recorded as a
 * call from outside a Run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import type { DockerSession } from '../../server/sandbox/docker/driver.ts';
import { makeTestApp, type Browser, type TestApp } from '../../server/testing/index.ts';
import { followEvents, stdoutOf } from '../../server/testing/sse.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady, makeDriver } from '../helpers/docker.ts';
import { freePort } from '../helpers/process.ts';
import { containerProcesses } from '../sandbox/fixtures.ts';

const ready = await sandboxesReady(['node']);
const firewall = ready ? await hostFirewall() : undefined;

const daemonProgram = `
import { spawn } from 'node:child_process';
const daemon = \`
const fs = require('fs');
setInterval(() => {
  fs.appendFileSync('/tmp/beat', 'x');
  fetch(process.env.OPENAI_BASE_URL + '/models', {
    headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY },
  }).catch(() => {});
}, 100);
\`;
spawn('setsid', ['node', '-e', daemon], { detached: true, stdio: 'ignore' }).unref();
const r = await fetch(process.env.OPENAI_BASE_URL + '/models', {
  headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY },
});
console.log('DURING ' + r.status);
console.log('KEY ' + process.env.OPENAI_API_KEY);
await new Promise((resolve) => setTimeout(resolve, 1000));
process.kill(process.ppid, 'SIGKILL'); // the wrapper shell of the exec
`;

const checkProgram = `
import { statSync } from 'node:fs';
const size = () => { try { return statSync('/tmp/beat').size; } catch { return -1; } };
const first = size();
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log('BEAT ' + first + ' ' + size());
`;

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    'install docker.io and iptables, start dockerd as root, then npm run sandboxes:build -- --offline',
  ),
)('processes do not outlive their Run', () => {
  let t: TestApp;

  beforeEach(async () => {
    const gatewayPort = await freePort();
    const driver = await makeDriver(gatewayPort, { firewall });
    t = await makeTestApp({
      driver,
      env: { GATEWAY_PORT: String(gatewayPort), SANDBOX_RUN_SECONDS: '30' },
      sandbox: { poolSize: 0 },
    });
    await t.importExample();
  });
  afterEach(async () => {
    await t.close();
    await t.services.gateway.close();
  });

  async function runFile(browser: Browser, attemptId: string, content: string) {
    const put = await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: 'main.mjs', content });
    expect(put.status, put.text).toBe(200);
    const run = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(run.status, run.text).toBe(202);
    const events = await followEvents(t, browser, attemptId, run.json.run.id);
    return { stdout: stdoutOf(events), end: events.at(-1) };
  }

  it('a setsid daemon whose parent was killed is gone after the Run, and its key is refused outside a Run', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    const first = await runFile(browser, attemptId, daemonProgram);
    expect(first.end?.event).toBe('exit');
    expect(first.stdout).toContain('DURING 200'); // the key works while the Run is live
    const key = /^KEY (\S+)$/m.exec(first.stdout)?.[1];
    expect(key).toMatch(/^wsk-/);

    // Right after the Run: nothing of the candidate's runs in the container (listed from the host).
    const { session } = await t.services.sandbox.existing(attemptId)!;
    const procs = await containerProcesses(session as DockerSession);
    // (Zombies — already dead, waiting for the engine's shim to collect them — run nothing.)
    expect(procs.filter((p) => p.uid === 1000 && !p.args.includes('<defunct>'))).toEqual([]);

    // Another Run sees that the daemon had been writing, and that the file no longer changes.
    const check = await runFile(browser, attemptId, checkProgram);
    const [before, after] = /^BEAT (-?\d+) (-?\d+)$/m.exec(check.stdout)!.slice(1).map(Number);
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(before);

    // A call with the run's key after the Run ended: refused, OpenAI-shaped, and recorded as such.
    const late = await t.services.gateway.app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: 'still here?' }] }),
    });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({
      error: { code: 'outside_run', type: 'invalid_request_error' },
    });
    const transcript = await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`);
    const calls = transcript.json.calls as Array<{ status: number; errorCode: string | null }>;
    expect(calls).toContainEqual(expect.objectContaining({ status: 409, errorCode: 'outside_run' }));
    expect(transcript.json.usage.requests).toBe(0); // refused calls do not count against the budget
  });
});
