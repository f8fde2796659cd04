/**
 * Never lose work. Every edit goes to IndexedDB at once and to the server after a short pause, as a
 * write conditioned on the revision it was edited from. The server refuses stale writes (another tab,
 * a replay after a crash) with 409 stale_revision; those become conflicts the candidate resolves —
 * nothing is overwritten silently. Network failures keep the edits queued and retry when the browser
 * is back online, until the attempt is locked.
 */
import { api, ApiError, fileUrl, NetworkError, type FileBody, type FileInfo } from '../lib/api.ts';
import { deletePending, listPending, putPending } from './idb.ts';
import { EditRecorder, type Change, type EditLogBody } from './edit-log.ts';

export type SaveStatus = 'saved' | 'saving' | 'offline' | 'conflict' | 'error' | 'locked';

export interface Conflict {
  path: string;
  mine: string;
  currentRevision: number;
}

export interface SaverState {
  status: SaveStatus;
  queued: number;
  conflicts: Conflict[];
  error: string | null;
  /** Every file the server refused to save, with why (oversize, bad name…); cleared once resolved. */
  unsaved: { path: string; reason: string }[];
}

interface Entry {
  content: string;
  base: number;
}

const DEBOUNCE_MS = 600;

export class Saver {
  /** The server revision the local copy of each file builds on (0 = not on the server). */
  private revisions = new Map<string, number>();
  private pending = new Map<string, Entry>();
  private inflight = new Set<string>();
  private conflicts = new Map<string, Conflict>();
  private failed = new Map<string, string>();
  private offline = false;
  private locked = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = 1000;
  private listeners = new Set<(s: SaverState) => void>();
  private idle: (() => void)[] = [];
  /** The typing between saves, sent after each save for the reviewer's replay (never holds a save up). */
  readonly edits = new EditRecorder();
  private logsInFlight = new Set<Promise<void>>();
  /** Back online: retry at once instead of waiting out the backoff. */
  private readonly onOnline = () => this.schedule(0);

  constructor(
    readonly attemptId: string,
    private onLocked: (reason: string) => void,
  ) {
    addEventListener('online', this.onOnline);
  }

  /**
   * The workspace is gone (unmounted, another attempt opened): stop listening and stop the timer.
   * Unsent edits stay in IndexedDB and are restored by the next Saver for this attempt.
   */
  dispose() {
    removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Loads the server's revisions and any edits left in IndexedDB; returns those edits by path. */
  async init(files: FileInfo[]): Promise<Map<string, string>> {
    for (const f of files) {
      this.revisions.set(f.path, f.revision);
      this.edits.start(f.path, f.sha256);
    }
    const restored = new Map<string, string>();
    for (const r of await listPending(this.attemptId)) {
      this.pending.set(r.path, { content: r.content, base: r.base });
      this.revisions.set(r.path, r.base);
      this.edits.lose(r.path);
      restored.set(r.path, r.content);
    }
    if (restored.size) this.schedule(0);
    this.emit();
    return restored;
  }

  revision(path: string) {
    return this.revisions.get(path) ?? 0;
  }

  /**
   * The candidate changed a file: buffer it durably, save it soon. `changes`: the editor's change list
   * (for the replay of typing); without it the typing up to the next save is not replayable.
   */
  edit(path: string, content: string, changes?: readonly Change[]) {
    if (this.locked) return;
    if (changes) this.edits.record(path, changes);
    else this.edits.lose(path);
    const base = this.revision(path);
    this.pending.set(path, { content, base });
    this.failed.delete(path);
    void putPending({ attemptId: this.attemptId, path, content, base, at: Date.now() });
    this.schedule(DEBOUNCE_MS);
    this.emit();
  }

  /** The server now holds `file` (after create, rename, take-theirs). */
  known(file: FileInfo) {
    this.revisions.set(file.path, file.revision);
    if (!this.hasPending(file.path)) this.edits.start(file.path, file.sha256);
  }

  forget(path: string) {
    this.revisions.delete(path);
    this.pending.delete(path);
    this.conflicts.delete(path);
    this.failed.delete(path);
    this.edits.forget(path);
    void deletePending(this.attemptId, path);
    this.emit();
  }

  hasPending(path: string) {
    return this.pending.has(path) || this.inflight.has(path);
  }

  /**
   * Saves everything now; resolves when nothing is queued or in flight (or saving cannot proceed) and
   * the edit logs of those saves were sent (before a submit, after which none are taken).
   */
  flush(): Promise<void> {
    this.schedule(0);
    return new Promise<void>((resolve) => {
      if (this.settled()) return resolve();
      this.idle.push(resolve);
    }).then(() => Promise.allSettled([...this.logsInFlight]).then(() => undefined));
  }

  /** Conflict: save my version over the server's current one. */
  keepMine(path: string) {
    const c = this.conflicts.get(path);
    if (!c) return;
    this.conflicts.delete(path);
    this.revisions.set(path, c.currentRevision);
    this.edit(path, c.mine);
  }

  /** Conflict: drop my version; returns the server's content to show. */
  async takeTheirs(path: string): Promise<string> {
    const f = await api<FileBody>('GET', fileUrl(this.attemptId, path));
    this.conflicts.delete(path);
    this.pending.delete(path);
    this.revisions.set(path, f.revision);
    this.edits.start(path, f.sha256);
    await deletePending(this.attemptId, path);
    this.emit();
    return f.content;
  }

  lock() {
    this.locked = true;
    clearTimeout(this.timer);
    this.emit();
    this.wakeIdle();
  }

  subscribe(fn: (s: SaverState) => void): () => void {
    this.listeners.add(fn);
    fn(this.state());
    return () => this.listeners.delete(fn);
  }

  state(): SaverState {
    const queued = this.pending.size + this.inflight.size;
    const conflicts = [...this.conflicts.values()];
    let status: SaveStatus = 'saved';
    if (this.locked) status = 'locked';
    else if (conflicts.length) status = 'conflict';
    else if (this.offline && queued) status = 'offline';
    else if (this.failed.size) status = 'error';
    else if (queued) status = 'saving';
    const unsaved = [...this.failed].map(([path, reason]) => ({ path, reason }));
    return {
      status,
      queued: this.pending.size,
      conflicts,
      error: unsaved[0] ? `${unsaved[0].path}: ${unsaved[0].reason}` : null,
      unsaved,
    };
  }

  private settled() {
    if (this.locked) return true;
    const waiting = [...this.pending.keys()].filter((p) => !this.conflicts.has(p) && !this.failed.has(p));
    return waiting.length === 0 && this.inflight.size === 0;
  }

  private schedule(ms: number) {
    if (this.locked) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
  }

  private async run() {
    const paths = [...this.pending.keys()].filter(
      (p) => !this.inflight.has(p) && !this.conflicts.has(p) && !this.failed.has(p),
    );
    await Promise.all(paths.map((p) => this.save(p)));
    if (this.offline) {
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    }
    this.wakeIdle();
  }

  private wakeIdle() {
    if (!this.settled() && !this.offline) return;
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  private async save(path: string) {
    const entry = this.pending.get(path)!;
    const typed = this.edits.take(path);
    this.inflight.add(path);
    this.emit();
    try {
      const res = await api<{ file: FileInfo }>('PUT', `/api/attempts/${this.attemptId}/file`, {
        path,
        content: entry.content,
        baseRevision: entry.base,
      });
      this.sendLog(this.edits.saved(path, typed, res.file.sha256));
      this.offline = false;
      this.retryMs = 1000;
      this.revisions.set(path, res.file.revision);
      const now = this.pending.get(path);
      if (now === entry) {
        this.pending.delete(path);
        await deletePending(this.attemptId, path);
      } else if (now) {
        // Edited while the save was in flight: the newer text builds on the revision just written.
        now.base = res.file.revision;
        void putPending({ attemptId: this.attemptId, path, ...now, at: Date.now() });
        this.schedule(DEBOUNCE_MS);
      }
    } catch (e) {
      // Retried later from the same base: the typing so far still leads there. Any other outcome
      // (conflict, refusal) leaves a text the batch cannot be checked against.
      if (e instanceof NetworkError) this.edits.restore(path, typed);
      else this.edits.lose(path);
      await this.failure(path, entry, e);
    } finally {
      this.inflight.delete(path);
      this.emit();
    }
  }

  /** Sends an edit log on its own: whatever happens to it, the save it follows stands. */
  private sendLog(log: EditLogBody | null) {
    if (!log) return;
    const sent = api<{ stored: boolean; reason?: string }>(
      'POST',
      `/api/attempts/${this.attemptId}/edits`,
      log,
    )
      .then(
        (r) => {
          if (r.reason === 'edit_log_full') this.edits.full = true;
        },
        () => {},
      )
      .finally(() => this.logsInFlight.delete(sent));
    this.logsInFlight.add(sent);
  }

  private async failure(path: string, entry: Entry, e: unknown) {
    if (e instanceof NetworkError) {
      this.offline = true;
      return;
    }
    if (!(e instanceof ApiError)) throw e;
    this.offline = false;
    if (e.code === 'stale_revision') {
      const currentRevision = Number(e.details?.currentRevision ?? 0);
      // A save that reached the server before a crash comes back as stale with our own content.
      const theirs = currentRevision
        ? await api<FileBody>('GET', fileUrl(this.attemptId, path)).catch(() => null)
        : null;
      if (theirs && theirs.content === entry.content) {
        this.revisions.set(path, theirs.revision);
        if (this.pending.get(path) === entry) {
          this.pending.delete(path);
          await deletePending(this.attemptId, path);
        }
        return;
      }
      this.conflicts.set(path, {
        path,
        mine: this.pending.get(path)?.content ?? entry.content,
        currentRevision,
      });
      return;
    }
    if (e.code === 'attempt_submitted' || e.code === 'deadline_passed') {
      this.lock();
      this.onLocked(e.message);
      return;
    }
    this.failed.set(path, e.message);
  }

  private emit() {
    const s = this.state();
    for (const l of this.listeners) l(s);
  }
}
