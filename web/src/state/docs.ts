/** The text of the workspace's files as the candidate sees them; user edits go to the saver. */
import type { Saver } from './saver.ts';
import type { Change } from './edit-log.ts';

type Listener = (path: string, content: string) => void;

export class Docs {
  private contents = new Map<string, string>();
  private listeners = new Set<Listener>();
  private changes = new Set<Listener>();

  constructor(readonly saver: Saver) {}

  has(path: string) {
    return this.contents.has(path);
  }
  get(path: string): string {
    return this.contents.get(path) ?? '';
  }
  paths(): string[] {
    return [...this.contents.keys()].sort();
  }

  /** Loaded from the server or IndexedDB: no save. */
  load(path: string, content: string) {
    this.contents.set(path, content);
  }

  /** The candidate changed it: save (`changes`: the editor's change list, for the replay of typing). */
  edit(path: string, content: string, changes?: readonly Change[]) {
    this.contents.set(path, content);
    this.saver.edit(path, content, changes);
    for (const l of this.changes) l(path, content);
  }

  /** Changed from outside the view (conflict resolved with "take theirs"): views refresh. */
  replace(path: string, content: string) {
    this.contents.set(path, content);
    for (const l of this.listeners) l(path, content);
    for (const l of this.changes) l(path, content);
  }

  rename(from: string, to: string) {
    this.contents.set(to, this.get(from));
    this.contents.delete(from);
  }
  remove(path: string) {
    this.contents.delete(path);
  }

  onReplace(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Any change, by the candidate or from outside. */
  onChange(fn: Listener): () => void {
    this.changes.add(fn);
    return () => this.changes.delete(fn);
  }
}
