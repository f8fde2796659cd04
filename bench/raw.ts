/** The floor: one exec straight through dockerode, with nothing of ours around it. */
import type Docker from 'dockerode';

export interface RawTiming {
  /** First byte of output (either stream), ms after the exec was created. */
  firstByte?: number;
  exit: number;
  exitCode: number | null;
}

/** create exec → start (hijacked) → wait for the stream to end → inspect, as the candidate uid. */
export async function rawExec(container: Docker.Container, argv: string[]): Promise<RawTiming> {
  const t0 = performance.now();
  const exec = await container.exec({
    Cmd: argv,
    User: '1000:1000',
    WorkingDir: '/workspace',
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  let firstByte: number | undefined;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => (firstByte ??= performance.now() - t0));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { firstByte, exit: performance.now() - t0, exitCode: info.ExitCode ?? null };
}
