/**
 * An acknowledged autosave survives kill -9 of the server: right after the last 200, the process is
 * killed (no shutdown, no checkpoint), and the database then holds every acknowledged revision —
 * the latest as the file, each earlier one rebuildable for replay. SQLite (WAL, synchronous=NORMAL:
 * the commit is in the WAL file the OS holds) always; Postgres when TEST_DATABASE_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runCli, startServe, tempDir, type ServerProcess } from '../helpers/process.ts';
import { needs } from '../helpers/require.ts';
import { dialects, freshDatabaseUrl } from '../../server/testing/index.ts';
import { openDatabase } from '../../server/db/index.ts';
import { revisionContent } from '../../server/workspace/index.ts';
import { sha256Hex } from '../../server/blobs/index.ts';

const list = dialects();
needs('postgres', list.includes('postgres'), 'set TEST_DATABASE_URL to run the Postgres round');

describe.each(list)('autosave durability on %s', (dialect) => {
  let server: ServerProcess | undefined;
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await server?.stop('SIGKILL');
    server = undefined;
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('keeps every acknowledged save after kill -9', async () => {
    const tmp = await tempDir();
    cleanup.push(tmp.remove);
    const fresh = await freshDatabaseUrl(dialect);
    cleanup.push(fresh.drop);
    const url = dialect === 'sqlite' ? `sqlite:${tmp.dir}/ws.db` : fresh.url;
    const port = await freePort();
    const env = {
      PORT: String(port),
      DATABASE_URL: url,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DEMO_SEED: 'false',
      SANDBOX_DRIVER: 'none',
    };
    expect((await runCli(['tasks', 'import', 'tasks/hello-llm'], env)).code).toBe(0);
    const invite = await runCli(
      ['invite', '--task', 'hello-llm', '--email', 'k@example.com', '--name', 'K'],
      env,
    );
    const link = invite.stdout.trim().split('\n').pop()!;

    server = await startServe(env);
    const open = await fetch(link, { redirect: 'manual' });
    const cookie = open.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const { csrfToken } = await fetch(`${server.url}/api/candidate`, { headers: { cookie } }).then((r) =>
      r.json(),
    );
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    const { attempt } = await fetch(`${server.url}/api/candidate/start`, { method: 'POST', headers }).then(
      (r) => r.json(),
    );
    let content = Array.from({ length: 200 }, (_, i) => `row ${i}`).join('\n');
    const acked: string[] = [];
    let revision = 0;
    for (let i = 0; i < 80; i++) {
      content = `${content.slice(0, i * 9)}edit ${i}${content.slice(i * 9 + 3)}`;
      const r = await fetch(`${server.url}/api/attempts/${attempt.id}/file`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ path: 'src/work.ts', content, baseRevision: revision }),
      });
      expect(r.status).toBe(200);
      revision = (await r.json()).file.revision;
      acked.push(content);
    }
    server.child.kill('SIGKILL'); // at once after the last acknowledgement
    await new Promise((r) => server!.child.once('exit', r));
    server = undefined;

    const database = await openDatabase(url);
    try {
      const row = await database.db
        .selectFrom('workspace_files')
        .select(['revision', 'sha256'])
        .where('attempt_id', '=', attempt.id)
        .where('path', '=', 'src/work.ts')
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ revision: 80, sha256: sha256Hex(acked.at(-1)!) });
      for (const [i, c] of acked.entries()) {
        expect((await revisionContent(database.db, attempt.id, sha256Hex(c)))?.toString(), `save ${i}`).toBe(
          c,
        );
      }
    } finally {
      await database.close();
    }

    // And the restarted server serves the last acknowledged content.
    server = await startServe(env);
    const file = await fetch(`${server.url}/api/attempts/${attempt.id}/file?path=src/work.ts`, {
      headers: { cookie },
    }).then((r) => r.json());
    expect(file).toMatchObject({ content: acked.at(-1), revision: 80 });
  });
});
