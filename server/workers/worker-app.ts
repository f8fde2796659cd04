/**
 * A sandbox worker's HTTP API: the `SandboxDriver` verbs of its local engine, for API servers holding
 * the shared `WORKER_TOKEN`. The worker keeps the sessions it created (the driver's own objects) by id,
 * refuses new ones past its capacity, runs the gateway forwarder for sessions on gateway networks, and
 * streams each exec's output as it comes. A caller that goes away mid-exec (its server died) cancels it.
 */
import { timingSafeEqual, createHash, randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import type { Logger } from '../logger/index.ts';
import {
  isResourceShortage,
  type RunningExec,
  type RunningShell,
  type SandboxDriver,
  type SandboxSession,
} from '../sandbox/index.ts';
import type { GatewayForwarder } from './forwarder.ts';
import {
  createBody,
  execBody,
  getFilesBody,
  inputBody,
  putFilesBody,
  sizeBody,
  type ExecFrame,
  OWNER_HEADER,
  type WireError,
  type WorkerStatusBody,
} from './protocol.ts';

export interface WorkerAppDeps {
  id: string;
  driver: SandboxDriver;
  forwarder: Pick<GatewayForwarder, 'up' | 'down'>;
  token: string;
  maxSessions: number;
  logger: Logger;
  /** Milliseconds between keep-alive frames of a silent exec or shell (default 15 000). */
  keepAliveMs?: number;
  now?: () => number;
}

interface Held {
  session: SandboxSession;
  owner: string;
}

export interface WorkerApp {
  app: Hono;
  /** Sessions held now. */
  readonly sessions: number;
  /** Destroys every held session (worker shutdown). */
  destroyAll(): Promise<void>;
  /**
   * Destroys the sessions of API processes silent for `silentMs` (they died or were scaled away; each
   * live one calls at least every minute). Answers how many went.
   */
  reapAbandoned(silentMs: number): Promise<number>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createWorkerApp(deps: WorkerAppDeps): WorkerApp {
  const held = new Map<string, Held>();
  const execs = new Map<string, RunningExec>();
  const shells = new Map<string, RunningShell>();
  /** API process → when it last called. */
  const seen = new Map<string, number>();
  const now = deps.now ?? Date.now;
  let creating = 0;
  const wanted = digest(`Bearer ${deps.token}`);
  const app = new Hono();

  const fail = (c: Context, status: 400 | 401 | 404 | 500 | 503, body: WireError) => c.json(body, status);
  const failure = (c: Context, err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (isResourceShortage(err)) return fail(c, 503, { error: 'shortage', message, resource: err.resource });
    return fail(c, 500, { error: 'failed', message });
  };
  async function parse<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S> | undefined> {
    const body = await c.req.json().catch(() => undefined);
    const parsed = schema.safeParse(body);
    return parsed.success ? parsed.data : undefined;
  }
  const sessionOf = (c: Context) => held.get(c.req.param('id') ?? '');

  // Every route: the shared token, compared in constant time over fixed-length digests.
  app.use('*', async (c, next) => {
    const got = digest(c.req.header('authorization') ?? '');
    if (!timingSafeEqual(got, wanted))
      return fail(c, 401, { error: 'unauthorized', message: 'a valid worker token is required' });
    // Which API process calls: its sessions stay while it keeps calling (see reapAbandoned).
    const owner = c.req.header(OWNER_HEADER);
    if (owner && owner.length <= 100) seen.set(owner, now());
    await next();
  });

  app.get('/status', async (c) => {
    const s = await deps.driver.status();
    const body: WorkerStatusBody = {
      id: deps.id,
      driver: s.driver,
      ready: s.ready,
      gatewayReady: s.gatewayNetworks?.ready ?? s.ready,
      detail: s.detail,
      sessions: held.size,
      maxSessions: deps.maxSessions,
    };
    return c.json(body);
  });

  app.post('/sessions', async (c) => {
    const body = await parse(c, createBody);
    if (!body) return fail(c, 400, { error: 'invalid', message: 'expected { spec, owner }' });
    if (held.size + creating >= deps.maxSessions)
      return fail(c, 503, { error: 'capacity', message: `worker ${deps.id} holds its maximum of sessions` });
    creating++;
    try {
      const session = await deps.driver.createSession(body.spec);
      if (session.gatewayAddress) {
        try {
          await deps.forwarder.up(session.gatewayAddress);
        } catch (err) {
          await deps.driver.destroy(session).catch(() => {});
          throw err;
        }
      }
      held.set(session.id, { session, owner: body.owner });
      return c.json(
        { id: session.id, gatewayAddress: session.gatewayAddress, workspacePath: session.workspacePath },
        201,
      );
    } catch (err) {
      return failure(c, err);
    } finally {
      creating--;
    }
  });

  app.get('/sessions', (c) => {
    const owner = c.req.query('owner');
    return c.json({
      sessions: [...held.entries()]
        .filter(([, h]) => !owner || h.owner === owner)
        .map(([id, h]) => ({ id, ownerId: h.session.spec.ownerId, purpose: h.session.spec.purpose })),
    });
  });

  /**
   * A verb on a held session: 404 when this worker does not hold it, 400 for a body `schema` refuses
   * (`expected` says what it wants), the driver's error as a failure (shortage: 503), else `fn`'s answer.
   */
  function onSession<S extends z.ZodType>(
    schema: S,
    expected: string,
    fn: (h: Held, body: z.infer<S>, c: Context) => Promise<Response>,
  ) {
    return async (c: Context) => {
      const h = sessionOf(c);
      if (!h) return unknown(c);
      const body = await parse(c, schema);
      if (body === undefined) return fail(c, 400, { error: 'invalid', message: expected });
      try {
        return await fn(h, body, c);
      } catch (err) {
        return failure(c, err);
      }
    };
  }

  app.put(
    '/sessions/:id/files',
    onSession(putFilesBody, 'expected { files, deletes }', async (h, body, c) => {
      const files = body.files.map((f) => ({ path: f.path, content: Buffer.from(f.content, 'base64') }));
      await deps.driver.putFiles(h.session, files, body.deletes);
      return c.body(null, 204);
    }),
  );

  app.post(
    '/sessions/:id/files',
    onSession(getFilesBody, 'expected { maxBytes?, under? }', async (h, body, c) => {
      const files = await deps.driver.getFiles(h.session, body);
      return c.json({ files: files.map((f) => ({ path: f.path, content: f.content.toString('base64') })) });
    }),
  );

  /**
   * Answers with a stream of frames: `id` once the job runs, its output, keep-alives while it is
   * silent, and `r` (its result) or `x` (an error) at the end. A caller that goes away stops the job.
   */
  function streamed(
    begin: (send: (f: ExecFrame) => void) => Promise<{ id: string; done: Promise<unknown>; stop(): void }>,
  ): Response {
    const enc = new TextEncoder();
    let job: { stop(): void } | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Closed at the end, or when the caller goes away: output arriving after that is dropped (enqueueing
    // on a cancelled stream would throw inside the driver's output callback).
    let open = true;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (f: ExecFrame) => {
          if (open) controller.enqueue(enc.encode(`${JSON.stringify(f)}\n`));
        };
        const end = (last: ExecFrame) => {
          if (!open) return;
          send(last);
          open = false;
          clearInterval(timer);
          controller.close();
        };
        const failed = (err: unknown) =>
          end({ t: 'x', message: err instanceof Error ? err.message : String(err) });
        timer = setInterval(() => send({ t: 'k' }), deps.keepAliveMs ?? 15_000);
        begin(send).then((j) => {
          job = j;
          if (!open) j.stop();
          send({ t: 'id', id: j.id });
          j.done.then((r) => end({ t: 'r', r }), failed);
        }, failed);
      },
      // The caller went away (its server stopped or died): nobody will read the result.
      cancel() {
        open = false;
        clearInterval(timer);
        job?.stop();
      },
    });
    return new Response(stream, { headers: { 'content-type': 'application/x-ndjson' } });
  }

  app.post('/sessions/:id/exec', async (c) => {
    const h = sessionOf(c);
    if (!h) return unknown(c);
    const req = await parse(c, execBody);
    if (!req) return fail(c, 400, { error: 'invalid', message: 'expected { argv, … }' });
    return streamed(async (send) => {
      const id = randomUUID();
      const exec = deps.driver.exec(h.session, {
        ...req,
        onStdout: (chunk) => send({ t: 'o', d: chunk.toString('base64') }),
        onStderr: (chunk) => send({ t: 'e', d: chunk.toString('base64') }),
      });
      execs.set(id, exec);
      const done = exec.result.finally(() => execs.delete(id));
      return { id, done, stop: () => exec.cancel() };
    });
  });

  app.post('/sessions/:id/shell', async (c) => {
    const h = sessionOf(c);
    if (!h) return unknown(c);
    const size = await parse(c, sizeBody);
    if (!size) return fail(c, 400, { error: 'invalid', message: 'expected { cols, rows }' });
    const open = deps.driver.shell?.bind(deps.driver);
    if (!open)
      return fail(c, 500, { error: 'failed', message: `the ${deps.driver.name} driver has no terminal` });
    return streamed(async (send) => {
      const id = randomUUID();
      const shell = await open(h.session, {
        ...size,
        onData: (chunk) => send({ t: 'o', d: chunk.toString('base64') }),
      });
      shells.set(id, shell);
      const done = shell.ended.finally(() => shells.delete(id));
      return { id, done, stop: () => void shell.kill().catch(() => {}) };
    });
  });

  app.post('/execs/:id/input', async (c) => {
    const exec = execs.get(c.req.param('id'));
    if (!exec) return c.body(null, 204); // finished meanwhile: nothing to feed
    const body = await parse(c, inputBody);
    if (!body) return fail(c, 400, { error: 'invalid', message: 'expected { data?, close? }' });
    if (body.data !== undefined) exec.write(body.data);
    if (body.close) exec.closeStdin();
    return c.body(null, 204);
  });

  app.post('/execs/:id/cancel', (c) => {
    execs.get(c.req.param('id'))?.cancel();
    return c.body(null, 204);
  });

  // A shell that ended meanwhile takes nothing more: 204 either way.
  app.post('/shells/:id/:verb{input|resize|pause|resume|kill}', async (c) => {
    const shell = shells.get(c.req.param('id'));
    const verb = c.req.param('verb');
    if (!shell) return c.body(null, 204);
    if (verb === 'input') {
      const body = await parse(c, inputBody);
      if (!body?.data) return fail(c, 400, { error: 'invalid', message: 'expected { data }' });
      shell.write(body.data);
    } else if (verb === 'resize') {
      const size = await parse(c, sizeBody);
      if (!size) return fail(c, 400, { error: 'invalid', message: 'expected { cols, rows }' });
      await shell.resize(size.cols, size.rows).catch(() => {});
    } else if (verb === 'pause') shell.pause();
    else if (verb === 'resume') shell.resume();
    else await shell.kill().catch(() => {});
    return c.body(null, 204);
  });

  app.post('/sessions/:id/stop', async (c) => {
    const h = sessionOf(c);
    if (!h) return unknown(c);
    try {
      await deps.driver.stopProcesses(h.session);
      return c.body(null, 204);
    } catch (err) {
      return failure(c, err);
    }
  });

  app.get('/sessions/:id/alive', async (c) => {
    const h = sessionOf(c);
    return c.json({ alive: h ? ((await deps.driver.alive?.(h.session)) ?? true) : false });
  });

  app.delete('/sessions/:id', async (c) => {
    const id = c.req.param('id');
    const h = held.get(id);
    if (!h) return c.body(null, 204);
    try {
      await destroy(id, h);
      return c.body(null, 204);
    } catch (err) {
      return failure(c, err);
    }
  });

  function unknown(c: Context) {
    return fail(c, 404, { error: 'unknown_session', message: 'this worker holds no such session' });
  }

  async function destroy(id: string, h: Held) {
    try {
      await deps.driver.destroy(h.session);
    } finally {
      held.delete(id);
      if (h.session.gatewayAddress) await deps.forwarder.down(h.session.gatewayAddress).catch(() => {});
    }
  }

  return {
    app,
    get sessions() {
      return held.size;
    },
    async reapAbandoned(silentMs) {
      const cutoff = now() - silentMs;
      let reaped = 0;
      for (const [id, h] of [...held]) {
        if ((seen.get(h.owner) ?? 0) >= cutoff) continue;
        reaped++;
        await destroy(id, h).catch((err: unknown) => deps.logger.warn({ err, id }, 'sandbox destroy failed'));
      }
      for (const [owner, at] of seen) if (at < cutoff) seen.delete(owner);
      if (reaped) deps.logger.warn({ reaped }, 'removed sandboxes of API processes that stopped calling');
      return reaped;
    },
    async destroyAll() {
      for (const e of execs.values()) e.cancel();
      for (const sh of shells.values()) await sh.kill().catch(() => {});
      await Promise.all(
        [...held.entries()].map(([id, h]) =>
          destroy(id, h).catch((err: unknown) => deps.logger.warn({ err, id }, 'sandbox destroy failed')),
        ),
      );
    },
  };
}
