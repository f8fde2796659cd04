/**
 * The editor's save over a real node server (the shortcut reads the body from node's stream itself,
 * which `app.request` in the unit tests never exercises): a save it proves is answered by it, and every
 * body it leaves to the normal files route — a new file, a stale revision after it has read the body,
 * a chunked body, an oversized one, one that is not JSON — still gets that route's answer, with the
 * body intact.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, openAsCandidate, startServe, tempDir, type ServerProcess } from '../helpers/process.ts';
import { seedInvitations } from '../../server/testing/index.ts';

describe('autosave over HTTP', () => {
  let server: ServerProcess | undefined;
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await server?.stop('SIGKILL');
    server = undefined;
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('answers the saves it proves and hands every other body to the files route intact', async () => {
    const tmp = await tempDir();
    cleanup.push(tmp.remove);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const url = `sqlite:${tmp.dir}/ws.db`;
    const [link] = await seedInvitations(url, base, 1);
    server = await startServe({
      PORT: String(port),
      DATABASE_URL: url,
      PUBLIC_URL: base,
      DEMO_SEED: 'false',
      SANDBOX_DRIVER: 'none',
    });
    const headers = await openAsCandidate(link!, base);
    const { attempt } = await fetch(`${base}/api/candidate/start`, { method: 'POST', headers }).then((r) =>
      r.json(),
    );
    const fileUrl = `${base}/api/attempts/${attempt.id}/file`;
    const put = (body: BodyInit, extra: RequestInit = {}) =>
      fetch(fileUrl, { method: 'PUT', headers, body, ...extra });
    const read = async () =>
      (await fetch(`${fileUrl}?path=notes.md`, { headers }).then((r) => r.json())) as {
        content: string;
        revision: number;
      };

    // A new file: the shortcut has no base and the files route writes it.
    const created = await put(JSON.stringify({ path: 'notes.md', content: 'one' }));
    expect(created.status, await created.clone().text()).toBe(200);
    expect((await created.json()).file.revision).toBe(1);
    // An edit from the revision just saved: the shortcut's own statement.
    const edited = await put(JSON.stringify({ path: 'notes.md', content: 'one two', baseRevision: 1 }));
    expect(edited.status).toBe(200);
    expect(await read()).toMatchObject({ content: 'one two', revision: 2 });
    // A stale revision: the shortcut read the body and declined; the route answers from that body.
    const stale = await put(JSON.stringify({ path: 'notes.md', content: 'lost?', baseRevision: 1 }));
    expect(stale.status).toBe(409);
    expect(await read()).toMatchObject({ content: 'one two', revision: 2 });
    // A chunked body (no Content-Length): the route reads it.
    const chunks = ['{"path":"notes.md","content":"one two ', 'three","baseRevision":2}'].map((s) =>
      new TextEncoder().encode(s),
    );
    const chunked = await put(
      new ReadableStream({
        start(c) {
          for (const chunk of chunks) c.enqueue(chunk);
          c.close();
        },
      }),
      { duplex: 'half' } as RequestInit,
    );
    expect(chunked.status, await chunked.clone().text()).toBe(200);
    expect(await read()).toMatchObject({ content: 'one two three', revision: 3 });
    // Over the body limit (refused on its Content-Length, before any of it is read), and not JSON: the
    // route's refusals, and nothing written.
    const huge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(fileUrl, {
        method: 'PUT',
        headers: { ...headers, 'content-length': String(3 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('payload_too_large');
    const garbage = await put('{"path": "notes.md", "content": ');
    expect(garbage.status).toBe(400);
    expect(await read()).toMatchObject({ content: 'one two three', revision: 3 });
  });
});
