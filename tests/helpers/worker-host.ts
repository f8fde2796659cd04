/**
 * A sandbox worker on a "host" of its own, on this machine: a network namespace (`ip netns`, a veth pair
 * 10.250.N.1 ↔ 10.250.N.2) with its own Docker engine (Debian's dockerd, its own data root, socket and
 * iptables; this machine's sandbox images loaded into it) and one `worksample worker`. The worker reaches
 * Postgres and the API servers' gateway only through proxies this module opens on the veth address, so
 * every byte between it and the API crosses a network. Needs root. Used by tests/server/multihost.test.ts
 * and `npm run bench:multihost`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { startBalancer, type Balancer } from './balancer.ts';
import { environments, imageFor } from '../../server/sandbox/images/index.ts';

const run = promisify(execFile);
const ROOT = '/run/worksample-hosts';
const DATA = '/var/lib/worksample-hosts';
const bin = path.resolve(import.meta.dirname, '../../bin/worksample.js');

/** Whether this machine can make worker hosts (root, iproute2, nsenter, dockerd). */
export async function canMakeHosts(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  for (const tool of ['ip', 'nsenter', 'dockerd'])
    if (
      !(await run('sh', ['-c', `command -v ${tool}`]).then(
        () => true,
        () => false,
      ))
    )
      return false;
  return true;
}

export class WorkerHost {
  readonly ns: string;
  /** This machine's address on the host's network, and the host's own. */
  readonly near: string;
  readonly far: string;
  readonly socket: string;
  /** Seconds it took to load the sandbox images into the host's engine. */
  imagesSeconds = 0;
  private readonly proxies: Balancer[] = [];
  private engine?: ChildProcess;
  worker?: ChildProcess;

  private constructor(readonly n: number) {
    this.ns = `wshost${n}`;
    this.near = `10.250.${n}.1`;
    this.far = `10.250.${n}.2`;
    this.socket = path.join(ROOT, `${this.ns}.sock`);
  }

  get docker(): Docker {
    return new Docker({ socketPath: this.socket });
  }

  /**
   * Makes host `n` (1–250): namespace, veth, proxies to Postgres (`database`) and to the gateway port
   * on loopback (the API servers' gateway, or a balancer in front of several), its engine with the
   * sandbox images.
   */
  static async create(n: number, opts: { database: string; gatewayPort: number }): Promise<WorkerHost> {
    const h = new WorkerHost(n);
    await removeNamespace(h.ns); // what a crashed earlier run left
    try {
      await run('ip', ['netns', 'add', h.ns]);
      await run('ip', ['link', 'add', `wshh${n}`, 'type', 'veth', 'peer', 'name', `wshw${n}`]);
      await run('ip', ['link', 'set', `wshw${n}`, 'netns', h.ns]);
      await run('ip', ['addr', 'add', `${h.near}/30`, 'dev', `wshh${n}`]);
      await run('ip', ['link', 'set', `wshh${n}`, 'up']);
      await run('ip', ['-n', h.ns, 'addr', 'add', `${h.far}/30`, 'dev', `wshw${n}`]);
      await run('ip', ['-n', h.ns, 'link', 'set', `wshw${n}`, 'up']);
      await run('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      const pg = new URL(opts.database);
      h.proxies.push(
        await startBalancer(h.near, 5432, [{ host: pg.hostname, port: Number(pg.port || 5432) }]),
        await startBalancer(h.near, opts.gatewayPort, [{ host: '127.0.0.1', port: opts.gatewayPort }]),
      );
      await mkdir(path.join(ROOT, h.ns), { recursive: true });
      const logFile = path.join(os.tmpdir(), `${h.ns}-dockerd.log`);
      const fd = openSync(logFile, 'w');
      // nsenter joins only the network namespace (`ip netns exec` would also remount /sys, hiding cgroups).
      h.engine = spawn(
        'nsenter',
        [
          `--net=/run/netns/${h.ns}`,
          'dockerd',
          '--data-root',
          path.join(DATA, h.ns),
          '--exec-root',
          path.join(ROOT, h.ns),
          '--pidfile',
          path.join(ROOT, h.ns, 'dockerd.pid'),
          '-H',
          `unix://${h.socket}`,
          '--bridge=none',
        ],
        { stdio: ['ignore', fd, fd] },
      );
      for (
        let i = 0;
        !(await h.docker.ping().then(
          () => true,
          () => false,
        ));
        i++
      ) {
        if (i > 60) throw new Error(`${h.ns}: its engine did not answer in 30 s (see ${logFile})`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const t0 = performance.now();
      const local = new Docker();
      for (const image of await Promise.all(environments.map((e) => imageFor(e)))) {
        const tar = await local.getImage(image).get();
        await new Promise<void>((resolve, reject) =>
          h.docker.loadImage(tar, {}, (err, res) => {
            if (err || !res) return reject(err ?? new Error('no answer from the engine'));
            res.on('data', () => {});
            res.on('end', resolve);
            res.on('error', reject);
          }),
        );
      }
      h.imagesSeconds = Math.round((performance.now() - t0) / 1000);
      return h;
    } catch (err) {
      await h.remove();
      throw err;
    }
  }

  /** Starts the host's `worksample worker` (registered in `database`) and waits until it runs. */
  startWorker(opts: { database: string; token: string; gatewayPort: number }): Promise<void> {
    const db = new URL(opts.database);
    db.hostname = this.near;
    db.port = '5432';
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', [`--net=/run/netns/${this.ns}`, process.execPath, bin, 'worker'], {
        env: {
          ...process.env,
          LOG_LEVEL: 'warn',
          DATABASE_URL: db.toString(),
          DOCKER_HOST: `unix://${this.socket}`,
          WORKER_TOKEN: opts.token,
          WORKER_ID: this.ns,
          WORKER_HOST: this.far,
          WORKER_PORT: '8082',
          GATEWAY_PORT: String(opts.gatewayPort),
          WORKER_GATEWAY_UPSTREAM: `${this.near}:${opts.gatewayPort}`,
          SANDBOX_DRIVER: 'docker',
          SANDBOX_AUTO_BUILD: 'false',
          DEMO_SEED: 'false',
        },
      });
      this.worker = child;
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${this.ns}: the worker did not start\n${out}`)),
        60_000,
      );
      child.stdout.on('data', (d) => {
        out += d;
        if (/is running at/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (d) => (out += d));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.ns}: the worker exited with ${code}\n${out}`));
      });
    });
  }

  /** Stops the worker and the engine (their containers removed) and deletes the namespace and data. */
  async remove(): Promise<void> {
    if (this.worker && this.worker.exitCode === null && this.worker.signalCode === null) {
      const exited = new Promise((r) => this.worker!.once('exit', r));
      this.worker.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    if (this.engine && this.engine.exitCode === null) {
      for (const c of await this.docker.listContainers({ all: true }).catch(() => []))
        await this.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => {});
      const exited = new Promise((r) => this.engine!.once('exit', r));
      this.engine.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    for (const p of this.proxies.splice(0)) await p.close();
    await removeNamespace(this.ns);
  }
}

async function removeNamespace(ns: string) {
  await run('ip', ['netns', 'pids', ns])
    .then(({ stdout }) => {
      for (const pid of stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    })
    .catch(() => {});
  await run('ip', ['netns', 'del', ns]).catch(() => {});
  await rm(path.join(DATA, ns), { recursive: true, force: true }).catch(() => {});
  await rm(path.join(ROOT, ns), { recursive: true, force: true }).catch(() => {});
  await rm(path.join(ROOT, `${ns}.sock`), { force: true }).catch(() => {});
}
