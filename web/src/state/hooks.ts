/** Preact hooks over the framework-free state classes. */
import { useEffect, useState } from 'preact/hooks';
import type { Saver, SaverState } from './saver.ts';
import { loadMonaco, type MonacoModule } from '../editor/load.ts';

export function useSaverState(saver: Saver): SaverState {
  const [s, set] = useState<SaverState>(saver.state());
  useEffect(() => saver.subscribe(set), [saver]);
  return s;
}

export function useMonaco(): MonacoModule | null {
  const [m, set] = useState<MonacoModule | null>(null);
  useEffect(() => {
    let live = true;
    void loadMonaco().then((mod) => live && set(mod));
    return () => {
      live = false;
    };
  }, []);
  return m;
}
