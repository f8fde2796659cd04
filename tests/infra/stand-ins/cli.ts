/**
 * `npx tsx tests/infra/stand-ins/cli.ts`: builds the offline stand-ins for `node:20-bookworm-slim`
 * and `postgres:15` that the compose deploy test needs (skipping those already built from the
 * current recipe) and prints what happened. Progress goes to stderr, the summary to stdout.
 */
import Docker from 'dockerode';
import { ensureStandIns } from './index.ts';

ensureStandIns({ docker: new Docker(), log: (line) => process.stderr.write(`${line}\n`) }).then(
  (results) => {
    for (const r of results) process.stdout.write(`${r.image}  ${r.status}  ${r.seconds.toFixed(1)} s\n`);
  },
  (err: unknown) => {
    process.stderr.write(`stand-in images failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
