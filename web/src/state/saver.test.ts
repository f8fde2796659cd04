// @vitest-environment happy-dom
/**
 * The autosave queue as the candidate experiences it: edits reach the server, survive being offline
 * and a crashed tab (IndexedDB), never silently overwrite another tab's save, and stop at submit.
 * The server is a fake `fetch` that keeps revisions like server/workspace does.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Saver, type SaverState } from './saver.ts';
import { listPending } from './idb.ts';

interface FakeServer {
  files: Map<string, { content: string; revision: number }>;
  online: boolean;
  /** Set to answer every write with this error code (e.g. the attempt was submitted). */
  refuse: string | null;
  puts: { path: string; content: string; baseRevision: number }[];
}

let server: FakeServer;
let attempt = 0;
let attemptId: string;
const savers: Saver[] = [];

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function fakeFetch(url: string, init: RequestInit): Promise<Response> {
  if (!server.online) return Promise.reject(new TypeError('Failed to fetch'));
  const u = new URL(url, 'http://localhost');
  if (init.method === 'GET') {
    const path = u.searchParams.get('path')!;
    const f = server.files.get(path)!;
    return Promise.resolve(json(200, { path, ...f, size: 0, sha256: '', updatedAt: 0, encoding: 'utf8' }));
  }
  const body = JSON.parse(String(init.body)) as FakeServer['puts'][number];
  server.puts.push(body);
  if (body.content.length > 100)
    return Promise.resolve(
      json(413, { error: { code: 'too_large', message: 'the file is larger than the 100-byte limit' } }),
    );
  if (server.refuse)
    return Promise.resolve(
      json(409, { error: { code: server.refuse, message: 'the attempt was submitted' } }),
    );
  const current = server.files.get(body.path)?.revision ?? 0;
  if (body.baseRevision !== current)
    return Promise.resolve(
      json(409, {
        error: { code: 'stale_revision', message: 'stale', details: { currentRevision: current } },
      }),
    );
  server.files.set(body.path, { content: body.content, revision: current + 1 });
  return Promise.resolve(
    json(200, { file: { path: body.path, revision: current + 1, size: 0, sha256: '', updatedAt: 0 } }),
  );
}

async function open(onLocked: (reason: string) => void = () => {}) {
  const s = new Saver(attemptId, onLocked);
  savers.push(s);
  const files = [...server.files].map(([path, f]) => ({
    path,
    revision: f.revision,
    size: 0,
    sha256: '',
    updatedAt: 0,
  }));
  const restored = await s.init(files);
  return { saver: s, restored };
}

const latest = (s: Saver) => {
  let state: SaverState | undefined;
  s.subscribe((x) => (state = x))();
  return state!;
};

beforeEach(() => {
  attemptId = `a${++attempt}`;
  server = {
    files: new Map([['main.py', { content: 'print(1)\n', revision: 1 }]]),
    online: true,
    refuse: null,
    puts: [],
  };
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
});
afterEach(() => {
  for (const s of savers.splice(0)) s.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('Saver (happy path)', () => {
  it('saves an edit to the server after a short pause, as one write for a burst of typing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { saver } = await open();
    saver.edit('main.py', 'print(2)\n');
    saver.edit('main.py', 'print(3)\n');
    expect(latest(saver).status).toBe('saving');
    await vi.advanceTimersByTimeAsync(599);
    expect(server.puts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(latest(saver).status).toBe('saved'));
    expect(server.puts).toEqual([{ path: 'main.py', content: 'print(3)\n', baseRevision: 1 }]);
    expect(server.files.get('main.py')).toEqual({ content: 'print(3)\n', revision: 2 });
    expect(saver.revision('main.py')).toBe(2);
  });

  it('keeps an edit in IndexedDB until the server has it, and a reopened tab saves it', async () => {
    server.online = false;
    const first = await open();
    first.saver.edit('main.py', 'print("typed before the crash")\n');
    await vi.waitFor(async () => expect(await listPending(attemptId)).toHaveLength(1));
    first.saver.dispose(); // the tab is gone

    server.online = true;
    const again = await open();
    expect(again.restored.get('main.py')).toBe('print("typed before the crash")\n');
    await again.saver.flush();
    expect(server.files.get('main.py')?.content).toBe('print("typed before the crash")\n');
    expect(await listPending(attemptId)).toEqual([]);
  });
});

describe('Saver (offline and errors)', () => {
  it('shows an edit made offline as queued, and saves it when the browser is back online', async () => {
    server.online = false;
    const { saver } = await open();
    saver.edit('main.py', 'print("offline")\n');
    await saver.flush();
    expect(latest(saver)).toMatchObject({ status: 'offline', queued: 1 });
    expect(server.files.get('main.py')?.content).toBe('print(1)\n');

    server.online = true;
    dispatchEvent(new Event('online'));
    await vi.waitFor(() => expect(latest(saver).status).toBe('saved'));
    expect(server.files.get('main.py')).toEqual({ content: 'print("offline")\n', revision: 2 });
  });

  it('retries on its own with a growing pause while offline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    server.online = false;
    const { saver } = await open();
    saver.edit('main.py', 'x\n');
    await vi.advanceTimersByTimeAsync(600); // first attempt fails
    const fetches = () => vi.mocked(fetch).mock.calls.length;
    const afterFirst = fetches();
    await vi.advanceTimersByTimeAsync(1000); // retry after 1 s
    expect(fetches()).toBe(afterFirst + 1);
    await vi.advanceTimersByTimeAsync(1999); // then the pause doubles: nothing before 2 s
    expect(fetches()).toBe(afterFirst + 1);
    server.online = true;
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(latest(saver).status).toBe('saved'));
    expect(server.files.get('main.py')?.content).toBe('x\n');
  });

  it('stops listening for "online" once disposed (no save from a closed workspace)', async () => {
    server.online = false;
    const { saver } = await open();
    saver.edit('main.py', 'from a closed workspace\n');
    await saver.flush();
    saver.dispose();
    server.online = true;
    vi.mocked(fetch).mockClear();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(fetch).not.toHaveBeenCalled();
    expect(server.files.get('main.py')?.content).toBe('print(1)\n');
  });

  it('says a save the server refused (attempt storage full) was not saved, and keeps the edit in IndexedDB', async () => {
    const { saver } = await open();
    const full =
      'this attempt has used the storage it is allowed for saved work (64 bytes), so this change was not saved on the server.';
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init: RequestInit) =>
        init.method === 'PUT'
          ? Promise.resolve(json(413, { error: { code: 'payload_too_large', message: full } }))
          : fakeFetch(url, init),
      ),
    );
    saver.edit('main.py', 'print("a change the server refused")\n');
    await saver.flush();
    expect(latest(saver)).toMatchObject({ status: 'error', error: `main.py: ${full}` });
    expect((await listPending(attemptId)).map((p) => p.content)).toEqual([
      'print("a change the server refused")\n',
    ]);
    expect(server.files.get('main.py')?.content).toBe('print(1)\n');
  });

  it('locks and tells the page when the server says the attempt is submitted', async () => {
    const onLocked = vi.fn();
    const { saver } = await open(onLocked);
    server.refuse = 'attempt_submitted';
    saver.edit('main.py', 'too late\n');
    await saver.flush();
    expect(onLocked).toHaveBeenCalledWith('the attempt was submitted');
    expect(latest(saver).status).toBe('locked');
    saver.edit('main.py', 'even later\n');
    await saver.flush();
    expect(server.puts.map((p) => p.content)).toEqual(['too late\n']);
  });
});

describe('Saver (conflicts)', () => {
  it('never overwrites a save from another tab: it reports a conflict with my text', async () => {
    const { saver } = await open();
    server.files.set('main.py', { content: 'print("other tab")\n', revision: 2 });
    saver.edit('main.py', 'print("mine")\n');
    await saver.flush();
    expect(latest(saver).status).toBe('conflict');
    expect(latest(saver).conflicts).toEqual([
      { path: 'main.py', mine: 'print("mine")\n', currentRevision: 2 },
    ]);
    expect(server.files.get('main.py')?.content).toBe('print("other tab")\n');
  });

  it('"keep mine" saves my text over the current revision; "take theirs" drops mine', async () => {
    const { saver } = await open();
    server.files.set('main.py', { content: 'theirs\n', revision: 2 });
    saver.edit('main.py', 'mine\n');
    await saver.flush();
    saver.keepMine('main.py');
    await saver.flush();
    expect(server.files.get('main.py')).toEqual({ content: 'mine\n', revision: 3 });
    expect(latest(saver).status).toBe('saved');

    server.files.set('main.py', { content: 'theirs again\n', revision: 4 });
    saver.edit('main.py', 'mine again\n');
    await saver.flush();
    expect(await saver.takeTheirs('main.py')).toBe('theirs again\n');
    expect(latest(saver).status).toBe('saved');
    expect(await listPending(attemptId)).toEqual([]);
    expect(saver.revision('main.py')).toBe(4);
  });

  it('treats a replayed save the server already has as saved, not as a conflict', async () => {
    const { saver } = await open();
    // The write reached the server just before a crash; the reopened tab replays it from revision 1.
    server.files.set('main.py', { content: 'already there\n', revision: 2 });
    saver.edit('main.py', 'already there\n');
    await saver.flush();
    expect(latest(saver).status).toBe('saved');
    expect(saver.revision('main.py')).toBe(2);
  });
});

describe('Saver (files the server refuses)', () => {
  it('lists every refused file with why, and clears each once it is shrunk or deleted', async () => {
    const { saver } = await open();
    saver.edit('main.py', 'x'.repeat(200));
    saver.edit('big.txt', 'y'.repeat(300));
    await saver.flush();
    expect(latest(saver).status).toBe('error');
    expect(latest(saver).unsaved).toEqual([
      { path: 'main.py', reason: 'the file is larger than the 100-byte limit' },
      { path: 'big.txt', reason: 'the file is larger than the 100-byte limit' },
    ]);

    saver.edit('main.py', 'print(2)\n'); // shrunk: saves and leaves the list
    await saver.flush();
    expect(latest(saver).unsaved.map((u) => u.path)).toEqual(['big.txt']);
    expect(server.files.get('main.py')?.content).toBe('print(2)\n');

    saver.forget('big.txt'); // deleted
    expect(latest(saver)).toMatchObject({ status: 'saved', unsaved: [], error: null });
  });
});
