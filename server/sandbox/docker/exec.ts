/**
 * One exec in a container as an explicit job: prime (create the exec, attach) → execute (stream
 * output through caps, enforce the wall clock) → cleanup (read the exit code, then end every candidate
 * process through the server's own reaper and check none is left), cleanup in `finally`. Every limit
 * comes from the session's spec.
 *
 * Stops processes outliving their run: the wrapper's `kill -9 -1` ends background jobs promptly, but
 * a program can kill its wrapper; the reaper is a separate exec the candidate cannot touch, so after
 * every exec — any verdict — nothing of the candidate's runs on, unless the result says so.
 */
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { CappedOutput } from '../output.ts';
import type { ExecRequest, ExecResult, RunningExec, SandboxLimits, Verdict } from '../types.ts';
import { baseEnv, CANDIDATE_UID, WORKSPACE } from './hardening.ts';

type KillReason = Extract<Verdict, 'timeout' | 'cancelled' | 'output-limit'>;

export interface ExecDeps {
  docker: Docker;
  container: Docker.Container;
  limits: SandboxLimits;
  /** Kills every candidate process in the container and checks none is left (throws if some are). */
  killAll(): Promise<void>;
  /** True when the kernel OOM-killed something in this container since the last call. */
  oomSinceLastCheck(): Promise<boolean>;
}

const sink = (fn: (c: Buffer) => void) =>
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      fn(chunk);
      cb();
    },
  });

export function dockerExec(deps: ExecDeps, req: ExecRequest): RunningExec {
  let stream: NodeJS.ReadWriteStream | undefined;
  let killReason: KillReason | undefined;
  let stdinClosed = false;
  const pendingInput: string[] = [];
  let live = false;
  let killing: Promise<void> | undefined;
  const kill = (reason: KillReason) => {
    if (killReason) return;
    killReason = reason;
    if (live) killing = deps.killAll().catch(() => {});
  };

  let cleanup: ExecResult['cleanup'];
  const reap = async () => {
    await killing;
    cleanup = await deps.killAll().then(
      () => ({ ok: true }),
      (err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }),
    );
    return cleanup;
  };

  const result = (async (): Promise<ExecResult> => {
    const started = performance.now();
    const stdout = new CappedOutput(deps.limits.outputBytes, () => kill('output-limit'), req.onStdout);
    const stderr = new CappedOutput(deps.limits.outputBytes, () => kill('output-limit'), req.onStderr);
    let timer: NodeJS.Timeout | undefined;
    try {
      // prime
      const exec = await deps.container.exec({
        // When the program ends, everything it left running as the candidate uid goes with it
        // (kill(-1) spares the calling shell), so no background process outlives its run.
        Cmd: ['sh', '-c', '"$@"; s=$?; kill -9 -1 2>/dev/null; exit $s', 'sh', ...req.argv],
        User: `${CANDIDATE_UID}:${CANDIDATE_UID}`,
        WorkingDir: WORKSPACE,
        Env: baseEnv(req.env),
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      });
      stream = (await exec.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream;
      live = true;
      if (killReason) killing = deps.killAll().catch(() => {}); // cancelled while priming
      // execute
      timer = setTimeout(() => kill('timeout'), deps.limits.wallMs);
      const ended = new Promise<void>((resolve, reject) => {
        stream!.on('end', resolve);
        stream!.on('close', resolve);
        stream!.on('error', reject);
      });
      deps.docker.modem.demuxStream(
        stream,
        sink((c) => stdout.push(c)),
        sink((c) => stderr.push(c)),
      );
      if (req.stdin) stream.write(req.stdin);
      for (const s of pendingInput.splice(0)) stream.write(s);
      if (req.closeStdin !== false || stdinClosed) stream.end();
      await ended;
      const info = await exec.inspect();
      const exitCode = info.ExitCode ?? null;
      const durationMs = Math.round(performance.now() - started);
      clearTimeout(timer);
      let verdict: Verdict = killReason ?? (exitCode === 0 ? 'ok' : 'error');
      if (!killReason && exitCode === 137 && (await deps.oomSinceLastCheck().catch(() => false)))
        verdict = 'out-of-memory';
      // cleanup: whatever the program did, nothing of the candidate's outlives the exec
      await reap();
      return { verdict, exitCode, durationMs, stdout: stdout.result(), stderr: stderr.result(), cleanup };
    } finally {
      clearTimeout(timer);
      if (live && !cleanup) await reap();
      else await killing;
      stream?.removeAllListeners('data');
    }
  })();

  return {
    write(data) {
      if (stdinClosed) return;
      if (stream) stream.write(data);
      else pendingInput.push(data);
    },
    closeStdin() {
      if (stdinClosed) return;
      stdinClosed = true;
      stream?.end();
    },
    cancel() {
      kill('cancelled');
    },
    result,
  };
}
