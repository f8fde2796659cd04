/**
 * `npm run sandboxes:build [-- --offline] [--env node]`: builds the sandbox images the current
 * recipes name (skipping those that exist) and prints what happened. Progress goes to stderr, the
 * summary table to stdout.
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { buildImages, environments, type BuildResult, type EnvName } from './index.ts';

const usage = `usage: npm run sandboxes:build -- [--offline] [--env ${environments.join('|')}]... [--mirror URL] [--cache-dir DIR]
  --offline     build FROM a debootstrapped Debian base (no registry); default: registry, else offline
  --env         only this environment (repeatable)
  --mirror      Debian mirror for debootstrap (default: the one the host's apt uses)
  --cache-dir   where the debootstrapped rootfs is kept`;

function table(rows: BuildResult[]): string {
  const lines = [
    ['env', 'image', 'status', 'seconds'],
    ...rows.map((r) => [r.env, r.image, r.status, r.seconds.toFixed(1)]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      offline: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true },
      mirror: { type: 'string' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const unknown = (values.env ?? []).filter((e) => !(environments as readonly string[]).includes(e));
  if (unknown.length > 0) {
    process.stderr.write(`unknown environment: ${unknown.join(', ')}\n${usage}\n`);
    return 2;
  }
  const results = await buildImages({
    docker: new Docker(),
    offline: values.offline,
    ...(values.env ? { envs: values.env as EnvName[] } : {}),
    ...(values.mirror ? { mirror: values.mirror } : {}),
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${table(results)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`sandboxes:build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
