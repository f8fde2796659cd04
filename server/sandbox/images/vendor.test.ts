import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertPlatform, vendorClosure } from './vendor.ts';

let nm: string;
beforeEach(async () => {
  nm = await mkdtemp(join(tmpdir(), 'worksample-vendor-'));
});
afterEach(async () => {
  await rm(nm, { recursive: true, force: true });
});

async function pkg(dir: string, json: Record<string, unknown>) {
  await mkdir(join(nm, dir), { recursive: true });
  await writeFile(join(nm, dir, 'package.json'), JSON.stringify(json));
}

describe('vendorClosure', () => {
  it('follows dependencies the way Node resolves them, takes installed optional ones, skips optional peers', async () => {
    await pkg('app', {
      name: 'app',
      version: '1.0.0',
      dependencies: { lib: '^2' },
      optionalDependencies: { '@bin/linux-x64': '1', '@bin/darwin-arm64': '1' },
      peerDependencies: { zod: '*' },
      peerDependenciesMeta: { zod: { optional: true } },
    });
    await pkg('app/node_modules/lib', { name: 'lib', version: '2.0.0', dependencies: { util: '1' } });
    await pkg('lib', { name: 'lib', version: '1.0.0' });
    await pkg('util', { name: 'util', version: '1.2.3' });
    await pkg('@bin/linux-x64', { name: '@bin/linux-x64', version: '1.0.0', os: ['linux'], cpu: ['x64'] });
    await pkg('zod', { name: 'zod', version: '4.0.0' });

    const found = await vendorClosure(nm, ['app']);
    expect(found.map((p) => `${p.dir}@${p.version}`)).toEqual([
      '@bin/linux-x64@1.0.0',
      'app@1.0.0',
      'app/node_modules/lib@2.0.0',
      'util@1.2.3',
    ]);
  });

  it('fails when a required dependency is not installed', async () => {
    await pkg('app', { name: 'app', version: '1.0.0', dependencies: { gone: '1' } });
    await expect(vendorClosure(nm, ['app'])).rejects.toThrow(/"gone" \(needed by app\)/);
  });
});

describe('assertPlatform', () => {
  const esbuild = {
    name: '@esbuild/darwin-arm64',
    version: '1',
    dir: '@esbuild/darwin-arm64',
    os: ['darwin'],
    cpu: ['arm64'],
  };
  it('rejects a platform binary built for another OS or CPU than the engine', () => {
    expect(() => assertPlatform([esbuild], { os: 'linux', arch: 'arm64' })).toThrow(/@esbuild\/darwin-arm64/);
    expect(() =>
      assertPlatform([{ ...esbuild, os: ['linux'] }], { os: 'linux', arch: 'arm64' }),
    ).not.toThrow();
    expect(() => assertPlatform([{ ...esbuild, os: ['linux'] }], { os: 'linux', arch: 'amd64' })).toThrow();
  });
});
