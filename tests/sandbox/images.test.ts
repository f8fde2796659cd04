/**
 * The sandbox images, checked in real containers on the real Docker engine: what candidate code can
 * rely on (the openai SDK from any file under /workspace, tsx, node --test, pytest/httpx/requests,
 * uid 1000) and what the driver relies on (tar, timeout, kill, pkill). The images are not built
 * here: CI runs `npm run sandboxes:build -- --offline` first.
 */
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { environments, imageFor, recipeHash, type EnvName } from '../../server/sandbox/images/index.ts';
import { needs } from '../helpers/require.ts';
import { docker, imageExists } from '../helpers/docker.ts';
import { DockerDriver } from '../../server/sandbox/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const engineAnswers = await DockerDriver.engineAnswers(docker, 3000);
const useDocker = needs('docker', engineAnswers, 'install docker.io and start dockerd');
const images = Object.fromEntries(
  await Promise.all(environments.map(async (env) => [env, await imageFor(env)] as const)),
) as Record<EnvName, string>;
const built = Object.fromEntries(
  await Promise.all(
    environments.map(async (env) => [env, useDocker && (await imageExists(images[env]))] as const),
  ),
) as Record<EnvName, boolean>;
const howToBuild = (env: EnvName) =>
  `image ${images[env]} is missing: run npm run sandboxes:build (add -- --offline without a registry)`;

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs argv in a fresh container (no network), optionally with files put into /workspace first. */
async function run(image: string, cmd: string[], files: Record<string, string> = {}): Promise<Run> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { AutoRemove: false, NetworkMode: 'none' },
  });
  try {
    if (Object.keys(files).length > 0) {
      const tar = pack();
      for (const [name, content] of Object.entries(files)) tar.entry({ name, uid: 1000, gid: 1000 }, content);
      tar.finalize();
      await container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: '/workspace' });
    }
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    out.on('data', (c: Buffer) => chunks.stdout.push(c));
    err.on('data', (c: Buffer) => chunks.stderr.push(c));
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    docker.modem.demuxStream(stream, out, err);
    const ended = new Promise((resolve) => stream.on('end', resolve));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await ended;
    return {
      exitCode: StatusCode,
      stdout: Buffer.concat(chunks.stdout).toString('utf8'),
      stderr: Buffer.concat(chunks.stderr).toString('utf8'),
    };
  } finally {
    await container.remove({ force: true });
  }
}

describe('recipe hash', () => {
  it('changes when one byte of a Dockerfile changes, and only for that environment', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'worksample-recipe-'));
    try {
      await cp(join(root, 'sandboxes'), join(copy, 'sandboxes'), { recursive: true });
      await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
      const before = { node: await recipeHash('node', copy), python: await recipeHash('python', copy) };
      expect(before.node).toBe(await recipeHash('node'));
      expect(`worksample-sandbox-node:${before.node.slice(0, 12)}`).toBe(images.node);

      const dockerfile = join(copy, 'sandboxes/node/Dockerfile');
      const bytes = await readFile(dockerfile);
      const last = bytes.length - 1;
      bytes.writeUInt8(bytes.readUInt8(last) ^ 1, last);
      await writeFile(dockerfile, bytes);

      expect(await recipeHash('node', copy)).not.toBe(before.node);
      expect(await recipeHash('python', copy)).toBe(before.python);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe.runIf(useDocker)('sandbox images', () => {
  describe.runIf(needs('docker', built.node, howToBuild('node')))('node', () => {
    it('imports the openai SDK from /workspace (ESM)', async () => {
      const r = await run(images.node, [
        'node',
        '-e',
        "import('openai').then(m=>console.log(typeof m.default))",
      ]);
      expect(r).toMatchObject({ exitCode: 0, stdout: 'function\n' });
    });

    it('runs a TypeScript file with tsx, importing OpenAI and running as uid 1000', async () => {
      const r = await run(images.node, ['tsx', 'main.ts'], {
        'main.ts': [
          "import OpenAI from 'openai';",
          'const answer: number = 6 * 7;',
          'console.log(typeof OpenAI, answer, process.getuid?.(), process.cwd());',
        ].join('\n'),
      });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'function 42 1000 /workspace\n' });
    });

    it('runs tests with node --test', async () => {
      const r = await run(images.node, ['node', '--test'], {
        'sum.test.mjs':
          "import test from 'node:test';\nimport assert from 'node:assert';\ntest('sum', () => assert.equal(1 + 1, 2));\n",
      });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/pass 1/);
    });
  });

  describe.runIf(needs('docker', built.python, howToBuild('python')))('python', () => {
    it('imports pytest, httpx and requests', async () => {
      const r = await run(images.python, ['python3', '-c', 'import pytest, httpx, requests']);
      expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    });

    it('runs pytest', async () => {
      const version = await run(images.python, ['pytest', '--version']);
      expect(version.exitCode).toBe(0);
      expect(version.stdout + version.stderr).toMatch(/pytest \d+\./);

      const r = await run(images.python, ['pytest', '-q', '-p', 'no:cacheprovider'], {
        'test_sum.py': 'def test_sum():\n    assert 1 + 1 == 2\n',
      });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/1 passed/);
    });
  });

  describe.each(environments.filter((env) => built[env]))('%s image', (env) => {
    it('runs as sandbox (uid/gid 1000) in /workspace with HOME=/home/sandbox', async () => {
      const r = await run(images[env], ['sh', '-c', 'id -u; id -g; id -un; pwd; echo "$HOME"; touch x']);
      expect(r).toMatchObject({ exitCode: 0, stdout: '1000\n1000\nsandbox\n/workspace\n/home/sandbox\n' });
    });

    it('has what the driver uses: tar, timeout, kill, pkill', async () => {
      const r = await run(images[env], [
        'sh',
        '-c',
        'for c in tar timeout kill pkill; do command -v $c >/dev/null || echo missing $c; done; timeout 1 sleep 5; echo $?',
      ]);
      expect(r).toMatchObject({ exitCode: 0, stdout: '124\n' });
    });

    it('carries its labels', async () => {
      const info = await docker.getImage(images[env]).inspect();
      expect(info.Config.Labels).toMatchObject({
        'org.worksample.env': env,
        'org.worksample.recipe': expect.stringMatching(new RegExp(`^${images[env].split(':')[1]}`)),
      });
    });
  });
});
