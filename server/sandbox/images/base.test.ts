import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { hostMirror } from './base.ts';

let apt: string;
beforeEach(async () => {
  apt = await mkdtemp(join(tmpdir(), 'worksample-apt-'));
  await mkdir(join(apt, 'sources.list.d'));
});
afterEach(async () => {
  await rm(apt, { recursive: true, force: true });
});

it('uses the mirror the host apt uses for the suite (deb822), not the security one', async () => {
  await writeFile(
    join(apt, 'sources.list.d/debian.sources'),
    [
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
    ].join('\n'),
  );
  expect(await hostMirror('bookworm', apt)).toBe('http://mirror.example/debian');
});

it('reads one-line sources.list entries, and falls back to deb.debian.org', async () => {
  await writeFile(join(apt, 'sources.list'), 'deb [arch=amd64] http://old.example/debian bookworm main\n');
  expect(await hostMirror('bookworm', apt)).toBe('http://old.example/debian');
  expect(await hostMirror('trixie', apt)).toBe('http://deb.debian.org/debian');
});
