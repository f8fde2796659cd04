/** Loading state for one GET: data, error, and a reload function. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  status: number | null;
  reload(): void;
}

export function useGet<T>(url: string | null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; status: number | null }>({
    data: null,
    error: null,
    status: null,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!url) return;
    let live = true;
    api<T>('GET', url).then(
      (data) => live && setState({ data, error: null, status: 200 }),
      (e: Error & { status?: number }) =>
        live && setState({ data: null, error: e.message, status: e.status ?? null }),
    );
    return () => {
      live = false;
    };
  }, [url, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
