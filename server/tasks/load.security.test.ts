import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_TASK, editManifest, tempTasks } from './fixtures/helpers.ts';
import { loadTaskDir } from './index.ts';

async function errorsOf(dir: string, limits?: Parameters<typeof loadTaskDir>[1]): Promise<string[]> {
  const result = await loadTaskDir(dir, limits);
  if (result.ok) throw new Error(`expected ${dir} to fail to load`);
  return result.errors;
}

describe('loadTaskDir: untrusted task folders', () => {
  let tmp: Awaited<ReturnType<typeof tempTasks>>;
  let dir: string;
  beforeEach(async () => {
    tmp = await tempTasks();
    dir = await tmp.copy(EXAMPLE_TASK);
  });
  afterEach(() => tmp.cleanup());

  it('refuses a symlinked file instead of reading its target', async () => {
    const secret = path.join(tmp.root, 'secret.txt');
    await writeFile(secret, 'host secret');
    await symlink(secret, path.join(dir, 'starter/notes.txt'));
    expect(await errorsOf(dir)).toEqual([`${dir}/starter/notes.txt: symlinks are not allowed`]);
  });

  it('reports a refused file once, not also as missing', async () => {
    const real = path.join(tmp.root, 'real.txt');
    await writeFile(real, '# hi\n');
    for (const file of ['statement.md', 'tests/hidden.test.mjs']) {
      await rm(path.join(dir, file));
      await symlink(real, path.join(dir, file));
    }
    expect(await errorsOf(dir)).toEqual([
      `${dir}/statement.md: symlinks are not allowed`,
      `${dir}/tests/hidden.test.mjs: symlinks are not allowed`,
    ]);
  });

  it('refuses a symlinked folder and a symlinked task folder', async () => {
    await symlink(tmp.root, path.join(dir, 'solution/escape'));
    expect(await errorsOf(dir)).toEqual([`${dir}/solution/escape: symlinks are not allowed`]);
    const link = path.join(tmp.root, 'linked-task');
    await symlink(dir, link);
    expect(await errorsOf(link)).toEqual([`${link}: symlinks are not allowed`]);
  });

  it('rejects manifest paths that climb out of the folder', async () => {
    await editManifest(dir, (m) => {
      m.tests.hidden = ['../../task.yaml', '/etc/passwd'];
    });
    const message = 'expected a relative path inside the folder (no "..", no leading "/", no "\\")';
    expect(await errorsOf(dir)).toEqual([
      `${dir}/task.yaml: tests.hidden[0]: ${message}`,
      `${dir}/task.yaml: tests.hidden[1]: ${message}`,
    ]);
  });

  it.skipIf(process.platform === 'win32')(
    'refuses special files such as FIFOs without blocking',
    async () => {
      execFileSync('mkfifo', [path.join(dir, 'starter/pipe')]);
      expect(await errorsOf(dir)).toEqual([`${dir}/starter/pipe: not a regular file`]);
    },
  );

  it('caps the number of files', async () => {
    await mkdir(path.join(dir, 'starter/many'));
    for (let i = 0; i < 5; i++) await writeFile(path.join(dir, `starter/many/${i}.txt`), `${i}`);
    expect(await errorsOf(dir, { limits: { maxFiles: 12 } })).toEqual([
      `${dir}: more than 12 files (the limit)`,
    ]);
  });

  it('caps the size of one file, naming it', async () => {
    await writeFile(path.join(dir, 'starter/big.bin'), Buffer.alloc(8001));
    expect(await errorsOf(dir, { limits: { maxFileBytes: 8000 } })).toEqual([
      `${dir}/starter/big.bin: larger than the 8000 bytes per-file limit`,
    ]);
  });

  it('caps the total size', async () => {
    expect(await errorsOf(dir, { limits: { maxTotalBytes: 1024 } })).toEqual([
      `${dir}: files total more than 1024 bytes (the limit)`,
    ]);
  });

  it('uses MiB in messages for the default limits', async () => {
    await writeFile(path.join(dir, 'starter/big.bin'), Buffer.alloc(5 * 1024 * 1024 + 1));
    expect(await errorsOf(dir)).toEqual([`${dir}/starter/big.bin: larger than the 5 MiB per-file limit`]);
  });
});
