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
console.log('ENV ' + JSON.stringify(Object.entries(process.env).filter(([k, v]) => /OPENAI|ANTHROPIC|KEY|SECRET|TOKEN/i.test(k) || /sk-/.test(v))));
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
      expect(Object.keys(keys).sort()).toEqual([
        'ANTHROPIC_API_KEY',
        'ANTHROPIC_BASE_URL',
        'OPENAI_API_KEY',
        'OPENAI_BASE_URL',
      ]);
      expect(keys.OPENAI_API_KEY).toMatch(/^wsk-/);
      expect(keys.ANTHROPIC_API_KEY).toBe(keys.OPENAI_API_KEY);
      expect(keys.OPENAI_BASE_URL).toBe(`http://${gatewayAddress}:${gatewayPort}/v1`);
      expect(keys.ANTHROPIC_BASE_URL).toBe(`http://${gatewayAddress}:${gatewayPort}`);
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
    // The task's alias, and the embeddings alias every task gets.
    expect(lines[0]).toBe('MODELS mock-small,mock-embed');
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

  it('calls /v1/responses and /v1/messages over plain HTTP from node and python sandboxes', async () => {
    const node = await t.startedCandidate();
    const main = `
const post = async (url, headers, body) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};
const key = process.env.OPENAI_API_KEY;
const resp = await post(process.env.OPENAI_BASE_URL + '/responses', { authorization: 'Bearer ' + key },
  { model: 'mock-small', input: 'hello from responses' });
console.log('RESPONSES ' + resp.status + ' ' + JSON.parse(resp.text).output_text);
const msg = await post(process.env.ANTHROPIC_BASE_URL + '/v1/messages',
  { 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01' },
  { model: 'mock-small', max_tokens: 100, messages: [{ role: 'user', content: 'hello from messages' }] });
console.log('MESSAGES ' + msg.status + ' ' + JSON.parse(msg.text).content[0].text);
const streamed = await post(process.env.ANTHROPIC_BASE_URL + '/v1/messages',
  { 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01' },
  { model: 'mock-small', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hello streamed' }] });
console.log('EVENTS ' + [...streamed.text.matchAll(/^event: (\\w+)$/gm)].map((m) => m[1]).filter((e, i, a) => a.indexOf(e) === i).join(','));
`;
    const ran = await runFile(node.browser, node.attemptId, 'main.mjs', main);
    expect(ran.end, ran.stderr).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(ran.stdout).toContain('RESPONSES 200 Hi! Ask me for some JSON.');
    expect(ran.stdout).toContain('MESSAGES 200 Hi! Ask me for some JSON.');
    expect(ran.stdout).toContain(
      'EVENTS message_start,ping,content_block_start,content_block_delta,content_block_stop,message_delta,message_stop',
    );

    const py = await t.startedCandidate('Py', 'py@example.com', 'gw-python');
    const script = `
import json, os, urllib.request

def post(url, headers, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())

r = post(os.environ["OPENAI_BASE_URL"] + "/responses", {"authorization": "Bearer " + os.environ["OPENAI_API_KEY"]},
         {"model": "mock-small", "input": [{"role": "user", "content": "What is the capital of Norway?"}]})
print("RESPONSES", r["output"][0]["content"][0]["text"])
m = post(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages",
         {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"},
         {"model": "mock-small", "max_tokens": 50, "system": "Be brief.",
          "messages": [{"role": "user", "content": "What is the capital of Norway?"}]})
print("MESSAGES", m["content"][0]["text"], m["stop_reason"])
`;
    const pyRun = await runFile(py.browser, py.attemptId, 'main.py', script);
    expect(pyRun.end, pyRun.stderr).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(pyRun.stdout).toContain('RESPONSES The capital of Norway is Oslo.');
    expect(pyRun.stdout).toContain('MESSAGES The capital of Norway is Oslo. end_turn');

    const nodeCalls = (await transcript(node.attemptId)).calls;
    expect(nodeCalls.map((c) => `${c.endpoint} ${c.status}`).sort()).toEqual([
      'messages 200',
      'messages 200',
      'responses 200',
    ]);
    const pyCalls = (await transcript(py.attemptId)).calls;
    expect(pyCalls.map((c) => `${c.endpoint} ${c.status}`).sort()).toEqual(['messages 200', 'responses 200']);
  });

  it("runs the official SDKs' newer APIs inside a node sandbox: openai responses.create and Anthropic messages.create/stream", async () => {
    const node = await t.startedCandidate();
    const main = `
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
const openai = new OpenAI({ maxRetries: 0 });
const anthropic = new Anthropic({ maxRetries: 0 }); // ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY come from the env
const r = await openai.responses.create({ model: 'mock-small', input: 'hello from responses' });
console.log('RESPONSES ' + r.output_text);
const m = await anthropic.messages.create({ model: 'mock-small', max_tokens: 100, messages: [{ role: 'user', content: 'hello from messages' }] });
console.log('MESSAGES ' + m.content[0].text + ' ' + m.stop_reason);
const stream = anthropic.messages.stream({ model: 'mock-small', max_tokens: 100, messages: [{ role: 'user', content: 'hello streamed' }] });
let text = '';
stream.on('text', (t) => { text += t; });
const final = await stream.finalMessage();
console.log('STREAMED ' + text + ' ' + final.usage.output_tokens);
`;
    const ran = await runFile(node.browser, node.attemptId, 'main.mjs', main);
    expect(ran.end, ran.stderr).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(ran.stdout).toContain('RESPONSES Hi! Ask me for some JSON.');
    expect(ran.stdout).toContain('MESSAGES Hi! Ask me for some JSON. end_turn');
    expect(ran.stdout).toMatch(/^STREAMED Hi! Ask me for some JSON\. [1-9]\d*$/m);
    const calls = (await transcript(node.attemptId)).calls;
    expect(calls.map((c) => `${c.endpoint} ${c.status}`).sort()).toEqual([
      'messages 200',
      'messages 200',
      'responses 200',
    ]);
  });
});
