import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';

describe('workspace files (happy path)', () => {
  let t: TestApp;
  let b: Browser;
  let id: string;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    ({ browser: b, attemptId: id } = await t.startedCandidate());
  });
  afterEach(() => t.close());

  const events = async () =>
    (await t.req(b, 'GET', `/api/attempts/${id}/events`)).json.events as Array<{
      type: string;
      path: string | null;
      revision: number | null;
    }>;

  it('starts with the starter files at revision 1', async () => {
    const r = await t.req(b, 'GET', `/api/attempts/${id}/files`);
    expect(r.status).toBe(200);
    expect(r.json.files.map((f: { path: string }) => f.path)).toEqual([
      'main.mjs',
      'parse-model-json.mjs',
      'visible.test.mjs',
    ]);
    for (const f of r.json.files)
      expect(f).toMatchObject({
        revision: 1,
        size: expect.any(Number),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    const read = await t.req(b, 'GET', `/api/attempts/${id}/file?path=parse-model-json.mjs`);
    expect(read.json).toMatchObject({ encoding: 'utf8', revision: 1 });
    expect(read.json.content).toMatch(/parseModelJson/);
  });

  it('creates, updates with baseRevision, and records one event per change', async () => {
    const create = await t.req(b, 'PUT', `/api/attempts/${id}/file`, {
      path: 'src/a.js',
      content: 'one',
      baseRevision: 0,
    });
    expect(create.json).toMatchObject({
      changed: true,
      file: { path: 'src/a.js', size: 3, revision: 1, updatedAt: t.clock.now() },
    });
    t.clock.advance(5000);
    const update = await t.req(b, 'PUT', `/api/attempts/${id}/file`, {
      path: 'src/a.js',
      content: 'two!',
      baseRevision: 1,
    });
    expect(update.json).toMatchObject({
      changed: true,
      file: { size: 4, revision: 2, updatedAt: t.clock.now() },
    });
    // Without baseRevision the write is last-writer-wins.
    const blind = await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'src/a.js', content: 'three' });
    expect(blind.json.file.revision).toBe(3);

    expect((await t.req(b, 'GET', `/api/attempts/${id}/file?path=src/a.js`)).json).toMatchObject({
      content: 'three',
      revision: 3,
    });
    const evs = (await events()).filter((e) => e.type === 'file.written');
    expect(evs.map((e) => [e.path, e.revision])).toEqual([
      ['src/a.js', 1],
      ['src/a.js', 2],
      ['src/a.js', 3],
    ]);
  });

  it('answers changed:false and records nothing for identical content', async () => {
    await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'same.txt', content: 'x' });
    const before = await events();
    const again = await t.req(b, 'PUT', `/api/attempts/${id}/file`, {
      path: 'same.txt',
      content: 'x',
      baseRevision: 1,
    });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ changed: false, file: { revision: 1 } });
    expect(await events()).toEqual(before);
  });

  it('round-trips binary content as base64 and UTF-8 text as text', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const w = await t.req(b, 'PUT', `/api/attempts/${id}/file`, {
      path: 'blob.bin',
      content: bytes.toString('base64'),
      encoding: 'base64',
    });
    expect(w.json.file.size).toBe(4);
    expect((await t.req(b, 'GET', `/api/attempts/${id}/file?path=blob.bin`)).json).toMatchObject({
      encoding: 'base64',
      content: bytes.toString('base64'),
    });

    await t.req(b, 'PUT', `/api/attempts/${id}/file`, {
      path: 'ünï/cödé ✓.md',
      content: Buffer.from('héllo').toString('base64'),
      encoding: 'base64',
    });
    const text = await t.req(
      b,
      'GET',
      `/api/attempts/${id}/file?path=${encodeURIComponent('ünï/cödé ✓.md')}`,
    );
    expect(text.json).toMatchObject({ encoding: 'utf8', content: 'héllo' });
    expect(
      (await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'empty.txt', content: '' })).json.file.size,
    ).toBe(0);
  });

  it('renames a file, keeping its content and bumping its revision', async () => {
    await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'old.md', content: 'keep me' });
    const r = await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, {
      from: 'old.md',
      to: 'docs/new.md',
      baseRevision: 1,
    });
    expect(r.status).toBe(200);
    expect(r.json.file).toMatchObject({ path: 'docs/new.md', revision: 2, size: 7 });
    expect((await t.req(b, 'GET', `/api/attempts/${id}/file?path=docs/new.md`)).json.content).toBe('keep me');
    expect((await t.req(b, 'GET', `/api/attempts/${id}/file?path=old.md`)).status).toBe(404);
    expect((await events()).at(-1)).toMatchObject({
      type: 'file.renamed',
      path: 'docs/new.md',
      revision: 2,
      payload: { from: 'old.md' },
    });
    // A file may move into the folder named like itself once it is the only one there.
    const into = await t.req(b, 'POST', `/api/attempts/${id}/file/rename`, {
      from: 'docs/new.md',
      to: 'docs/new.md/inner.md',
    });
    expect(into.status).toBe(200);
  });

  it('deletes a file', async () => {
    await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'tmp.txt', content: 'bye' });
    const r = await t.req(b, 'DELETE', `/api/attempts/${id}/file?path=tmp.txt&baseRevision=1`);
    expect(r.status).toBe(204);
    const list = await t.req(b, 'GET', `/api/attempts/${id}/files`);
    expect(list.json.files.map((f: { path: string }) => f.path)).not.toContain('tmp.txt');
    expect((await events()).at(-1)).toMatchObject({ type: 'file.deleted', path: 'tmp.txt' });
    // Re-creating it starts again at revision 1.
    expect(
      (await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'tmp.txt', content: 'hi', baseRevision: 0 }))
        .json.file.revision,
    ).toBe(1);
  });

  it('lets an author and an admin read the workspace and the timeline', async () => {
    await t.req(b, 'PUT', `/api/attempts/${id}/file`, { path: 'notes.md', content: 'n' });
    for (const role of ['author', 'admin'] as const) {
      const staff = await t.staff(role);
      expect((await t.req(staff, 'GET', `/api/attempts/${id}`)).json.attempt.id).toBe(id);
      expect((await t.req(staff, 'GET', `/api/attempts/${id}/files`)).json.files).toHaveLength(4);
      expect((await t.req(staff, 'GET', `/api/attempts/${id}/file?path=notes.md`)).json.content).toBe('n');
      expect(
        (await t.req(staff, 'GET', `/api/attempts/${id}/events`)).json.events.map(
          (e: { type: string }) => e.type,
        ),
      ).toEqual(['attempt.started', 'attempt.device', 'file.written']);
    }
  });
});
