/** The IndexedDB buffer of unsent edits (fake-indexeddb): one record per attempt and path. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { deletePending, listPending, putPending } from './idb.ts';

describe('pending-edit buffer', () => {
  it('keeps the latest edit per file, per attempt, until deleted', async () => {
    await putPending({ attemptId: 'q1', path: 'a.py', content: 'one', base: 1, at: 1 });
    await putPending({ attemptId: 'q1', path: 'a.py', content: 'two', base: 1, at: 2 });
    await putPending({ attemptId: 'q1', path: 'dir/b.py', content: 'b', base: 0, at: 3 });
    await putPending({ attemptId: 'q2', path: 'a.py', content: 'other attempt', base: 4, at: 4 });

    const q1 = (await listPending('q1')).sort((x, y) => x.path.localeCompare(y.path));
    expect(q1.map((r) => [r.path, r.content, r.base])).toEqual([
      ['a.py', 'two', 1],
      ['dir/b.py', 'b', 0],
    ]);
    expect((await listPending('q2')).map((r) => r.content)).toEqual(['other attempt']);

    await deletePending('q1', 'a.py');
    expect((await listPending('q1')).map((r) => r.path)).toEqual(['dir/b.py']);
    expect(await listPending('q2')).toHaveLength(1);
  });

  it('does not mix up an attempt whose id is a prefix of another', async () => {
    await putPending({ attemptId: 'p', path: 'x', content: '1', base: 0, at: 1 });
    await putPending({ attemptId: 'pp', path: 'x', content: '2', base: 0, at: 1 });
    expect((await listPending('p')).map((r) => r.content)).toEqual(['1']);
  });
});
