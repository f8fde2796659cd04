/** The few Docker engine calls image building needs, over dockerode (never the docker CLI). */
import type Docker from 'dockerode';

export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Follows a JSON progress stream (build, pull, import) to its end, logging its lines. The engine
 * reports failures inside the stream with HTTP 200, so an `error` event is what rejects.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  log: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) reject(err);
        else if (failure) reject(new Error(failure));
        else resolve();
      },
      (event: ProgressEvent) => {
        if (event.error) failure = event.errorDetail?.message ?? event.error;
        const text =
          event.stream ?? (event.status ? `${event.id ? `${event.id}: ` : ''}${event.status}` : '');
        for (const line of text.split('\n')) if (line.trim()) log(`  ${line.trimEnd()}`);
        if (event.error) log(`  error: ${failure}`);
      },
    );
  });
}

/** Pulls `name`; rejects when it cannot be pulled (no registry, unknown image). */
export async function pullImage(docker: Docker, name: string, log: (line: string) => void): Promise<void> {
  await followProgress(docker, await docker.pull(name), log);
}

/** The engine's platform, to check vendored binaries against. */
export async function enginePlatform(docker: Docker): Promise<{ os: string; arch: string }> {
  const v = await docker.version();
  return { os: v.Os, arch: v.Arch };
}
