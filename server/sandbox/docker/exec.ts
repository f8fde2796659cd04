/**
 * One exec in a container as an explicit job: prime (create the exec, attach) → execute (stream
 * output through caps, enforce the wall clock) → cleanup (kill leftovers on timeout/cancel/overflow,
 * read the exit code), cleanup in `finally`. Every limit comes from the session's spec.
 */
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { CappedOutput } from '../output.ts';
import type { ExecRequest, ExecResult, RunningExec, SandboxLimits, Verdict } from '../types.ts';
import { baseEnv, CANDIDATE_UID, HARNESS_DIR, HARNESS_UID, WORKSPACE } from './hardening.ts';

type KillReason = Extract<Verdict, 'timeout' | 'cancelled' | 'output-limit'>;

export interface ExecDeps {
  docker: Docker;
  container: Docker.Container;
  limits: SandboxLimits;
  /** Kills every process of the exec's uid in the container (the candidate's, or the harness's). */
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

  const result = (async (): Promise<ExecResult> => {
    const started = performance.now();
    const stdout = new CappedOutput(deps.limits.outputBytes, () => kill('output-limit'), req.onStdout);
    const stderr = new CappedOutput(deps.limits.outputBytes, () => kill('output-limit'), req.onStderr);
    let timer: NodeJS.Timeout | undefined;
    try {
      // prime
      const harness = req.user === 'harness';
      const uid = harness ? HARNESS_UID : CANDIDATE_UID;
      const exec = await deps.container.exec({
        // When the program ends, everything it left running as its uid goes with it
        // (kill(-1) spares the calling shell), so no background process outlives its run.
        Cmd: ['sh', '-c', '"$@"; s=$?; kill -9 -1 2>/dev/null; exit $s', 'sh', ...req.argv],
        User: `${uid}:${uid}`,
        WorkingDir: harness ? HARNESS_DIR : WORKSPACE,
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
      let verdict: Verdict = killReason ?? (exitCode === 0 ? 'ok' : 'error');
      // The check itself can fail (a fork bomb left no pids, or the container is restarting): not OOM then.
      if (!killReason && exitCode === 137 && (await deps.oomSinceLastCheck().catch(() => false)))
        verdict = 'out-of-memory';
      return {
        verdict,
        exitCode,
        durationMs: Math.round(performance.now() - started),
        stdout: stdout.result(),
        stderr: stderr.result(),
      };
    } finally {
      // cleanup
      clearTimeout(timer);
      await killing;
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
