/**
 * `npm run bench:gateway`: what the LLM gateway (key check, policy and budgets, call recording) adds to
 * a call, measured against the mock model called in-process, and against a minimal node HTTP server that
 * returns the same bytes (so the cost of HTTP over loopback is separated from the gateway's own).
 * Non-streaming latency and streaming time-to-first-token, at 1 and 50 concurrent clients (one attempt
 * each), for each API the gateway speaks (Chat Completions, Responses, Anthropic Messages: the bare
 * server answers each in that API's own bytes, and the table gives the gateway's p50 as a ratio over
 * it), with the database in memory and in a file (WAL, synchronous=FULL, as deployed). Then a
 * per-phase breakdown of the gateway's database work. Loopback only; every loop is bounded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../server/http/index.ts';
import { createServices } from '../server/services/index.ts';
import { openDatabase } from '../server/db/index.ts';
import { silentLogger } from '../server/logger/index.ts';
import { randomIds, type Clock } from '../server/platform/index.ts';
import { defaultLimits, noSandbox } from '../server/sandbox/index.ts';
import { mockUpstream, type ChatCall } from '../server/llm/index.ts';
import { importTask } from '../server/tasks/import.ts';
import { createInvitation } from '../server/invitations/index.ts';
import { repoRoot, testConfig } from '../server/testing/index.ts';
import { checkKey } from '../server/llm-gateway/keys.ts';
import { checkBudgets, policyLoader } from '../server/llm-gateway/policy.ts';
import { CallRecorder } from '../server/llm-gateway/record.ts';
import { chunksOf } from '../server/llm-gateway/chat.ts';
import { responsesWire } from '../server/llm-gateway/responses-out.ts';
import { messagesWire } from '../server/llm-gateway/messages-out.ts';
import { percentile } from './stats.ts';
import { freePort } from '../tests/helpers/process.ts';

const SERIAL_N = 300; // measured requests at concurrency 1 (after WARMUP)
const WARMUP = 30;
const CLIENTS = 50;
const PER_CLIENT = 10; // requests per client at concurrency 50
const PHASE_N = 300;
const GOAL = { p50: 2, p99: 10 };
const deadline = performance.now() + 10 * 60_000; // a hard stop, whatever happens
const inTime = () => performance.now() < deadline;

const clock: Clock = { now: () => Date.now() };
const PROMPT = 'Summarise the plot of Hamlet in one short paragraph, please.';
const body = (stream: boolean) =>
  JSON.stringify({ model: 'mock-small', messages: [{ role: 'user', content: PROMPT }], stream });

/** The APIs measured: request path and body, auth header, and what marks the first content token. */
const APIS = {
  chat: {
    path: '/v1/chat/completions',
    body,
    auth: (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` }),
    firstToken: /"delta":\{"content":"[^"]/,
  },
  responses: {
    path: '/v1/responses',
    body: (stream: boolean) => JSON.stringify({ model: 'mock-small', input: PROMPT, stream }),
    auth: (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` }),
    firstToken: /"type":"response\.output_text\.delta"/,
  },
  messages: {
    path: '/v1/messages',
    body: (stream: boolean) =>
      JSON.stringify({
        model: 'mock-small',
        max_tokens: 256,
        messages: [{ role: 'user', content: PROMPT }],
        stream,
      }),
    auth: (key: string): Record<string, string> => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
    firstToken: /"type":"text_delta"/,
  },
} as const;
type Api = keyof typeof APIS;

/** The fixture task with budgets no benchmark reaches (budgets are checked, never hit). */
async function benchTask(dir: string): Promise<string> {
  const task = path.join(dir, 'gw-scripted'); // the folder name is the slug
  await cp(path.join(repoRoot, 'server/llm-gateway/fixtures/gw-scripted'), task, { recursive: true });
  const yaml = (await readFile(path.join(task, 'task.yaml'), 'utf8'))
    .replace(/maxRequests: \d+/, 'maxRequests: 1000000')
    .replace(/maxTotalTokens: \d+/, 'maxTotalTokens: 1000000000')
    .replace(/maxConcurrent: \d+/, 'maxConcurrent: 100')
    .replace(/requestsPerMinute: \d+/, 'requestsPerMinute: 1000000');
  await writeFile(path.join(task, 'task.yaml'), yaml);
  return task;
}

/** The product app on a database, listening as the gateway on loopback, with `n` started attempts. */
async function gatewayUnder(dbUrl: string, taskDir: string, n: number) {
  const database = await openDatabase(dbUrl);
  const port = await freePort();
  const services = createServices({
    database,
    clock,
    ids: randomIds,
    driver: noSandbox(),
    sandbox: { limits: defaultLimits, poolSize: 0, warmEnvs: [], maxConcurrent: 2 },
    llm: mockUpstream(clock),
    logger: silentLogger,
    config: testConfig({ GATEWAY_PORT: String(port) }),
  });
  const app = createApp(services);
  await importTask(services.ctx, taskDir);
  const keys: Array<{ attemptId: string; key: string }> = [];
  for (let i = 0; i < n; i++) {
    const { link } = await createInvitation(
      services.ctx,
      { taskSlug: 'gw-scripted', candidateName: `Bench ${i}`, candidateEmail: `bench-${i}@example.com` },
      null,
    );
    const open = await app.request('/api/invitations/open', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: link.split('/i/')[1] }),
    });
    const cookie = open.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { csrfToken } = (await open.json()) as { csrfToken: string };
    const started = await app.request('/api/candidate/start', {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    const attemptId = ((await started.json()) as { attempt: { id: string } }).attempt.id;
    keys.push({ attemptId, key: (await services.gateway.envFor(attemptId, 'attempt')).OPENAI_API_KEY! });
    services.gateway.openWindow(attemptId, 'attempt'); // calls count only inside a live Run
  }
  await services.gateway.up('127.0.0.1');
  return {
    app,
    services,
    url: `http://127.0.0.1:${port}`,
    keys,
    async close() {
      await services.close();
      await database.close();
    },
  };
}

/** The floor: a node http server answering, per API path, the same bytes the gateway sends, with no work at all. */
async function rawServer() {
  const upstream = mockUpstream(clock);
  const outcome = await upstream.chat(chatCall());
  if (outcome.kind !== 'completion') throw new Error('unexpected mock outcome');
  const c = outcome.completion;
  const usage = c.usage!;
  const encode = (w: { stream(): { chunk(x: never): string; end(u: never): string } }) => {
    const e = w.stream();
    return [...[...chunksOf(c, true)].map((x) => e.chunk(x as never)), e.end(usage as never)];
  };
  const responses = responsesWire({ model: 'mock-small', input: PROMPT }, 'resp_bench', 0);
  const messages = messagesWire('mock-small', 'msg_bench', usage.prompt_tokens);
  const answers: Record<string, { json: string; sse: string[] }> = {
    [APIS.chat.path]: {
      json: JSON.stringify(c),
      sse: [...[...chunksOf(c, false)].map((x) => `data: ${JSON.stringify(x)}\n\n`), 'data: [DONE]\n\n'],
    },
    [APIS.responses.path]: { json: JSON.stringify(responses.body(c)), sse: encode(responses) },
    [APIS.messages.path]: { json: JSON.stringify(messages.body(c)), sse: encode(messages) },
  };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const answer = answers[req.url ?? '']!;
      if (text.includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        for (const s of answer.sse.slice(0, -1)) res.write(s);
        res.end(answer.sse.at(-1));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(answer.json);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function chatCall(stream = false): ChatCall {
  return {
    attemptId: 'att_bench',
    callId: randomIds.id('llm'),
    alias: 'mock-small',
    model: 'mock-small',
    body: JSON.parse(body(stream)) as ChatCall['body'],
    stream,
    ruleCounts: {},
    signal: new AbortController().signal,
  };
}

/** One request; ms to the full body (non-streaming) or to the first content token (streaming). */
async function timedFetch(origin: string, key: string, stream: boolean, api: Api = 'chat'): Promise<number> {
  const spec = APIS[api];
  const t0 = performance.now();
  const res = await fetch(origin + spec.path, {
    method: 'POST',
    headers: { ...spec.auth(key), 'content-type': 'application/json' },
    body: spec.body(stream),
  });
  if (res.status !== 200) throw new Error(`${spec.path} answered ${res.status}: ${await res.text()}`);
  if (!stream) {
    await res.text();
    return performance.now() - t0;
  }
  let first: number | undefined;
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk, { stream: true });
    if (first === undefined && spec.firstToken.test(text)) first = performance.now() - t0;
  }
  if (first === undefined) throw new Error('the stream carried no content');
  return first;
}

/** The mock model in-process: the work every path must do at least. */
async function timedDirect(stream: boolean): Promise<number> {
  const upstream = mockUpstream(clock);
  const t0 = performance.now();
  const outcome = await upstream.chat(chatCall(stream));
  if (stream && outcome.kind === 'completion') chunksOf(outcome.completion, false).next();
  return performance.now() - t0;
}

/** `clients` workers each sending `each` requests back to back; all latencies. */
async function load(clients: number, each: number, one: (client: number) => Promise<number>) {
  const out: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < each && inTime(); i++) out.push(await one(c));
    }),
  );
  return out;
}

interface Row {
  scenario: string;
  direct: number[];
  raw: number[];
  gateway: Record<string, number[]>;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

async function main() {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ws-bench-gw-'));
  const rows: Row[] = [];
  const phases: Record<string, Record<string, { p50: number; p99: number }>> = {};
  try {
    const taskDir = await benchTask(tmp);
    const raw = await rawServer();
    const dbs = { memory: 'sqlite::memory:', file: `sqlite:${path.join(tmp, 'gateway.db')}` };
    const gateways = Object.fromEntries(
      await Promise.all(
        Object.entries(dbs).map(
          async ([name, url]) => [name, await gatewayUnder(url, taskDir, CLIENTS)] as const,
        ),
      ),
    );
    try {
      for (const api of Object.keys(APIS) as Api[]) {
        for (const stream of [false, true]) {
          // The other APIs share every step after parsing with chat: at c=1 they show what their
          // translation and encoding add, as a ratio over a bare server sending their bytes.
          for (const clients of api === 'chat' ? [1, CLIENTS] : [1]) {
            const each = clients === 1 ? SERIAL_N : PER_CLIENT;
            const scenario = `${api} ${stream ? 'stream TTFT' : 'non-stream'} c=${clients}`;
            // Warm every path (JIT, connection pools, statement caches) before measuring.
            await load(1, WARMUP, () => timedDirect(stream));
            await load(1, WARMUP, () => timedFetch(raw.url, 'none', stream, api));
            for (const g of Object.values(gateways))
              await load(1, WARMUP, () => timedFetch(g.url, g.keys[0]!.key, stream, api));
            const row: Row = {
              scenario,
              direct: await load(clients, each, () => timedDirect(stream)),
              raw: await load(clients, each, () => timedFetch(raw.url, 'none', stream, api)),
              gateway: {},
            };
            for (const [name, g] of Object.entries(gateways)) {
              row.gateway[name] = await load(clients, each, (c) =>
                timedFetch(g.url, g.keys[c]!.key, stream, api),
              );
            }
            rows.push(row);
          }
        }
      }
      // Where the gateway's time goes: its database steps, one at a time, at concurrency 1.
      for (const [name, g] of Object.entries(gateways)) {
        const ctx = g.services.ctx;
        const { key, attemptId } = g.keys[0]!;
        const policyOf = policyLoader(ctx);
        const recorder = new CallRecorder(ctx);
        const live = await checkKey(ctx, key);
        if (!live.ok) throw new Error('bench key refused');
        const policy = await policyOf(live.attempt.task_version_id);
        const who = { attemptId, purpose: 'attempt' as const };
        const steps: Record<string, () => Promise<unknown>> = {
          'checkKey (2 selects)': () => checkKey(ctx, key),
          'policy (cached)': () => policyOf(live.attempt.task_version_id),
          'checkBudgets (usage sum + rpm aggregate)': () =>
            checkBudgets(ctx, who, policy.budget, { calls: 0, tokens: 0 }),
          'ruleCounts (cached)': () => recorder.ruleCounts(who),
          'recorder.finish (one insert, commit)': async () => {
            const call = recorder.begin({
              attemptId,
              keyId: live.key.id,
              purpose: 'attempt',
              endpoint: 'chat',
              model: 'mock-small',
              stream: false,
              body: JSON.parse(body(false)),
              counted: true,
            });
            await recorder.finish(call, { status: 200, content: 'x', promptTokens: 1, completionTokens: 1 });
          },
        };
        phases[name] = {};
        for (const [step, fn] of Object.entries(steps)) {
          for (let i = 0; i < WARMUP; i++) await fn();
          const xs: number[] = [];
          for (let i = 0; i < PHASE_N && inTime(); i++) {
            const t0 = performance.now();
            await fn();
            xs.push(performance.now() - t0);
          }
          const label = step.startsWith('recorder.start') ? 'recorder.start + finish (2 commits)' : step;
          phases[name]![label] = { p50: percentile(xs, 50), p99: percentile(xs, 99) };
        }
        const calls = await ctx.db
          .selectFrom('llm_calls')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('attempt_id', '=', attemptId)
          .executeTakeFirstOrThrow();
        phases[name]!['(calls of this attempt in the table)'] = {
          p50: Number(calls.n),
          p99: Number(calls.n),
        };
      }
    } finally {
      for (const g of Object.values(gateways)) await g.close();
      await raw.close();
    }

    // The table: p50/p99 per path, and what the gateway adds over the in-process mock and over raw HTTP.
    const head = [
      'scenario'.padEnd(31),
      'direct p50/p99'.padStart(16),
      'raw http p50/p99'.padStart(18),
      ...Object.keys(rows[0]!.gateway).flatMap((g) => [
        `gw(${g}) p50/p99`.padStart(20),
        `added p50/p99`.padStart(16),
        `over raw p50/p99`.padStart(18),
        `×raw p50`.padStart(9),
      ]),
    ].join(' ');
    const pair = (a: number, b: number) => `${fmt(a)}/${fmt(b)}`;
    const lines = rows.map((r) => {
      const d = [percentile(r.direct, 50), percentile(r.direct, 99)] as const;
      const w = [percentile(r.raw, 50), percentile(r.raw, 99)] as const;
      return [
        r.scenario.padEnd(31),
        pair(...d).padStart(16),
        pair(...w).padStart(18),
        ...Object.values(r.gateway).flatMap((xs) => {
          const g = [percentile(xs, 50), percentile(xs, 99)] as const;
          return [
            pair(...g).padStart(20),
            pair(g[0] - d[0], g[1] - d[1]).padStart(16),
            pair(g[0] - w[0], g[1] - w[1]).padStart(18),
            `${fmt(g[0] / w[0])}×`.padStart(9),
          ];
        }),
      ].join(' ');
    });
    console.log(
      `\nLLM gateway latency, ms (n = ${SERIAL_N} at c=1, ${CLIENTS}×${PER_CLIENT} at c=${CLIENTS})`,
    );
    console.log(head);
    console.log('-'.repeat(head.length));
    for (const l of lines) console.log(l);
    console.log(`goal: added p50 ≤ ${GOAL.p50} ms, p99 ≤ ${GOAL.p99} ms`);
    console.log('\nGateway database steps at c=1, ms (p50/p99)');
    for (const [db, steps] of Object.entries(phases)) {
      console.log(`  ${db}:`);
      for (const [step, s] of Object.entries(steps))
        console.log(`    ${step.padEnd(40)} ${pair(s.p50, s.p99)}`);
    }

    const results = {
      at: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      goal: GOAL,
      scenarios: rows.map((r) => {
        const s = (xs: number[]) => ({ n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99) });
        const direct = s(r.direct);
        const raw = s(r.raw);
        return {
          scenario: r.scenario,
          direct,
          raw,
          gateway: Object.fromEntries(
            Object.entries(r.gateway).map(([db, xs]) => {
              const g = s(xs);
              return [
                db,
                {
                  ...g,
                  addedP50: g.p50 - direct.p50,
                  addedP99: g.p99 - direct.p99,
                  overRawP50: g.p50 - raw.p50,
                  overRawP99: g.p99 - raw.p99,
                  ratioOverRawP50: g.p50 / raw.p50,
                  meetsGoal: g.p50 - direct.p50 <= GOAL.p50 && g.p99 - direct.p99 <= GOAL.p99,
                },
              ];
            }),
          ),
        };
      }),
      phases,
    };
    const out = path.join(repoRoot, 'bench-results');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'gateway.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(process.cwd(), path.join(out, 'gateway.json'))}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
