import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleTaskDir, makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError, workspaceState } from '../../testing/expect.ts';
import { listFiles } from '../../workspace/index.ts';

/** Everything a refused request must leave alone: files, their bytes and revisions, and the timeline. */

const starterDir = path.join(exampleTaskDir, 'starter');
const starterBytes = readdirSync(starterDir).reduce((n, f) => n + statSync(path.join(starterDir, f)).size, 0);
const starterCount = readdirSync(starterDir).length;

describe('workspace files (errors)', () => {
  let t: TestApp;
  let b: Browser;
  let id: string;
  async function setup(env: Record<string, string> = {}) {
    t = await makeTestApp({ env });
    await t.importExample();
    ({ browser: b, attemptId: id } = await t.startedCandidate());
  }
  afterEach(() => t?.close());
  const put = (body: unknown) => t.req(b, 'PUT', `/api/attempts/${id}/file`, body);

  const badPaths: Array<[string, string]> = [
    ['../x', 'dot-dot'],
    ['a/../../x', 'dot-dot inside'],
    ['/etc/passwd', 'absolute'],
    ['C:/x', 'drive letter'],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'NUL'],
    ['a\nb', 'newline'],
    ['', 'empty'],
    ['a//b', 'double slash'],
    ['./a', 'dot segment'],
    ['a/', 'trailing slash'],
    ['x'.repeat(256), 'longer than 255'],
    [Array.from({ length: 13 }, () => 'd').join('/'), 'deeper than 12'],
    [`ok/${'s'.repeat(101)}`, 'segment over 100'],
    [' lead.txt', 'leading space'],
    ['e\u0301.txt', 'not NFC'],
  ];

  it.each(badPaths)('refuses to write %j (%s) with 400 validation_failed and stores nothing', async (p) => {
    await setup();
    const before = await workspaceState(t, id);
    const r = await put({ path: p, content: 'pwned' });
    expectError(r, 400, 'validation_failed', /^path: /);
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('refuses bad paths on read, delete and rename too, and changes nothing', async () => {
    await setup();
    await put({ path: 'a.txt', content: 'a' });
    const before = await workspaceState(t, id);
    for (const [p] of badPaths) {
      expectError(
        await t.req(b, 'GET', `/api/attempts/${id}/file?path=${encodeURIComponent(p)}`),
        400,
        'validation_failed',
      );
      expectError(
        await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=${encodeURIComponent(p)}`),
        400,
        'validation_failed',
      );
      expectError(
        await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'a.txt', to: p }),
        400,
        'validation_failed',
        /^to: /,
      );
      expectError(
        await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: p, to: 'b.txt' }),
        400,
        'validation_failed',
        /^from: /,
      );
    }
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('refuses a rename to ../x and keeps the file where it was', async () => {
    await setup();
    await put({ path: 'keep.md', content: 'k' });
    const before = await workspaceState(t, id);
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'keep.md', to: '../x' }),
      400,
      'validation_failed',
      /\.\./,
    );
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('refuses a file where a folder of that name exists, and the reverse, with 409 conflict', async () => {
    await setup();
    expect((await put({ path: 'a', content: 'file' })).status).toBe(200);
    const before = await workspaceState(t, id);
    expectError(await put({ path: 'a/b', content: 'x' }), 409, 'conflict', /a\/b clashes with existing a/);
    expect(await workspaceState(t, id)).toEqual(before);

    expect((await put({ path: 'dir/inner.txt', content: 'x' })).status).toBe(200);
    const before2 = await workspaceState(t, id);
    expectError(await put({ path: 'dir', content: 'x' }), 409, 'conflict');
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'a', to: 'dir' }),
      409,
      'conflict',
    );
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'a', to: 'dir/inner.txt' }),
      409,
      'conflict',
      /already exists/,
    );
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'dir/inner.txt', to: 'a/x' }),
      409,
      'conflict',
    );
    expect(await workspaceState(t, id)).toEqual(before2);
  });

  it('answers 404 for a missing file on read, rename and delete', async () => {
    await setup();
    const before = await workspaceState(t, id);
    expectError(
      await t.req(b, 'GET', `/api/attempts/${id}/file?path=nope.txt`),
      404,
      'not_found',
      /nope\.txt not found/,
    );
    expectError(await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=nope.txt`), 404, 'not_found');
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, { from: 'nope.txt', to: 'x.txt' }),
      404,
      'not_found',
    );
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('refuses a file over MAX_FILE_BYTES with 413 and stores nothing', async () => {
    await setup({ MAX_FILE_BYTES: '1000' });
    expect((await put({ path: 'exact.txt', content: 'x'.repeat(1000) })).status).toBe(200);
    const before = await workspaceState(t, id);
    expectError(
      await put({ path: 'big.txt', content: 'x'.repeat(1001) }),
      413,
      'payload_too_large',
      /1001 bytes; the limit per file is 1000/,
    );
    expectError(await put({ path: 'exact.txt', content: 'y'.repeat(1001) }), 413, 'payload_too_large');
    expectError(
      await put({ path: 'big.bin', content: Buffer.alloc(1001, 1).toString('base64'), encoding: 'base64' }),
      413,
      'payload_too_large',
    );
    // Multi-byte characters count as bytes, not characters.
    expectError(await put({ path: 'utf.txt', content: 'é'.repeat(501) }), 413, 'payload_too_large');
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('refuses a write that takes the workspace over MAX_WORKSPACE_BYTES with 413', async () => {
    await setup({ MAX_FILE_BYTES: '1000', MAX_WORKSPACE_BYTES: String(starterBytes + 1500) });
    expect((await listFiles(t.ctx, id)).reduce((n, f) => n + f.size, 0)).toBe(starterBytes);
    expect((await put({ path: 'one.txt', content: 'x'.repeat(1000) })).status).toBe(200);
    const before = await workspaceState(t, id);
    expectError(
      await put({ path: 'two.txt', content: 'x'.repeat(501) }),
      413,
      'payload_too_large',
      /the limit is/,
    );
    expect(await workspaceState(t, id)).toEqual(before);
    // Replacing a file counts its new size, not old + new.
    expect((await put({ path: 'one.txt', content: 'y'.repeat(1000) })).status).toBe(200);
    expect((await put({ path: 'two.txt', content: 'x'.repeat(500) })).status).toBe(200);
  });

  it('refuses a file beyond MAX_WORKSPACE_FILES with 413, while updates still work', async () => {
    await setup({ MAX_WORKSPACE_FILES: String(starterCount + 1) });
    expect((await put({ path: 'last.txt', content: '1' })).status).toBe(200);
    const before = await workspaceState(t, id);
    expectError(await put({ path: 'one-too-many.txt', content: '1' }), 413, 'payload_too_large', /limit is/);
    expect(await workspaceState(t, id)).toEqual(before);
    expect((await put({ path: 'last.txt', content: '2' })).status).toBe(200);
  });

  it('refuses a request body over the body limit with 413 before reading it', async () => {
    await setup({ MAX_FILE_BYTES: '1000' });
    const before = await workspaceState(t, id);
    const body = JSON.stringify({ path: 'huge.txt', content: 'x'.repeat(200_000) });
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await t.app.request(`/api/attempts/${id}/file`, {
      method: 'PUT',
      headers: { cookie, 'x-csrf-token': b.csrf!, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    const json = await res.json();
    expect(json.error).toMatchObject({ code: 'payload_too_large', requestId: expect.stringMatching(/\S/) });
    // And the same when the client declares the length up front.
    const declared = await t.app.request(`/api/attempts/${id}/file`, {
      method: 'PUT',
      headers: {
        cookie,
        'x-csrf-token': b.csrf!,
        'content-type': 'application/json',
        'content-length': String(body.length),
      },
      body,
    });
    expect(declared.status).toBe(413);
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it.each(['not base64!', 'abc', 'YQ=a', '===='])('refuses invalid base64 %j with 400', async (content) => {
    await setup();
    const before = await workspaceState(t, id);
    expectError(
      await put({ path: 'b.bin', content, encoding: 'base64' }),
      400,
      'validation_failed',
      /base64/,
    );
    expect(await workspaceState(t, id)).toEqual(before);
  });

  it('refuses an unknown encoding with 400', async () => {
    await setup();
    expectError(
      await put({ path: 'b.bin', content: 'x', encoding: 'hex' }),
      400,
      'validation_failed',
      /encoding/,
    );
  });

  it('refuses a stale baseRevision with 409 stale_revision, naming the current revision, and keeps the content', async () => {
    await setup();
    await put({ path: 'f.md', content: 'v1' });
    await put({ path: 'f.md', content: 'v2', baseRevision: 1 });
    const before = await workspaceState(t, id);

    const stale = await put({ path: 'f.md', content: 'from the old tab', baseRevision: 1 });
    expectError(stale, 409, 'stale_revision', /now revision 2, you edited revision 1/);
    expect(stale.json.error.details).toEqual({ currentRevision: 2 });
    const createOnly = await put({ path: 'f.md', content: 'x', baseRevision: 0 });
    expectError(createOnly, 409, 'stale_revision');
    expect(createOnly.json.error.details).toEqual({ currentRevision: 2 });
    const gone = await put({ path: 'ghost.md', content: 'x', baseRevision: 3 });
    expectError(gone, 409, 'stale_revision', /no longer exists/);
    expect(gone.json.error.details).toEqual({ currentRevision: 0 });
    // Even identical content is refused when the base is stale (the client's view is out of date).
    expectError(await put({ path: 'f.md', content: 'v2', baseRevision: 1 }), 409, 'stale_revision');
    expectError(
      await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=f.md&baseRevision=1`),
      409,
      'stale_revision',
    );
    expectError(
      await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, {
        from: 'f.md',
        to: 'g.md',
        baseRevision: 1,
      }),
      409,
      'stale_revision',
    );

    expect(await workspaceState(t, id)).toEqual(before);
    expect((await t.req(b, 'GET', `/api/attempts/${id}/file?path=f.md`)).json).toMatchObject({
      content: 'v2',
      revision: 2,
    });
  });

  it('refuses a negative or fractional baseRevision with 400', async () => {
    await setup();
    expectError(
      await put({ path: 'f.md', content: 'x', baseRevision: -1 }),
      400,
      'validation_failed',
      /baseRevision/,
    );
    expectError(
      await put({ path: 'f.md', content: 'x', baseRevision: 1.5 }),
      400,
      'validation_failed',
      /baseRevision/,
    );
  });
});
