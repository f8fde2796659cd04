/**
 * A cross-process lock file around image builds. Stops two builders (the server building missing
 * images at startup and `npm run sandboxes:build`) from debootstrapping into the same rootfs folder
 * at once, which makes both fail ("Tried to extract package, but file already exists").
 *
 * The lock is a file created atomically (written aside, then hard-linked into place: `link` fails
 * when the name exists, like `open(path, 'wx')`, but the file is never seen half-written) holding
 * the holder's pid, host and start time. A second builder polls until the file is gone, then takes it and does its own checks again (so it reuses what the first one built). A lock whose pid no
 * longer runs on this host (crash, SIGKILL) is stale and is taken over; a lock from another host is
 * trusted until `staleAfterMs`.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as wait } from 'node:timers/promises';

export interface LockOptions {
  /** How often a waiting builder looks again (default 1 s). */
  pollMs?: number;
  /** Give up waiting after this long (default 1 h: an offline build takes minutes). */
  timeoutMs?: number;
  /** A lock from another host is considered abandoned after this long (default 2 h). */
  staleAfterMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (holder: LockHolder) => void;
}

export interface LockHolder {
  pid: number;
  host: string;
  since: number;
  token: string;
}

const sleep = (ms: number) => wait(ms);
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM'; // exists, owned by another user
  }
}

async function readHolder(path: string): Promise<{ raw: string; holder?: LockHolder } | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(raw) as LockHolder;
    if (Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.since === 'number')
      return { raw, holder: h };
  } catch {
    // Not ours (never half-written, see tryCreate): garbage, treated as stale.
  }
  return { raw };
}

/**
 * Tries once to create the lock file; true when we now hold it. The content is written to a private
 * file first and hard-linked into place (link fails with EEXIST atomically), so nobody ever reads a
 * half-written lock and mistakes it for an abandoned one.
 */
async function tryCreate(path: string, me: LockHolder): Promise<boolean> {
  const mine = `${path}.${process.pid}-${me.token}`;
  await writeFile(mine, JSON.stringify(me), { mode: 0o644 });
  try {
    await link(mine, path);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(mine).catch(() => {});
  }
}

/**
 * Removes `path` only if it still holds `raw`: renamed aside first (atomic), so two builders that
 * both saw the same stale lock cannot remove a fresh lock the other one just took.
 */
async function removeIfUnchanged(path: string, raw: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== raw) {
    // We moved a live lock someone took meanwhile: put it back (link fails if yet another took the name).
    await link(aside, path).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

function isStale(h: { holder?: LockHolder }, now: number, staleAfterMs: number): boolean {
  if (!h.holder) return true;
  if (h.holder.host === hostname()) return !alive(h.holder.pid);
  return now - h.holder.since > staleAfterMs;
}

/** Runs `fn` while holding the lock file at `path`, waiting for another holder first. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const pollMs = opts.pollMs ?? 1000;
  const deadline = Date.now() + (opts.timeoutMs ?? 3600_000);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: Date.now(),
    token: randomBytes(8).toString('hex'),
  };
  let waited = false;
  for (;;) {
    me.since = Date.now();
    if (await tryCreate(path, me)) break;
    const current = await readHolder(path);
    if (!current) continue; // released between our attempt and the read
    if (isStale(current, Date.now(), opts.staleAfterMs ?? 7200_000)) {
      await removeIfUnchanged(path, current.raw);
      continue;
    }
    if (!waited && current.holder) opts.onWait?.(current.holder);
    waited = true;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for the lock ${path} (held by pid ${current.holder?.pid} on ${current.holder?.host})`,
      );
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    const current = await readHolder(path).catch(() => undefined);
    if (current?.holder?.token === me.token) await removeIfUnchanged(path, current.raw);
  }
}
