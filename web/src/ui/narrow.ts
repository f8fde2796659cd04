/** True while the viewport is narrower than the workspace's columns need (phones, split screens). */
import { useEffect, useState } from 'preact/hooks';

/** Below this width the workspace shows one section at a time and the landing page warns. */
export const NARROW_PX = 900;

const query = () => matchMedia(`(max-width: ${NARROW_PX - 1}px)`);

export function useNarrow(): boolean {
  const [narrow, set] = useState(() => query().matches);
  useEffect(() => {
    const q = query();
    const on = () => set(q.matches);
    q.addEventListener('change', on);
    return () => q.removeEventListener('change', on);
  }, []);
  return narrow;
}
