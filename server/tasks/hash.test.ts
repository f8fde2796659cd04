import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_TASK, tempTasks } from './fixtures/helpers.ts';
import { computeContentHash, loadTaskDir, sha256Hex } from './index.ts';

/** sha256 of "worksample-task-v1\n" + JSON of the sorted [path, sha256] pairs. */
const PINNED = 'bce2474ddc6551f6fdbca74a45c9fb53b96f2487ed15ea0280d35ad03ac09f15';

async function hashOf(dir: string): Promise<string> {
  const result = await loadTaskDir(dir);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.task.contentHash;
}

describe('computeContentHash', () => {
  const a = { path: 'a.txt', sha256: sha256Hex('a') };
  const b = { path: 'dir/b.txt', sha256: sha256Hex('b') };

  it('is pinned, so a scheme change is a deliberate, visible decision', () => {
    // Same input must hash the same on every machine and every release.
    expect(computeContentHash([a, b])).toBe(computeContentHash([b, a]));
    expect(computeContentHash([a, b])).toBe(PINNED);
  });

  it('changes when a name or a content hash changes', () => {
    const base = computeContentHash([a, b]);
    expect(computeContentHash([a, { ...b, path: 'dir/c.txt' }])).not.toBe(base);
    expect(computeContentHash([a, { ...b, sha256: sha256Hex('B') }])).not.toBe(base);
    expect(computeContentHash([a])).not.toBe(base);
  });
});

describe('contentHash of a loaded task', () => {
  let tmp: Awaited<ReturnType<typeof tempTasks>>;
  beforeEach(async () => {
    tmp = await tempTasks();
  });
  afterEach(() => tmp.cleanup());

  it('is the same for two copies in different places', async () => {
    const first = await tmp.copy(EXAMPLE_TASK);
    const other = await tempTasks();
    try {
      const second = await other.copy(EXAMPLE_TASK);
      expect(await hashOf(second)).toBe(await hashOf(first));
      expect(await hashOf(first)).toBe(await hashOf(EXAMPLE_TASK));
    } finally {
      await other.cleanup();
    }
  });

  it('changes when a file is edited', async () => {
    const dir = await tmp.copy(EXAMPLE_TASK);
    const before = await hashOf(dir);
    await writeFile(path.join(dir, 'starter/main.mjs'), '// edited\n', { flag: 'a' });
    expect(await hashOf(dir)).not.toBe(before);
  });

  it('changes when a file is renamed, even with identical content', async () => {
    const dir = await tmp.copy(EXAMPLE_TASK);
    const before = await hashOf(dir);
    await rename(path.join(dir, 'llm/mock.yaml'), path.join(dir, 'llm/mock2.yaml'));
    expect(await hashOf(dir)).not.toBe(before);
  });
});
