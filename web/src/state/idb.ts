/** The IndexedDB buffer of unsent edits: one record per attempt and path, written on every change. */

export interface PendingRecord {
  key: string;
  attemptId: string;
  path: string;
  content: string;
  /** The server revision this content was edited from (0 = the file did not exist). */
  base: number;
  at: number;
}

const DB = 'worksample';
const STORE = 'pending';
let opening: Promise<IDBDatabase | null> | null = null;

function open(): Promise<IDBDatabase | null> {
  opening ??= new Promise((resolve) => {
    if (typeof indexedDB === 'undefined') return resolve(null);
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    // Private modes may refuse IndexedDB; saving still works, just without the crash buffer.
    req.onerror = () => resolve(null);
  });
  return opening;
}

async function tx<T>(
  mode: IDBTransactionMode,
  fn: (s: IDBObjectStore) => IDBRequest<T>,
): Promise<T | undefined> {
  const db = await open();
  if (!db) return undefined;
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(req.result);
    t.onerror = () => reject(t.error);
  });
}

export const pendingKey = (attemptId: string, path: string) => `${attemptId}\n${path}`;

export async function putPending(r: Omit<PendingRecord, 'key'>) {
  await tx('readwrite', (s) => s.put({ ...r, key: pendingKey(r.attemptId, r.path) }));
}

export async function deletePending(attemptId: string, path: string) {
  await tx('readwrite', (s) => s.delete(pendingKey(attemptId, path)));
}

export async function listPending(attemptId: string): Promise<PendingRecord[]> {
  const all = ((await tx('readonly', (s) => s.getAll())) ?? []) as PendingRecord[];
  return all.filter((r) => r.attemptId === attemptId);
}
