/**
 * A fake image builder for lock.test.ts, run as its own process: under the build lock it "builds"
 * `<dir>/image` unless it already exists, after waiting for `<dir>/go` so the test decides when the
 * build ends. Prints holding / waiting / built / reused on stdout.
 */
import { existsSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from './lock.ts';

const [dir, name] = process.argv.slice(2) as [string, string];
const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => appendFile(join(dir, 'log'), `${line} ${name}\n`);

const result = await withFileLock(
  join(dir, 'images.lock'),
  async () => {
    if (existsSync(join(dir, 'image'))) {
      await note('reuse');
      return 'reused';
    }
    await note('start');
    say('holding');
    while (!existsSync(join(dir, 'go'))) await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(dir, 'image'), name);
    await note('end');
    return 'built';
  },
  { pollMs: 20, onWait: (h) => say(`waiting for ${h.pid}`) },
);
say(result);
