/**
 * The local fallback driver: child processes in a temporary folder, with a wall clock, output caps
 * and process-group kills — and, when `bwrap` is installed, a read-only view of the host. It is NOT
 * isolation: candidate code can read what the server's user can read. The server says so loudly.
 *
 * Processes outliving their run, as far as this driver can stop them: after every exec the run's
 * process group is killed, then every process carrying the session's marker variable in its
 * environment (found through /proc, so `setsid` and a killed parent do not hide it) is killed until
 * none is left. A program that wipes its own environment (`env -i`) escapes the sweep; under bwrap the
 * run has its own PID namespace and dies with its parent. Only Docker gives a real boundary.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger/index.ts';
import { pathProblem } from '../../workspace/paths.ts';
import { CappedOutput } from '../output.ts';
import type {
  ExecRequest,
  ExecResult,
  RunningExec,
  SandboxDriver,
  SandboxFile,
  SandboxSession,
  SandboxStatus,
  SessionSpec,
  Verdict,
} from '../types.ts';

export const LOCAL_WARNING =
  "SANDBOX: no Docker engine — using the LOCAL driver. Candidate code runs as this server's user with NO isolation. Use it only for trying worksample out.";

interface LocalSession extends SandboxSession {
  readonly root: string;
  readonly dir: string;
  readonly children: Set<ChildProcess>;
  /** Value of MARKER in every process of this session's runs. */
  readonly marker: string;
}

const MARKER = 'WORKSAMPLE_LOCAL_SANDBOX';

/** Pids of live processes whose environment carries the session's marker (Linux /proc; [] elsewhere). */
async function marked(marker: string): Promise<number[]> {
  const needle = Buffer.from(`${MARKER}=${marker}\0`);
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  const found: number[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const env = await readFile(`/proc/${pid}/environ`).catch(() => undefined);
    if (!env?.includes(needle)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (/^\d+ \(.*\) [^Z] /s.test(stat)) found.push(Number(pid));
  }
  return found;
}

const repoNodeModules = path.resolve(import.meta.dirname, '../../../node_modules');

export class LocalDriver implements SandboxDriver {
  readonly name = 'local' as const;
  private readonly bwrap: string | undefined;

  constructor(opts: { logger: Logger; useBwrap?: boolean }) {
    const found = spawnSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' }).stdout.trim();
    this.bwrap = opts.useBwrap === false ? undefined : found || undefined;
  }

  async status(): Promise<SandboxStatus> {
    return {
      driver: 'local',
      ready: true,
      warning: LOCAL_WARNING,
      detail: this.bwrap ? 'wrapped in bwrap' : 'plain child processes',
    };
  }

  async createSession(spec: SessionSpec): Promise<LocalSession> {
    const root = await mkdtemp(path.join(os.tmpdir(), `ws-local-${spec.purpose}-`));
    const dir = path.join(root, 'workspace');
    await mkdir(dir);
    // Lets `import OpenAI from 'openai'` resolve the way it does in the node image.
    await symlink(repoNodeModules, path.join(root, 'node_modules')).catch(() => {});
    return { id: root, spec, root, dir, children: new Set(), marker: randomBytes(12).toString('hex') };
  }

  /** Resolves a workspace path, refusing any existing symlink on the way (planted by candidate code). */
  private async safePath(s: LocalSession, rel: string): Promise<string> {
    const problem = pathProblem(rel);
    if (problem) throw new Error(`refusing path ${JSON.stringify(rel)}: ${problem}`);
    let cur = s.dir;
    for (const part of rel.split('/')) {
      cur = path.join(cur, part);
      const st = await lstat(cur).catch(() => undefined);
      if (st?.isSymbolicLink()) throw new Error(`refusing to follow the symlink at ${rel}`);
    }
    return cur;
  }

  async putFiles(session: SandboxSession, files: SandboxFile[], deletes: string[] = []): Promise<void> {
    const s = session as LocalSession;
    for (const p of deletes) await rm(await this.safePath(s, p), { recursive: true, force: true });
    for (const f of files) {
      const target = await this.safePath(s, f.path);
      await mkdir(path.dirname(target), { recursive: true });
      const fh = await open(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW, 0o644);
      try {
        await fh.writeFile(f.content);
      } finally {
        await fh.close();
      }
    }
  }

  async getFiles(
    session: SandboxSession,
    opts: { maxBytes?: number; under?: string } = {},
  ): Promise<SandboxFile[]> {
    const s = session as LocalSession;
    const out: SandboxFile[] = [];
    let budget = opts.maxBytes ?? 64 * 1024 * 1024;
    const walk = async (rel: string) => {
      const abs = rel ? path.join(s.dir, rel) : s.dir;
      const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (pathProblem(child)) continue;
        if (e.isDirectory()) await walk(child);
        else if (e.isFile()) {
          const fh = await open(path.join(s.dir, child), fsc.O_RDONLY | fsc.O_NOFOLLOW).catch(
            () => undefined,
          );
          if (!fh) continue;
          try {
            const st = await fh.stat();
            if (!st.isFile() || st.size > budget) continue;
            budget -= st.size;
            out.push({ path: child, content: await fh.readFile() });
          } finally {
            await fh.close();
          }
        }
      }
    };
    if (opts.under) {
      await this.safePath(s, opts.under);
      await walk(opts.under);
    } else await walk('');
    return out;
  }

  exec(session: SandboxSession, req: ExecRequest): RunningExec {
    const s = session as LocalSession;
    const limits = s.spec.limits;
    let killReason: Extract<Verdict, 'timeout' | 'cancelled' | 'output-limit'> | undefined;
    const argv = this.bwrap
      ? [
          this.bwrap,
          '--ro-bind',
          '/',
          '/',
          '--bind',
          s.root,
          s.root,
          '--tmpfs',
          '/tmp',
          '--dev',
          '/dev',
          '--proc',
          '/proc',
          '--unshare-all',
          '--die-with-parent',
          '--new-session',
          '--chdir',
          s.dir,
          '--',
          ...req.argv,
        ]
      : req.argv;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: s.dir,
      detached: true, // its own process group, so the whole tree can be killed
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: s.root,
        LANG: 'C.UTF-8',
        PYTHONUNBUFFERED: '1',
        FORCE_COLOR: '1',
        ...req.env,
        [MARKER]: s.marker,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    s.children.add(child);
    const killTree = (reason: typeof killReason) => {
      killReason ??= reason;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const started = performance.now();
    const stdout = new CappedOutput(limits.outputBytes, () => killTree('output-limit'), req.onStdout);
    const stderr = new CappedOutput(limits.outputBytes, () => killTree('output-limit'), req.onStderr);
    child.stdout!.on('data', (c: Buffer) => stdout.push(c));
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    child.stdin!.on('error', () => {});
    if (req.stdin) child.stdin!.write(req.stdin);
    if (req.closeStdin !== false) child.stdin!.end();
    const timer = setTimeout(() => killTree('timeout'), limits.wallMs);
    const result = new Promise<ExecResult>((resolve) => {
      let finished = false;
      const finish = (code: number | null) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        s.children.delete(child);
        killTree(undefined); // background processes of this run die with it
        const verdict: Verdict = killReason ?? (code === 0 ? 'ok' : 'error');
        const durationMs = Math.round(performance.now() - started);
        void this.sweep(s).then((left) =>
          resolve({
            verdict,
            exitCode: code,
            durationMs,
            stdout: stdout.result(),
            stderr: stderr.result(),
            cleanup: left.length ? { ok: false, detail: `pids: ${left.join(' ')}` } : { ok: true },
          }),
        );
      };
      child.on('error', (err) => {
        stderr.push(Buffer.from(`${err.message}\n`));
        finish(127);
      });
      child.on('close', (code, signal) =>
        finish(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 9) : null)),
      );
    });
    return {
      write: (data) => child.stdin!.write(data),
      closeStdin: () => child.stdin!.end(),
      cancel: () => killTree('cancelled'),
      result,
    };
  }

  async stopProcesses(session: SandboxSession): Promise<void> {
    const s = session as LocalSession;
    for (const c of s.children) {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const left = await this.sweep(s);
    if (left.length) throw new Error(`candidate processes survived cleanup: pids ${left.join(' ')}`);
  }

  /** Kills every process carrying the session's marker until none is left; returns survivors. */
  private async sweep(s: LocalSession): Promise<number[]> {
    let left: number[] = [];
    for (let round = 0; round < 50; round++) {
      left = await marked(s.marker);
      if (!left.length) return [];
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return left;
  }

  async destroy(session: SandboxSession): Promise<void> {
    await this.stopProcesses(session).catch(() => {});
    await rm((session as LocalSession).root, { recursive: true, force: true });
  }

  async listOrphans() {
    return [];
  }

  async removeOrphan(): Promise<void> {}

  async close(): Promise<void> {}
}
