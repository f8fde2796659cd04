/**
 * Candidate code in a real Docker sandbox calling the LLM gateway through the product path: start the
 * attempt (its task allows the LLM, so the sandbox gets a private network and the gateway listens on that
 * network's gateway address), save a script, Run it, follow the live output. Also: the private network
 * reaches the gateway port and nothing else on that address, the sandbox sees only its gateway key, and an
 * exhausted budget reaches the candidate as a 429 that names it.
 */
import path from 'node:path';
import { serve } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostFirewall } from '../../server/sandbox/index.ts';
import { makeTestApp, repoRoot, type Browser, type TestApp } from '../../server/testing/index.ts';
import { followEvents, stdoutOf } from '../../server/testing/sse.ts';
import { importTask } from '../../server/tasks/import.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesReady, makeDriver } from '../helpers/docker.ts';
import { freePort } from '../helpers/process.ts';

const SECRET = 'sk-test-SECRET-provider-7d1e0b';

const ready = await sandboxesReady();
const firewall = ready ? await hostFirewall() : undefined;

describe.runIf(
  needs(
    'docker',
    ready && Boolean(firewall?.available),
    'install docker.io and iptables, start dockerd as root, then npm run sandboxes:build -- --offline',
  ),
)('candidate code calling the LLM gateway from a Docker sandbox', () => {
  let t: TestApp;
  let gatewayPort: number;

  beforeEach(async () => {
    gatewayPort = await freePort();
    const driver = await makeDriver(gatewayPort, { firewall });
    // The provider key is in the server's configuration; no sandbox may see it.
    t = await makeTestApp({
      driver,
      env: { GATEWAY_PORT: String(gatewayPort), OPENAI_API_KEY: SECRET },
      sandbox: { poolSize: 0 },
    });
    await t.importExample();
    await importTask(t.ctx, path.join(repoRoot, 'server/llm-gateway/fixtures/gw-python'));
  });
  afterEach(async () => {
    await t.close();
    await t.services.gateway.close();
  });

  /** Saves the file, runs the task's run command and returns the live stdout and the final verdict. */
  async function runFile(browser: Browser, attemptId: string, file: string, content: string) {
    const put = await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, { path: file, content });
    expect(put.status, put.text).toBe(200);
    const run = await t.req(browser, 'POST', `/api/attempts/${attemptId}/runs`, { kind: 'run' });
    expect(run.status, run.text).toBe(202);
    const events = await followEvents(t, browser, attemptId, run.json.run.id);
    const stderr = events
      .filter((e) => e.event === 'stderr')
      .map((e) => e.data)
      .join('');
    return { stdout: stdoutOf(events), stderr, end: events.at(-1)?.data };
  }

  async function transcript(attemptId: string) {
    return (await t.req(await t.staff('admin'), 'GET', `/api/attempts/${attemptId}/llm`)).json as {
      usage: { requests: number };
      calls: Array<Record<string, any>>;
    };
  }

  it('runs node code using the openai SDK; only the gateway port is reachable and no provider key is in the env', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.services.runs.settle();
    const sandbox = await t.services.sandbox.existing(attemptId);
    expect(sandbox, 'a container is assigned at start').toBeDefined();
    const { session } = await sandbox!;
    const gatewayAddress = session.gatewayAddress!;
    expect(gatewayAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const main = `
import OpenAI from 'openai';
const client = new OpenAI({ maxRetries: 0 }); // OPENAI_BASE_URL and OPENAI_API_KEY come from the env
const r = await client.chat.completions.create({
  model: 'mock-small',
  messages: [{ role: 'user', content: 'hello from the sandbox' }],
});
console.log('ANSWER: ' + r.choices[0].message.content);
`;
    const first = await runFile(browser, attemptId, 'main.mjs', main);
    expect(first.end, first.stderr).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(first.stdout).toContain('ANSWER: Hi! Ask me for some JSON.');
    const { calls } = await transcript(attemptId);
    expect(calls).toEqual([
      expect.objectContaining({ status: 200, content: 'Hi! Ask me for some JSON.', purpose: 'attempt' }),
    ]);
    expect(calls[0]!.request.messages[0].content).toBe('hello from the sandbox');

    // The main API, served on the same host address at another port: the host reaches it, the sandbox must not.
    const apiPort = await freePort();
    const api = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: t.app.fetch, hostname: gatewayAddress, port: apiPort }, () => resolve(s));
    });
    try {
      const fromHost = await fetch(`http://${gatewayAddress}:${apiPort}/api/health`);
      expect(fromHost.status, 'the API listener is up').toBe(200);
      const probe = `
const get = (url) => fetch(url, { signal: AbortSignal.timeout(2000) })
  .then((r) => 'status:' + r.status, (e) => 'error:' + (e.cause?.code ?? e.name));
const gw = process.env.OPENAI_BASE_URL;
console.log('GATEWAY ' + await get(gw + '/models'));
console.log('API ' + await get('http://${gatewayAddress}:${apiPort}/api/health'));
console.log('ENV ' + JSON.stringify(Object.entries(process.env).filter(([k, v]) => /OPENAI|KEY|SECRET|TOKEN/i.test(k) || /sk-/.test(v))));
console.log('ALL ' + JSON.stringify(process.env));
`;
      const probed = await runFile(browser, attemptId, 'main.mjs', probe);
      expect(probed.end, probed.stderr).toMatchObject({ verdict: 'ok' });
      // /v1/models needs the key; a 401 still shows the port answers.
      expect(probed.stdout).toMatch(/^GATEWAY status:401$/m);
      expect(probed.stdout).toMatch(/^API error:/m);
      expect(probed.stdout).not.toMatch(/^API status:/m);
      const envLine = /^ENV (.*)$/m.exec(probed.stdout)![1]!;
      const keys = Object.fromEntries(JSON.parse(envLine) as Array<[string, string]>);
      expect(Object.keys(keys).sort()).toEqual(['OPENAI_API_KEY', 'OPENAI_BASE_URL']);
      expect(keys.OPENAI_API_KEY).toMatch(/^wsk-/);
      expect(keys.OPENAI_BASE_URL).toBe(`http://${gatewayAddress}:${gatewayPort}/v1`);
      expect(probed.stdout).not.toContain(SECRET);
    } finally {
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });

  it('runs python code calling the gateway over plain HTTP until the request budget runs out', async () => {
    const { browser, attemptId } = await t.startedCandidate('Py', 'py@example.com', 'gw-python');
    const main = `
import os
import httpx
import requests

base = os.environ["OPENAI_BASE_URL"]
headers = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
models = httpx.get(base + "/models", headers=headers, timeout=10).json()
print("MODELS", ",".join(m["id"] for m in models["data"]))
for i in range(6):
    r = requests.post(
        base + "/chat/completions",
        headers=headers,
        json={"model": "mock-small", "messages": [{"role": "user", "content": "What is the capital of Norway?"}]},
        timeout=10,
    )
    if r.status_code == 200:
        print("ANSWER", r.json()["choices"][0]["message"]["content"])
    else:
        e = r.json()["error"]
        print("ERROR", r.status_code, r.headers.get("x-should-retry"), e["code"], e["message"])
`;
    const run = await runFile(browser, attemptId, 'main.py', main);
    expect(run.end, run.stderr).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('MODELS mock-small');
    // The budget is 4 requests.
    expect(lines.slice(1, 5)).toEqual(Array(4).fill('ANSWER The capital of Norway is Oslo.'));
    for (const line of lines.slice(5, 7)) {
      expect(line).toBe(
        'ERROR 429 false budget_requests_exhausted Request budget exhausted: this attempt may make 4 model requests and has made 4.',
      );
    }
    const { calls, usage } = await transcript(attemptId);
    expect(usage.requests).toBe(4);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
