/**
 * The worker's API runs code on its host's engine: only callers with the shared WORKER_TOKEN get
 * anything. No token, a wrong one, one of another length, or the token in another header: 401 before
 * any driver verb runs. Bodies are validated: an exec with no argv, or a session for an environment
 * name that is a path, is refused.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger/index.ts';
import { noSandbox, type SandboxDriver } from '../sandbox/index.ts';
import { createWorkerApp } from './index.ts';

const TOKEN = 't'.repeat(48);

function app() {
  const calls: string[] = [];
  const base = noSandbox('test');
  const driver = new Proxy(base, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as SandboxDriver;
  const worker = createWorkerApp({
    id: 'w1',
    driver,
    forwarder: { up: async () => {}, down: async () => {} },
    token: TOKEN,
    maxSessions: 5,
    logger: silentLogger,
  });
  return { worker, calls };
}

const spec = {
  env: 'node',
  purpose: 'attempt',
  ownerId: 'a1',
  network: 'none',
  limits: {
    wallMs: 1000,
    memoryBytes: 1 << 20,
    cpus: 1,
    pids: 10,
    outputBytes: 1024,
    fileSizeBytes: 1024,
    openFiles: 10,
    workspaceBytes: 1 << 20,
    tmpBytes: 1 << 20,
  },
};

describe('worker API authentication', () => {
  const attempts: Array<[string, Record<string, string>]> = [
    ['no token', {}],
    ['a wrong token', { authorization: `Bearer ${'x'.repeat(48)}` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 47)}` }],
    ['the token with more after it', { authorization: `Bearer ${TOKEN}x` }],
    ['the token without the Bearer scheme', { authorization: TOKEN }],
    ['the token in another header', { 'x-worker-token': TOKEN }],
  ];
  for (const [what, headers] of attempts) {
    it(`refuses ${what} before touching the engine`, async () => {
      const { worker, calls } = app();
      for (const [method, path, body] of [
        ['GET', '/status', undefined],
        ['POST', '/sessions', { spec, owner: 'd' }],
        ['POST', '/sessions/s1/exec', { argv: ['id'] }],
        ['GET', '/sessions', undefined],
        ['DELETE', '/sessions/s1', undefined],
      ] as const) {
        const res = await worker.app.request(path, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          body: body && JSON.stringify(body),
        });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'unauthorized' });
      }
      expect(calls).toEqual([]);
    });
  }

  it('answers the right token, and validates what it is asked to run', async () => {
    const { worker, calls } = app();
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const status = await worker.app.request('/status', { headers: auth });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ id: 'w1', ready: false, sessions: 0, maxSessions: 5 });
    const badEnv = await worker.app.request('/sessions', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ spec: { ...spec, env: '../../etc' }, owner: 'd' }),
    });
    expect(badEnv.status).toBe(400);
    const unknown = await worker.app.request('/sessions/nope/exec', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ argv: ['id'] }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_session' });
    // The driver refuses (no sandbox here): the worker says so as a failure, not a crash.
    const made = await worker.app.request('/sessions', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ spec, owner: 'd' }),
    });
    expect(made.status).toBe(500);
    expect(calls).toEqual(['status', 'createSession']);
  });
});
