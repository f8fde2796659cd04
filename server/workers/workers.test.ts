/**
 * API server ↔ sandbox worker over the real wire, in one process: `RemoteDriver` against two worker
 * apps on loopback listeners, each around the local driver (real processes, no engine needed).
 * Placement on the least loaded worker, files and exec output across the wire, stdin and cancel, a
 * worker that dies (its listener closed) seen as lost at once and new sessions placed on the other,
 * a full pool answered as a shortage (the queue waits), and the gateway forwarder piping bytes.
 */
import net from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/index.ts';
import { silentLogger } from '../logger/index.ts';
import { systemClock } from '../platform/index.ts';
import { defaultLimits, isResourceShortage, LocalDriver, type SessionSpec } from '../sandbox/index.ts';
import { fakeShellDriver } from '../testing/terminal.ts';
import { createWorkerApp, GatewayForwarder, RemoteDriver, registerWorker } from './index.ts';

const TOKEN = 'w'.repeat(40);
const spec = (ownerId: string): SessionSpec => ({
  env: 'node',
  purpose: 'attempt',
  ownerId,
  limits: { ...defaultLimits, wallMs: 10_000 },
  network: 'none',
});

describe('sandbox workers over the wire', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  async function setup(workers: Array<{ id: string; maxSessions?: number }>, withShell = false) {
    const database: Database = await openDatabase('sqlite::memory:');
    cleanup.push(() => database.close());
    const running = new Map<
      string,
      { server: ServerType; sessions: () => number; reap: (silentMs: number) => Promise<number> }
    >();
    let now = Date.now();
    const clock = { advance: (ms: number) => (now += ms) };
    for (const w of workers) {
      const local = new LocalDriver({ logger: silentLogger, useBwrap: false });
      const driver = withShell ? fakeShellDriver(local) : local;
      const worker = createWorkerApp({
        id: w.id,
        driver,
        forwarder: { up: async () => {}, down: async () => {} },
        token: TOKEN,
        maxSessions: w.maxSessions ?? 10,
        logger: silentLogger,
        now: () => now,
      });
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: worker.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
      });
      cleanup.push(() => worker.destroyAll());
      cleanup.push(() => new Promise((r) => server.close(r)));
      const port = (server.address() as net.AddressInfo).port;
      await registerWorker(
        database.db,
        {
          id: w.id,
          url: `http://127.0.0.1:${port}`,
          maxSessions: w.maxSessions ?? 10,
          sessions: 0,
          ready: true,
          gatewayReady: true,
        },
        systemClock.now(),
      );
      running.set(w.id, {
        server,
        sessions: () => worker.sessions,
        reap: (silentMs) => worker.reapAbandoned(silentMs),
      });
    }
    /** An API process (each replica makes its own). */
    const replica = () => {
      const r = new RemoteDriver({
        db: database.db,
        clock: systemClock,
        token: TOKEN,
        staleMs: 60_000,
        owner: 'deployment-a',
        logger: silentLogger,
      });
      cleanup.push(() => r.close());
      return r;
    };
    return { database, remote: replica(), replica, running, clock };
  }

  it('creates a session on a worker, moves files both ways and streams an exec', async () => {
    const { remote, running } = await setup([{ id: 'alpha' }]);
    expect(await remote.status()).toMatchObject({ ready: true, detail: '1 sandbox worker' });
    const session = await remote.createSession(spec('attempt-1'));
    expect(session.id).toMatch(/^alpha\//);
    expect(running.get('alpha')!.sessions()).toBe(1);
    await remote.putFiles(session, [{ path: 'src/a.txt', content: Buffer.from('héllo\n') }]);
    const out: string[] = [];
    const err: string[] = [];
    const exec = remote.exec(session, {
      argv: ['sh', '-c', 'cat src/a.txt; read line; echo "got $line"; echo oops >&2; exit 3'],
      closeStdin: false,
      onStdout: (c) => out.push(c.toString()),
      onStderr: (c) => err.push(c.toString()),
    });
    exec.write('typed\n');
    const result = await exec.result;
    expect(result).toMatchObject({ verdict: 'error', exitCode: 3 });
    expect(out.join('')).toBe('héllo\ngot typed\n');
    expect(err.join('')).toBe('oops\n');
    expect(result.stdout.text).toBe('héllo\ngot typed\n');
    const files = await remote.getFiles(session);
    expect(files.map((f) => [f.path, f.content.toString()])).toEqual([['src/a.txt', 'héllo\n']]);
    // The orphan sweep sees this deployment's sessions that it does not hold, and removes them.
    expect(await remote.listOrphans(() => true)).toEqual([]);
    expect((await remote.listOrphans(() => false)).map((o) => o.id)).toEqual([session.id]);
    await remote.destroy(session);
    expect(running.get('alpha')!.sessions()).toBe(0);
  });

  it("keeps each replica's sessions its own, and removes those of a replica that stopped calling", async () => {
    const { remote: a, replica, running, clock } = await setup([{ id: 'alpha' }]);
    const b = replica(); // a second API process of the same deployment (same SANDBOX_INSTANCE)
    const mine = await a.createSession(spec('attempt-1'));
    const theirs = await b.createSession(spec('attempt-2'));
    // Each process's orphan sweep sees only its own sessions: never the live ones of the other.
    expect((await a.listOrphans(() => false)).map((o) => o.id)).toEqual([mine.id]);
    expect((await b.listOrphans(() => false)).map((o) => o.id)).toEqual([theirs.id]);
    // Six minutes on, only `a` has called since: `b` died, and its session goes.
    clock.advance(6 * 60_000);
    await a.alive(mine);
    expect(await running.get('alpha')!.reap(5 * 60_000)).toBe(1);
    expect(running.get('alpha')!.sessions()).toBe(1);
    expect(await a.alive(mine)).toBe(true);
  });

  it('stops an exec whose caller went away, and keeps serving', async () => {
    const { remote, running } = await setup([{ id: 'alpha' }]);
    const session = await remote.createSession(spec('attempt-1'));
    const port = (running.get('alpha')!.server.address() as net.AddressInfo).port;
    const remoteId = session.id.slice('alpha/'.length);
    const caller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/sessions/${encodeURIComponent(remoteId)}/exec`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ argv: ['sh', '-c', 'while true; do echo tick; sleep 0.005; done'] }),
      signal: caller.signal,
    });
    const reader = res.body!.getReader();
    while (!new TextDecoder().decode((await reader.read()).value).includes('"t":"o"'));
    // The API server dies mid-run: output still arriving for it must not break the worker.
    caller.abort();
    await new Promise((r) => setTimeout(r, 200));
    const exec = remote.exec(session, { argv: ['echo', 'still here'] });
    expect((await exec.result).stdout.text).toBe('still here\n');
  });

  it('cancels a running exec on the worker', async () => {
    const { remote } = await setup([{ id: 'alpha' }]);
    const session = await remote.createSession(spec('attempt-1'));
    const exec = remote.exec(session, { argv: ['sleep', '30'] });
    setTimeout(() => exec.cancel(), 200);
    expect((await exec.result).verdict).toBe('cancelled');
  });

  it('runs a terminal on the worker: output back, keystrokes in order, resize, kill', async () => {
    const { remote } = await setup([{ id: 'alpha' }], true);
    const session = await remote.createSession(spec('attempt-1'));
    let seen = '';
    const shell = await remote.shell(session, { cols: 80, rows: 24, onData: (c) => (seen += c.toString()) });
    // Typed one key at a time, as a browser sends them: they arrive in order.
    for (const key of 'echo one two three\r') shell.write(key);
    await expect.poll(() => seen).toContain('echo one two three\r\n');
    await shell.resize(120, 40);
    shell.write('exit\r');
    expect(await shell.ended).toEqual({ exitCode: 0 });
  });

  it('places sessions on the least loaded worker and moves on when a worker dies', async () => {
    const { remote, running } = await setup([{ id: 'alpha' }, { id: 'beta' }]);
    const workerOf = (id: string) => id.split('/')[0]!;
    // Equal load: either first; the second goes to the other (this process counts what it placed,
    // before any heartbeat reports it), then a third to the one the table says holds fewer.
    const a = await remote.createSession(spec('attempt-1'));
    const b = await remote.createSession(spec('attempt-2'));
    expect(new Set([workerOf(a.id), workerOf(b.id)])).toEqual(new Set(['alpha', 'beta']));
    await (
      await setupLoad(remote)
    )(workerOf(b.id), 5); // others' sessions there, as its heartbeat says
    const c = await remote.createSession(spec('attempt-3'));
    expect(workerOf(c.id)).toBe(workerOf(a.id));
    // a's worker dies: its listener goes away with every connection.
    const dead = running.get(workerOf(a.id))!.server;
    (dead as import('node:http').Server).closeAllConnections();
    await new Promise((r) => dead.close(r));
    // The first request to it fails as a shortage (the queue retries the job), and its sessions are lost.
    const put = remote.putFiles(a, [{ path: 'x', content: Buffer.from('1') }]);
    await expect(put).rejects.toSatisfy(isResourceShortage);
    expect(remote.gone(a)).toBe(true);
    expect(remote.gone(c)).toBe(true);
    expect(remote.gone(b)).toBe(false);
    expect(await remote.alive(a)).toBe(false);
    // New sessions skip it although its heartbeat has not lapsed (and it looks less loaded).
    const d = await remote.createSession(spec('attempt-4'));
    expect(workerOf(d.id)).toBe(workerOf(b.id));
    await remote.destroy(a); // nothing to ask a dead worker
  });

  it('answers a shortage when every worker is full or none is running', async () => {
    const { remote } = await setup([{ id: 'alpha', maxSessions: 1 }]);
    await remote.createSession(spec('attempt-1'));
    await expect(remote.createSession(spec('attempt-2'))).rejects.toSatisfy(isResourceShortage);
    const none = await setup([]);
    expect(await none.remote.status()).toMatchObject({ ready: false });
    expect((await none.remote.status()).detail).toMatch(/start `worksample worker`/);
    await expect(none.remote.createSession(spec('attempt-1'))).rejects.toSatisfy(isResourceShortage);
  });

  it('forwards gateway connections byte for byte to the upstream', async () => {
    const upstream = net.createServer((s) => s.on('data', (d) => s.write(`upstream saw: ${d}`)));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => upstream.close(r)));
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.2', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const forwarder = new GatewayForwarder(
      { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port },
      port,
    );
    cleanup.push(() => forwarder.close());
    await forwarder.up('127.0.0.2');
    await forwarder.up('127.0.0.2'); // a second session on the same network
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.2', port }, () => c.write('GET /v1/models'));
      c.on('data', (d) => {
        resolve(d.toString());
        c.destroy();
      });
      c.on('error', reject);
    });
    expect(reply).toBe('upstream saw: GET /v1/models');
    await forwarder.down('127.0.0.2');
    expect(forwarder.addresses).toEqual(['127.0.0.2']); // still used by the other session
    await forwarder.down('127.0.0.2');
    expect(forwarder.addresses).toEqual([]);
    await expect(
      new Promise<void>((resolve, reject) => {
        const c = net.connect({ host: '127.0.0.2', port }, () => resolve());
        c.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/** Sets a worker's load in the table, as its heartbeat would. */
async function setupLoad(remote: RemoteDriver) {
  const db = (remote as unknown as { opts: { db: Database['db'] } }).opts.db;
  return (id: string, sessions: number) =>
    db.updateTable('workers').set({ sessions }).where('id', '=', id).execute();
}
