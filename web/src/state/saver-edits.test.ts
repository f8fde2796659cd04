// @vitest-environment happy-dom
/**
 * The typing between saves goes out after each save, naming the revision it starts from and the one
 * it leads to; the edit log never holds up or endangers the save (refused, failing, or offline).
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Saver } from './saver.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let files: Map<string, { content: string; revision: number }>;
let logs: { path: string; baseSha256: string; sha256: string; edits: unknown[] }[];
let logAnswer: () => Response | Promise<Response>;
let online: boolean;
let n = 0;
const savers: Saver[] = [];

function fakeFetch(url: string, init: RequestInit): Promise<Response> {
  if (!online) return Promise.reject(new TypeError('Failed to fetch'));
  const body = JSON.parse(String(init.body));
  if (url.endsWith('/edits')) {
    logs.push(body);
    return Promise.resolve(logAnswer());
  }
  const current = files.get(body.path)!;
  files.set(body.path, { content: body.content, revision: current.revision + 1 });
  const file = {
    path: body.path,
    revision: current.revision + 1,
    size: 0,
    sha256: sha(body.content),
    updatedAt: 0,
  };
  return Promise.resolve(json(200, { file, changed: true }));
}

async function open() {
  const s = new Saver(`e${++n}`, () => {});
  savers.push(s);
  await s.init(
    [...files].map(([path, f]) => ({
      path,
      revision: f.revision,
      size: 0,
      sha256: sha(f.content),
      updatedAt: 0,
    })),
  );
  return s;
}

/** What the editor does for one typed character at the end of the text. */
function type(s: Saver, text: string, ch: string) {
  s.edit('main.py', text + ch, [{ rangeOffset: text.length, rangeLength: 0, text: ch }]);
  return text + ch;
}

beforeEach(() => {
  files = new Map([['main.py', { content: 'print(1)\n', revision: 1 }]]);
  logs = [];
  online = true;
  logAnswer = () => json(200, { stored: true });
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
});
afterEach(() => {
  for (const s of savers.splice(0)) s.dispose();
  vi.unstubAllGlobals();
});

describe('Saver: edit logs', () => {
  it('sends the typing after the save, from the revision it started at to the one saved', async () => {
    const s = await open();
    let text = 'print(1)\n';
    for (const ch of '# hi') text = type(s, text, ch);
    await s.flush();
    expect(files.get('main.py')!.content).toBe('print(1)\n# hi');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ path: 'main.py', baseSha256: sha('print(1)\n'), sha256: sha(text) });
    expect(logs[0]!.edits.map((e) => (e as unknown[])[3]).join('')).toBe('# hi');
    text = type(s, text, '!');
    await s.flush();
    expect(logs[1]).toMatchObject({ baseSha256: sha('print(1)\n# hi'), sha256: sha(text) });
  });

  it('saves as usual when the edit log is refused or the request fails', async () => {
    logAnswer = () => json(400, { error: { code: 'validation_failed', message: 'edit log refused' } });
    const s = await open();
    type(s, 'print(1)\n', 'x');
    await s.flush();
    expect(s.state().status).toBe('saved');
    logAnswer = () => Promise.reject(new TypeError('Failed to fetch'));
    type(s, 'print(1)\nx', 'y');
    await s.flush();
    expect(s.state()).toMatchObject({ status: 'saved', error: null, unsaved: [] });
    expect(files.get('main.py')!.content).toBe('print(1)\nxy');
  });

  it('keeps the typing of a save that waited for the network, with what was typed meanwhile', async () => {
    const s = await open();
    online = false;
    let text = type(s, 'print(1)\n', 'a');
    await s.flush();
    text = type(s, text, 'b');
    online = true;
    await s.flush();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ baseSha256: sha('print(1)\n'), sha256: sha(text) });
    expect(logs[0]!.edits.map((e) => (e as unknown[])[3])).toEqual(['a', 'b']);
  });
});
