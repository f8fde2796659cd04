/** Another tab (or an old replay) changed a file first: the candidate picks which version wins. */
import { useState } from 'preact/hooks';
import type { Docs } from '../state/docs.ts';
import { useSaverState } from '../state/hooks.ts';

export function ConflictBanner({ docs }: { docs: Docs }) {
  const s = useSaverState(docs.saver);
  const [busy, setBusy] = useState(false);
  if (!s.conflicts.length) return null;
  return (
    <section class="conflicts banner" role="alert" aria-labelledby="conflict-h" data-testid="conflict">
      <h2 id="conflict-h">This work was changed somewhere else</h2>
      <p>
        Another tab or window saved a newer version of{' '}
        {s.conflicts.length === 1 ? 'this file' : 'these files'}. Nothing was overwritten. Choose which
        version to keep:
      </p>
      <ul>
        {s.conflicts.map((c) => (
          <li key={c.path}>
            <code>{c.path}</code>{' '}
            <button
              type="button"
              disabled={busy}
              onClick={() => docs.saver.keepMine(c.path)}
              data-testid="keep-mine"
            >
              Keep mine
            </button>{' '}
            <button
              type="button"
              disabled={busy}
              data-testid="take-theirs"
              onClick={async () => {
                setBusy(true);
                try {
                  docs.replace(c.path, await docs.saver.takeTheirs(c.path));
                } finally {
                  setBusy(false);
                }
              }}
            >
              Take theirs
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
