/**
 * A sandbox driver that fails on purpose, around a real one: engine errors on the first session
 * creations, sessions that the "engine" stops under a job, or creations that hang (a process cut off
 * mid-grading). For tests of what survives engine trouble.
 */
import type { SandboxDriver, SandboxSession, SessionSpec } from '../sandbox/index.ts';

export interface Faults {
  /** Grading's createSession throws this for the next `n` calls (decremented per call). */
  failCreates?: { n: number; error: () => Error };
  /** alive() answers false for the next `n` sessions checked: the engine stopped them. */
  lostSessions?: number;
  /** Grading's execs fail with this engine error for the next `n` calls (the engine lost the container). */
  failExecs?: { n: number; error: () => Error };
  /** Grading's createSession never settles while set (the try is "running" when the process is cut off). */
  hangCreates?: boolean;
}

/**
 * Wraps `inner`; faults touch only grading sessions (an attempt's own sandbox is created normally).
 * `faults` is read at each call, so a test can change it between tries; `creates` counts grading tries
 * that asked for a sandbox.
 */
export function faultyDriver(inner: SandboxDriver, faults: Faults): SandboxDriver & { creates: number } {
  const driver = Object.create(inner) as SandboxDriver & { creates: number };
  driver.creates = 0;
  driver.createSession = async (spec: SessionSpec) => {
    if (spec.purpose !== 'grade') return inner.createSession(spec);
    driver.creates++;
    if (faults.hangCreates) return new Promise<never>(() => {});
    if (faults.failCreates && faults.failCreates.n > 0) {
      faults.failCreates.n--;
      throw faults.failCreates.error();
    }
    return inner.createSession(spec);
  };
  driver.exec = (session, req) => {
    const f = faults.failExecs;
    if (session.spec.purpose !== 'grade' || !f || f.n <= 0) return inner.exec(session, req);
    f.n--;
    const result = Promise.reject(f.error());
    return { write() {}, closeStdin() {}, cancel() {}, result };
  };
  driver.alive = async (session: SandboxSession) => {
    if (session.spec.purpose === 'grade' && faults.lostSessions && faults.lostSessions > 0) {
      faults.lostSessions--;
      return false;
    }
    return inner.alive ? inner.alive(session) : true;
  };
  return driver;
}

/** What dockerode throws for an exec in a container the engine stopped. */
export const notRunningError = () =>
  Object.assign(new Error('(HTTP code 409) container stopped/paused - Container 4112d1c2 is not running'), {
    statusCode: 409,
  });

/** What dockerode throws when every address pool is taken (issue 19's load run). */
export const addressPoolError = () =>
  Object.assign(
    new Error(
      '(HTTP code 400) unexpected - could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
    ),
    { statusCode: 400 },
  );
