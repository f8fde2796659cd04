/**
 * The editor's content changes between two saves of a file, for the reviewer's replay of typing
 * (server/workspace/edit-log.ts). Each batch starts at a content the server holds (its sha256) and is
 * sent right after the save that ends it, naming both; the server keeps it only if it rebuilds the
 * save. Bounded: a batch over MAX_EDITS changes or MAX_INSERTED inserted characters is dropped whole
 * (and counted), never the save; once the server says the attempt's edit log is full, recording stops.
 */

/** `[ms since the batch's first change, offset, removed, inserted]`, offsets in UTF-16 code units. */
export type Edit = [number, number, number, string];

/** One content change as Monaco reports it (offsets into the text before the change event). */
export interface Change {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export interface EditLogBody {
  path: string;
  baseSha256: string;
  sha256: string;
  edits: Edit[];
  dropped: number;
}

export const MAX_EDITS = 2000;
export const MAX_INSERTED = 256 * 1024;

/** base: the sha256 it starts from; undefined until the save it follows answers; null when unknown. */
export interface Batch {
  base: string | null | undefined;
  edits: Edit[];
  t0: number;
  inserted: number;
  broken: boolean;
}

const fresh = (base: string | null | undefined): Batch => ({
  base,
  edits: [],
  t0: 0,
  inserted: 0,
  broken: base === null,
});

export class EditRecorder {
  private batches = new Map<string, Batch>();
  /** Changes recorded but not kept (over the caps, or in a batch that cannot be checked). */
  private dropped = 0;
  /** The server's edit-log storage for this attempt is used up. */
  full = false;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** The editor shows exactly the server's content `sha256` of `path`: a new batch starts there. */
  start(path: string, sha256: string | null) {
    this.drop(this.batches.get(path));
    this.batches.set(path, fresh(sha256 || null));
  }

  /** Changes the candidate made (one Monaco change event). */
  record(path: string, changes: readonly Change[]) {
    let b = this.batches.get(path);
    if (!b) this.batches.set(path, (b = fresh(null)));
    if (b.broken || this.full) {
      this.dropped += changes.length;
      return;
    }
    const at = this.now();
    if (!b.edits.length) b.t0 = at;
    // Monaco's offsets in one event refer to the text before it: apply from the end backwards.
    const ordered = [...changes].sort((x, y) => y.rangeOffset - x.rangeOffset);
    for (const c of ordered) {
      if (b.edits.length >= MAX_EDITS || b.inserted + c.text.length > MAX_INSERTED) {
        this.dropped += changes.length;
        return this.lose(path);
      }
      b.edits.push([Math.max(0, Math.round(at - b.t0)), c.rangeOffset, c.rangeLength, c.text]);
      b.inserted += c.text.length;
    }
  }

  /** The text changed without a change list (a restored draft, a text area): this batch cannot be replayed. */
  lose(path: string) {
    const b = this.batches.get(path);
    this.drop(b);
    this.batches.set(path, fresh(null));
  }

  forget(path: string) {
    this.batches.delete(path);
  }

  /** A save of the current text is going out: returns the batch that leads to it; a new one begins. */
  take(path: string): Batch | undefined {
    const b = this.batches.get(path);
    this.batches.set(path, fresh(undefined));
    return b;
  }

  /** The save answered with `sha256`: the log to send for `taken`, if it can be checked and is worth it. */
  saved(path: string, taken: Batch | undefined, sha256: string): EditLogBody | null {
    const now = this.batches.get(path);
    if (now && now.base === undefined) {
      now.base = sha256 || null;
      now.broken ||= now.base === null;
    }
    if (!taken?.edits.length) return null;
    if (taken.broken || !taken.base || !sha256 || taken.base === sha256 || this.full) {
      this.drop(taken);
      return null;
    }
    const dropped = this.dropped;
    this.dropped = 0;
    return { path, baseSha256: taken.base, sha256, edits: taken.edits, dropped };
  }

  /** The save did not happen and will be retried: what was typed meanwhile joins `taken`. */
  restore(path: string, taken: Batch | undefined) {
    const now = this.batches.get(path);
    if (!taken) return;
    if (!now || now.broken || taken.broken) {
      this.lose(path);
      this.drop(taken);
      return;
    }
    const shift = now.edits.length && taken.edits.length ? now.t0 - taken.t0 : 0;
    const merged: Batch = {
      base: taken.base,
      edits: [...taken.edits, ...now.edits.map(([t, o, r, s]): Edit => [t + shift, o, r, s])],
      t0: taken.edits.length ? taken.t0 : now.t0,
      inserted: taken.inserted + now.inserted,
      broken: false,
    };
    if (merged.edits.length > MAX_EDITS || merged.inserted > MAX_INSERTED) {
      this.drop(merged);
      merged.edits = [];
      merged.broken = true;
    }
    this.batches.set(path, merged);
  }

  private drop(b: Batch | undefined) {
    if (b) this.dropped += b.edits.length;
  }
}
