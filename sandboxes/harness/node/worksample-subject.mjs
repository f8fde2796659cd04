/**
 * The subject side of the bridge: runs as the candidate's uid in /workspace. The listener never loads
 * candidate code; each harness connection gets a fresh worker process (so one crash or hang costs one
 * connection, not the run) that imports the one allowed module the harness names and answers calls.
 * Everything here is untrusted once a worker has imported candidate code: the harness treats every
 * reply as data, and the verdict never depends on this process's exit code or output.
 */
import { spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Peer } from './worksample-bridge.mjs';

const self = fileURLToPath(import.meta.url);

/** Listener: accepts harness connections on `socket` and hands each to a new worker process. */
export async function main({ socket, modules }) {
  rmSync(socket, { force: true });
  const server = net.createServer({ pauseOnConnect: true }, (conn) => {
    // tsx (from the image's /node_modules) lets the worker import .ts modules.
    const worker = spawn(process.execPath, ['--import', 'tsx', self], {
      cwd: process.cwd(),
      stdio: ['ignore', 'inherit', 'inherit', conn],
      env: { ...process.env, WORKSAMPLE_SUBJECT_WORKER: JSON.stringify({ modules }) },
    });
    // The worker holds its own copy of the socket; ours goes once it exists.
    worker.once('spawn', () => conn.destroy());
    worker.once('error', () => conn.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  // The harness runs as another uid: it needs write permission on the socket to connect.
  chmodSync(socket, 0o777);
}

/** Worker: one connection, one module. */
async function worker(config) {
  const conn = new net.Socket({ fd: 3, readable: true, writable: true });
  const exportsRef = {};
  const peer = new Peer(conn, {
    exports: exportsRef,
    onClose: () => process.exit(0),
    onMessage: async (msg) => {
      if (msg.op === 'kill') {
        try {
          process.kill(Number(msg.pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
        process.exit(0);
      }
      if (msg.op !== 'open') return;
      try {
        const name = String(msg.module);
        if (!config.modules.includes(name))
          throw new Error(`${name} is not listed in environment.subject.modules`);
        const ns = await import(pathToFileURL(path.resolve(process.cwd(), name)).href);
        Object.assign(exportsRef, exportsOf(ns));
        // An export that cannot cross the bridge (a Symbol, a cycle) is left out, not fatal.
        const v = {};
        for (const [k, value] of Object.entries(exportsRef)) {
          try {
            Object.defineProperty(v, k, {
              value: peer.encode(value),
              enumerable: true,
              writable: true,
              configurable: true,
            });
          } catch {
            /* left out */
          }
        }
        peer.send({ op: 'opened', pid: process.pid, exports: { $: 'o', v } });
      } catch (err) {
        peer.send({ op: 'opened', pid: process.pid, error: peer.encode(asError(err)) });
      }
    },
  });
}

/** A module's exports; a CommonJS module's `module.exports` properties count as exports too. */
function exportsOf(ns) {
  const out = {};
  const def = ns.default;
  if (def && (typeof def === 'object' || typeof def === 'function') && !Array.isArray(def))
    for (const k of Object.keys(def)) out[k] = def[k];
  for (const k of Object.keys(ns)) out[k] = ns[k];
  return out;
}

const asError = (err) => (err instanceof Error ? err : new Error(String(err)));

const workerConfig = process.env.WORKSAMPLE_SUBJECT_WORKER;
if (workerConfig) {
  delete process.env.WORKSAMPLE_SUBJECT_WORKER;
  void worker(JSON.parse(workerConfig));
}
