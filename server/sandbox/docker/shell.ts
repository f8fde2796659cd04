/**
 * The Terminal panel's shell: a Tty exec in the attempt's container as the candidate uid, in
 * /workspace, with the container's limits and network (it is the same container as Run).
 *
 * Stops a terminal from becoming more than a Run: no other uid (never root, never the keeper or the
 * harness uid), no extra capability, the server's environment never enters (only `baseEnv`), and the
 * shell ends with its terminal session — `kill()` SIGKILLs every process whose session is the shell's
 * (a separate exec the shell cannot signal first), so a closed terminal leaves nothing running but what
 * a candidate deliberately detached with setsid, which the next Run's reaper or the session's end
 * removes. Unlike a Run there is no wall clock: the shell lives until submit, deadline or kill.
 */
import type Docker from 'dockerode';
import type { RunningShell, ShellRequest } from '../types.ts';
import { baseEnv, CANDIDATE_UID, WORKSPACE } from './hardening.ts';

/**
 * Prints its own pid (the session id of the terminal: a Tty exec is a session leader), then becomes
 * bash (or sh where the image has no bash). The first output line is the pid; the server strips it.
 */
export const SHELL = `printf '%s\\n' "$$"
if command -v bash >/dev/null 2>&1; then export PS1='\\w \\$ '; exec bash --noprofile --norc -i; fi
export PS1='$ '; exec sh -i`;

/** SIGKILLs every process of terminal session $1 until none is left (shell builtins only). */
export const SESSION_KILLER = `sid=$1; n=0
while :; do
  left=
  for d in /proc/[0-9]*; do
    { read -r st < "$d/stat"; } 2>/dev/null || continue
    set -- \${st##*) }
    [ "$4" = "$sid" ] && [ "$1" != Z ] && { kill -9 "\${d#/proc/}" 2>/dev/null; left=1; }
  done
  [ -z "$left" ] && exit 0
  n=$((n+1))
  [ $n -ge 50 ] && exit 1
done`;

export interface ShellDeps {
  docker: Docker;
  container: Docker.Container;
}

const clampSize = (cols: number, rows: number) => ({
  w: Math.max(2, Math.min(500, Math.floor(cols))),
  h: Math.max(1, Math.min(200, Math.floor(rows))),
});

export async function dockerShell(deps: ShellDeps, req: ShellRequest): Promise<RunningShell> {
  const exec = await deps.container.exec({
    Cmd: ['sh', '-c', SHELL],
    User: `${CANDIDATE_UID}:${CANDIDATE_UID}`,
    WorkingDir: WORKSPACE,
    Env: baseEnv({ TERM: 'xterm-256color', COLORTERM: 'truecolor' }),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
  });
  const stream = (await exec.start({
    hijack: true,
    stdin: true,
    Tty: true,
  })) as unknown as NodeJS.ReadWriteStream & NodeJS.EventEmitter & { destroy(): void };
  let pid: string | undefined;
  let head = Buffer.alloc(0);
  const gotPid = new Promise<string | undefined>((resolve) => {
    const onData = (chunk: Buffer) => {
      if (pid !== undefined) return req.onData(chunk);
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0 && head.length < 64) return;
      const line = head
        .subarray(0, nl < 0 ? 0 : nl)
        .toString('utf8')
        .trim();
      pid = /^\d+$/.test(line) ? line : '';
      resolve(pid || undefined);
      const rest = head.subarray(nl + 1);
      if (rest.length) req.onData(rest);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(undefined));
  });
  const ended = new Promise<{ exitCode: number | null }>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      exec.inspect().then(
        (info) => resolve({ exitCode: info.ExitCode ?? null }),
        () => resolve({ exitCode: null }),
      );
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
  const resize = async (cols: number, rows: number) => {
    await exec.resize(clampSize(cols, rows)).catch(() => {});
  };
  await resize(req.cols, req.rows);

  /** Runs the session killer as the candidate uid; the shell cannot stop it (it is not in the session). */
  const killSession = async (sid: string) => {
    const k = await deps.container.exec({
      Cmd: ['sh', '-c', SESSION_KILLER, 'sh', sid],
      User: `${CANDIDATE_UID}:${CANDIDATE_UID}`,
      AttachStdout: true,
      AttachStderr: true,
    });
    const out = (await k.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
    out.resume();
    await new Promise<void>((resolve) => {
      out.on('end', resolve);
      out.on('close', resolve);
      out.on('error', () => resolve());
    });
  };

  return {
    write(data) {
      stream.write(data);
    },
    resize,
    pause() {
      stream.pause();
    },
    resume() {
      stream.resume();
    },
    async kill() {
      const sid = await Promise.race([gotPid, ended.then(() => undefined)]);
      if (sid) await killSession(sid).catch(() => {});
      stream.destroy();
      await ended;
    },
    ended,
  };
}
