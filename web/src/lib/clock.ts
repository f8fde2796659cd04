/** Server time in the browser: the offset between the server's clock and ours, from `serverNow`. */
let offset = 0;

/** Records the server's time as seen in a response that just arrived. */
export function syncClock(serverNow: number) {
  offset = serverNow - Date.now();
}

export const serverNow = () => Date.now() + offset;

/** "1:05:09" / "4:59" */
export function formatLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
